import { z } from 'zod';
import { buildFromTar } from '../../build/builder.js';
import { pruneBuildCache } from '../../build/cache.js';
import { DockyardError } from '../../errors.js';
import { parseReference } from '../../images/reference.js';
import type { RegistryAuth } from '../../images/registry.js';
import { type ApiContext, ApiError, queryBool, type Route, requireResponse, sendJson } from '../http.js';

const StringMap = z.record(z.string(), z.string().nullable());

function jsonQuery(ctx: ApiContext, name: string): Record<string, string | null> {
  const raw = ctx.query.get(name);
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid ${name} value: ${raw}`);
  }
  if (v === null) return {};
  const parsed = StringMap.safeParse(v);
  if (!parsed.success) throw new ApiError(400, `invalid ${name} value: expected an object of strings`);
  return parsed.data;
}

const BuildQuery = z.object({
  tags: z.array(z.string().min(1)),
  dockerfile: z.string().max(4096).optional(),
  target: z.string().max(256).optional(),
  network: z.string().max(256).optional(),
});

const RegistryConfig = z.record(
  z.string(),
  z.object({
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
    registrytoken: z.string().optional(),
  }),
);

/** `X-Registry-Config`: base64 JSON of registry host → credentials, for pulling base images. */
function registryConfig(ctx: ApiContext): Record<string, RegistryAuth> {
  const raw = ctx.req.headers['x-registry-config'];
  if (typeof raw !== 'string' || !raw) return {};
  try {
    const parsed = RegistryConfig.safeParse(JSON.parse(Buffer.from(raw, 'base64').toString('utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** POST /build: the classic builder; body is the tar context (optionally gzipped), response a JSON progress stream. */
async function build(ctx: ApiContext): Promise<void> {
  if (ctx.query.get('version') === '2')
    throw new ApiError(
      400,
      'BuildKit is not supported by this engine: use the classic builder (DOCKER_BUILDKIT=0)',
    );
  if (ctx.query.get('remote'))
    throw new ApiError(400, 'remote build contexts are not supported: send the context as the request body');
  const q = BuildQuery.parse({
    tags: ctx.query.getAll('t'),
    dockerfile: ctx.query.get('dockerfile') || undefined,
    target: ctx.query.get('target') || undefined,
    network: ctx.query.get('networkmode') || undefined,
  });
  for (const t of q.tags) {
    try {
      parseReference(t);
    } catch {
      throw new ApiError(400, `invalid reference format: ${t}`);
    }
  }
  const buildArgs: Record<string, string> = {};
  // A null value means "from the client's environment": the client resolves those, so unset ones stay unset.
  for (const [k, v] of Object.entries(jsonQuery(ctx, 'buildargs'))) if (v !== null) buildArgs[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(jsonQuery(ctx, 'labels'))) labels[k] = v ?? '';
  const quiet = queryBool(ctx, 'q');
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const line = (obj: unknown) => res.write(`${JSON.stringify(obj)}\n`);
  // A client that goes away (Ctrl-C in docker build) cancels the build, like dockerd.
  const cancel = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  try {
    const result = await buildFromTar(ctx.engine, ctx.req, {
      dockerfile: q.dockerfile,
      tags: q.tags,
      buildArgs,
      noCache: queryBool(ctx, 'nocache'),
      target: q.target,
      labels,
      out: quiet ? undefined : (text) => line({ stream: text }),
      onImage: (id) => line({ aux: { ID: id } }),
      signal: cancel.signal,
      registryAuth: registryConfig(ctx),
      progress: quiet ? undefined : (m) => line(m),
      network: q.network,
    });
    if (quiet) line({ stream: `${result.id}\n` });
  } catch (e) {
    const message =
      e instanceof DockyardError
        ? e.message.replace(/^Error response from daemon: /, '')
        : (e as Error).message;
    line({ errorDetail: { message }, error: message });
    // The rest of an unread context is not wanted.
    ctx.req.resume();
  }
  res.end();
}

async function prune(ctx: ApiContext): Promise<void> {
  const { deleted, reclaimed } = await pruneBuildCache(ctx.engine);
  sendJson(ctx, 200, { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

export const routes: Route[] = [
  { method: 'POST', path: '/build', handler: build },
  { method: 'POST', path: '/build/prune', handler: prune },
];
