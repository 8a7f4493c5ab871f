import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import type { Engine } from '../engine.js';

/** An error the API turns into Docker's shape: `{"message": "..."}` with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Set when the client asked for `Connection: Upgrade` (attach, exec start): the raw socket is the stream. */
export interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

export interface ApiContext {
  req: IncomingMessage;
  /** Undefined for upgraded requests: write the 101 response and the stream to `upgrade.socket`. */
  res: ServerResponse | undefined;
  upgrade: Upgrade | undefined;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  /** The version the client asked for in `/v1.NN/...`, or the server's own when it gave none. */
  apiVersion: string;
  engine: Engine;
}

export type Handler = (ctx: ApiContext) => Promise<void>;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** find-my-way pattern without the version prefix, e.g. `/containers/:id/json`. */
  path: string;
  handler: Handler;
}

export const MAX_JSON_BODY = 4 * 1024 * 1024;

/** Reads and validates a JSON body; empty bodies parse as `{}`. */
export async function readJson<T>(ctx: ApiContext, schema: z.ZodType<T>, limit = MAX_JSON_BODY): Promise<T> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, `request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let value: unknown = {};
  if (text) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, `invalid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      400,
      `invalid request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'bad value'}`,
    );
  }
  return parsed.data;
}

export function sendJson(ctx: ApiContext, status: number, body: unknown): void {
  const res = requireResponse(ctx);
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(ctx: ApiContext, status = 204): void {
  const res = requireResponse(ctx);
  res.writeHead(status);
  res.end();
}

export function requireResponse(ctx: ApiContext): ServerResponse {
  if (!ctx.res) throw new ApiError(400, 'this endpoint does not support connection upgrade');
  return ctx.res;
}

/** Docker's boolean query values: 1/true/True are true, absent uses the default. */
export function queryBool(ctx: ApiContext, name: string, fallback = false): boolean {
  const v = ctx.query.get(name);
  if (v === null || v === '') return fallback;
  return v === '1' || v.toLowerCase() === 'true';
}
