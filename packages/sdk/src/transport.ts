import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { z } from 'zod';
import { DockerApiError } from './errors.js';

export type QueryValue = string | number | boolean | undefined | null | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (tar archives); `contentType` says what it is. */
  body?: Buffer | Readable;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface TransportOptions {
  socketPath: string;
  /** API version prefix, e.g. `1.47` (the default); `null` sends unversioned paths. */
  version?: string | null;
}

/** Docker's own query encoding: booleans as 1/0, arrays as repeated keys, filters already JSON. */
export function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else if (typeof v === 'boolean') params.append(k, v ? '1' : '0');
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

async function errorFrom(res: IncomingMessage, request: string): Promise<DockerApiError> {
  const text = (await readAll(res).catch(() => Buffer.alloc(0))).toString('utf8').trim();
  let message = text || http.STATUS_CODES[res.statusCode ?? 0] || 'request failed';
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') {
      message = parsed.message;
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  if (res.statusCode === 304) message = text || 'not modified';
  return new DockerApiError(res.statusCode ?? 0, message, request);
}

/** HTTP/1.1 over the engine's unix socket with node:http. */
export class Transport {
  readonly socketPath: string;
  readonly version: string | null;

  constructor(o: TransportOptions) {
    this.socketPath = o.socketPath;
    this.version = o.version === undefined ? '1.47' : o.version;
  }

  private url(o: RequestOptions): string {
    return `${this.version ? `/v${this.version}` : ''}${o.path}${encodeQuery(o.query)}`;
  }

  private headers(o: RequestOptions): Record<string, string> {
    const h: Record<string, string> = { ...o.headers };
    if (o.json !== undefined) h['Content-Type'] = 'application/json';
    else if (o.body !== undefined) h['Content-Type'] = o.contentType ?? 'application/x-tar';
    return h;
  }

  private writeBody(req: http.ClientRequest, o: RequestOptions): void {
    if (o.json !== undefined) req.end(JSON.stringify(o.json));
    else if (o.body instanceof Readable) {
      o.body.on('error', (e) => req.destroy(e));
      o.body.pipe(req);
    } else req.end(o.body);
  }

  /** The response of a successful request (2xx); anything else rejects with DockerApiError. */
  send(o: RequestOptions): Promise<IncomingMessage> {
    const url = this.url(o);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method: o.method,
          path: url,
          headers: this.headers(o),
          signal: o.signal,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(res);
          else errorFrom(res, `${o.method} ${o.path}`).then(reject, reject);
        },
      );
      req.on('error', reject);
      this.writeBody(req, o);
    });
  }

  async json<S extends z.ZodType>(o: RequestOptions, schema: S): Promise<z.infer<S>> {
    const res = await this.send(o);
    const text = (await readAll(res)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new DockerApiError(
        res.statusCode ?? 0,
        `${o.method} ${o.path}: response is not JSON: ${text.slice(0, 200)}`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DockerApiError(
        res.statusCode ?? 0,
        `${o.method} ${o.path}: unexpected response: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? ''}`,
      );
    }
    return parsed.data;
  }

  async empty(o: RequestOptions): Promise<void> {
    const res = await this.send(o);
    res.resume();
    await new Promise<void>((resolve) => res.once('end', resolve).once('close', resolve));
  }

  async buffer(o: RequestOptions): Promise<Buffer> {
    return readAll(await this.send(o));
  }

  async text(o: RequestOptions): Promise<string> {
    return (await this.buffer(o)).toString('utf8');
  }

  /**
   * `Connection: Upgrade` (attach, exec start): resolves with the raw socket once the engine answers
   * `101 UPGRADED`; bytes that arrived with the response head are put back in front.
   */
  hijack(o: RequestOptions): Promise<Socket> {
    const url = this.url(o);
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method: o.method,
        path: url,
        headers: { ...this.headers(o), Connection: 'Upgrade', Upgrade: 'tcp' },
        signal: o.signal,
      });
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400 || status === 304) errorFrom(res, `${o.method} ${o.path}`).then(reject, reject);
        else {
          res.resume();
          reject(
            new DockerApiError(status, `${o.method} ${o.path}: the engine did not upgrade the connection`),
          );
        }
      });
      req.on('error', reject);
      this.writeBody(req, o);
    });
  }
}

/** Splits a byte stream of newline-delimited JSON into validated objects (progress, events, stats). */
export class JsonLines<T> extends Transform {
  private rest = '';

  constructor(private readonly schema: z.ZodType<T>) {
    super({ readableObjectMode: true });
  }

  override [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return super[Symbol.asyncIterator]() as AsyncIterableIterator<T>;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.rest += chunk.toString('utf8');
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    try {
      for (const line of lines) this.line(line);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.line(this.rest);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  private line(line: string): void {
    const text = line.trim();
    if (!text) return;
    const parsed = this.schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`unexpected stream item: ${text.slice(0, 200)}`);
    this.push(parsed.data);
  }
}

export { readAll };
