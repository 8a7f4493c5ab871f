import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseChanges } from '../../build/changes.js';
import type { Engine } from '../../engine.js';
import { DockyardError } from '../../errors.js';
import { recordEvent } from '../../events.js';
import { loadImages, saveImages } from '../../images/archive.js';
import { importTarball } from '../../images/import.js';
import { inspectImageBody } from '../../images/inspect.js';
import { intermediateImageIds } from '../../images/intermediate.js';
import { type ProgressMessage, pullAllTags, pullImage } from '../../images/pull.js';
import { pushImage } from '../../images/push.js';
import { normalizeReference } from '../../images/reference.js';
import { decodeRegistryAuth, RegistryError } from '../../images/registry.js';
import { parseRemoteReference } from '../../images/registry-reference.js';
import { searchRegistry } from '../../images/registry-search.js';
import { removeImage } from '../../images/remove.js';
import type { ImageRecord } from '../../images/types.js';
import { type ApiContext, ApiError, queryBool, type Route, requireResponse, sendJson } from '../http.js';
import { queryInt } from '../query.js';
import { olderThan } from '../version.js';
import { filterBool, knownFilters, matchesLabels, untilMillis } from './filters.js';

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000) || 0;
/** Engine and registry errors as the API reports them: status and Docker's sentence. */
export function apiError(e: unknown): unknown {
  if (e instanceof RegistryError) return new ApiError(e.status >= 400 ? e.status : 500, e.message);
  return e;
}

/**
 * Docker's chunked JSON progress stream. Headers go out with the first message, so a failure before anything was
 * sent is still a proper HTTP error (the client prints "Error response from daemon: …"); after that it becomes
 * the stream's last line, `{"errorDetail":{"message"},"error"}`.
 */
export class JsonStream {
  private started = false;
  constructor(private readonly ctx: ApiContext) {}

  write(obj: object): void {
    const res = requireResponse(this.ctx);
    if (!this.started) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      this.started = true;
    }
    res.write(`${JSON.stringify(obj)}\n`);
  }

  progress = (m: ProgressMessage): void => {
    const line: Record<string, unknown> = { status: m.status };
    if (m.progressDetail) line.progressDetail = m.progressDetail;
    if (m.id) line.id = m.id;
    if (m.aux) line.aux = m.aux;
    this.write(line);
  };

  end(): void {
    const res = requireResponse(this.ctx);
    if (!this.started) res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end();
  }

  /** Runs `fn`, turning a failure into an HTTP error or the stream's error line. */
  async run(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!this.started) throw apiError(e);
      const message = (e instanceof Error ? e.message : String(e)).replace(
        /^Error response from daemon: /,
        '',
      );
      this.write({ errorDetail: { message }, error: message });
    }
    this.end();
  }
}

/** The image named in a wildcard route: everything after `/images/`, minus the verb suffix. */
function splitName(ctx: ApiContext, suffixes: string[]): { name: string; action: string } {
  const rest = ctx.params['*'] ?? '';
  for (const s of suffixes) {
    if (rest.endsWith(`/${s}`)) return { name: rest.slice(0, -(s.length + 1)), action: s };
  }
  return { name: rest, action: '' };
}

async function requireImage(engine: Engine, name: string): Promise<string> {
  const id = await engine.images.resolve(name).catch(() => undefined);
  if (!id) throw new ApiError(404, `No such image: ${name}`);
  return id;
}

const labelsOf = (img: ImageRecord) => (img.config.config?.Labels ?? {}) as Record<string, string>;

/** `reference=` filter: Docker matches the pattern (path.Match globbing) against name and name:tag. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Like dockerd: an image is listed with the names that match (and not at all when none does). */
function withMatchingReferences(img: ImageRecord, patterns: string[]): ImageRecord | undefined {
  const res = patterns.map(globToRegExp);
  const nameOf = (ref: string, sep: string) => ref.slice(0, ref.lastIndexOf(sep));
  const matches = (ref: string, sep: string) => res.some((re) => re.test(ref) || re.test(nameOf(ref, sep)));
  const tags = img.tags.filter((t) => matches(t, ':'));
  if (!tags.length) return undefined;
  return { ...img, tags, digests: img.digests.filter((d) => matches(d, '@')) };
}

/** Docker's ImageSummary. */
function summary(img: ImageRecord, containers: number, apiVersion: string) {
  const legacy = olderThan(apiVersion, '1.43');
  const body: Record<string, unknown> = {
    Containers: containers,
    Created: unix(img.created),
    Id: img.id,
    Labels: labelsOf(img),
    ParentId: '',
    RepoDigests: img.digests.length ? img.digests : legacy && !img.tags.length ? ['<none>@<none>'] : [],
    RepoTags: img.tags.length ? img.tags : legacy ? ['<none>:<none>'] : [],
    SharedSize: -1,
    Size: img.size,
  };
  if (olderThan(apiVersion, '1.44')) body.VirtualSize = img.size;
  return body;
}

async function list(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, ['dangling', 'label', 'reference', 'before', 'since', 'until']);
  let images = await ctx.engine.images.list();
  if (!queryBool(ctx, 'all')) {
    const hidden = intermediateImageIds(images);
    images = images.filter((i) => !hidden.has(i.id));
  }
  if (f.dangling) {
    const want = filterBool(f.dangling, 'dangling');
    images = images.filter((i) => !i.tags.length === want);
  }
  if (f.label) images = images.filter((i) => matchesLabels(labelsOf(i), f.label));
  if (f.reference) images = images.flatMap((i) => withMatchingReferences(i, f.reference ?? []) ?? []);
  for (const [key, cmp] of [
    ['before', (a: number, b: number) => a < b],
    ['since', (a: number, b: number) => a > b],
  ] as const) {
    const ref = f[key]?.[0];
    if (!ref) continue;
    const id = await requireImage(ctx.engine, ref);
    const pivot = unix((await ctx.engine.images.get(id)).created);
    images = images.filter((i) => cmp(unix(i.created), pivot));
  }
  const until = untilMillis(f.until);
  if (until !== undefined) images = images.filter((i) => Date.parse(i.created) < until);
  const uses = new Map<string, number>();
  for (const c of await ctx.engine.containers.list()) uses.set(c.imageId, (uses.get(c.imageId) ?? 0) + 1);
  sendJson(
    ctx,
    200,
    images.map((i) => summary(i, uses.get(i.id) ?? 0, ctx.apiVersion)),
  );
}

async function history(engine: Engine, id: string) {
  const img = await engine.images.get(id);
  const c = img.config;
  const entries: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[] = c
    .history?.length
    ? c.history
    : c.rootfs.diff_ids.map(() => ({ created: c.created }));
  const layers = [...c.rootfs.diff_ids];
  const rows = [];
  for (const h of entries) {
    const layer = h.empty_layer ? undefined : layers.shift();
    rows.push({
      Id: '<missing>',
      Created: h.created ? unix(h.created) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: layer ? ((await engine.images.layerMeta(layer))?.size ?? 0) : 0,
      Comment: h.comment ?? '',
    });
  }
  rows.reverse();
  if (rows[0]) {
    rows[0].Id = id;
    rows[0].Tags = img.tags;
  }
  return rows;
}

async function getImage(ctx: ApiContext): Promise<void> {
  const { name, action } = splitName(ctx, ['json', 'history', 'get']);
  if (!name) throw new ApiError(404, 'page not found');
  if (action === 'get') return save(ctx, [name]);
  const id = await requireImage(ctx.engine, name);
  if (action === 'json') return sendJson(ctx, 200, await inspectImageBody(ctx.engine, id, ctx.apiVersion));
  if (action === 'history') return sendJson(ctx, 200, await history(ctx.engine, id));
  throw new ApiError(404, 'page not found');
}

function localRef(ref: string): string {
  try {
    return normalizeReference(ref);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
}

async function tag(ctx: ApiContext): Promise<void> {
  const { name } = splitName(ctx, ['tag']);
  const id = await requireImage(ctx.engine, name);
  const repo = ctx.query.get('repo') ?? '';
  const t = ctx.query.get('tag') || 'latest';
  if (!repo) throw new ApiError(400, 'repository name must have at least one component');
  if (repo.includes('@')) throw new ApiError(400, 'refusing to create a tag with a digest reference');
  const target = localRef(`${repo}:${t}`);
  await ctx.engine.images.tag(id, target);
  await recordEvent(ctx.engine.cfg, {
    Type: 'image',
    Action: 'tag',
    Actor: { ID: id, Attributes: { name: target } },
  });
  requireResponse(ctx).writeHead(201).end();
}

async function push(ctx: ApiContext): Promise<void> {
  const { name } = splitName(ctx, ['push']);
  const tagParam = ctx.query.get('tag') || undefined;
  const auth = decodeRegistryAuth(String(ctx.req.headers['x-registry-auth'] ?? ''));
  const stream = new JsonStream(ctx);
  await stream.run(async () => {
    await pushImage(ctx.engine, name, tagParam, { auth, progress: stream.progress });
  });
}

async function pushOrTag(ctx: ApiContext): Promise<void> {
  const rest = ctx.params['*'] ?? '';
  if (rest.endsWith('/tag')) return tag(ctx);
  if (rest.endsWith('/push')) return push(ctx);
  throw new ApiError(404, 'page not found');
}

async function remove(ctx: ApiContext): Promise<void> {
  const name = ctx.params['*'] ?? '';
  await requireImage(ctx.engine, name);
  const lines = await removeImage(ctx.engine, name, queryBool(ctx, 'force'));
  const out: Record<string, string>[] = [];
  for (const line of lines) {
    const [kind, value = ''] = line.split(/:\s(.+)/);
    if (kind === 'Untagged') out.push({ Untagged: value });
    else if (kind === 'Deleted') out.push({ Deleted: value });
  }
  sendJson(ctx, 200, out);
}

async function create(ctx: ApiContext): Promise<void> {
  const fromImage = ctx.query.get('fromImage') ?? '';
  const fromSrc = ctx.query.get('fromSrc') ?? '';
  const tagParam = ctx.query.get('tag') ?? '';
  const platform = ctx.query.get('platform') ?? '';
  if (platform && !/^linux(\/amd64)?$/.test(platform)) {
    throw new ApiError(400, `no matching manifest for ${platform} in the manifest list entries`);
  }
  if (fromSrc) return importFrom(ctx, fromSrc);
  if (!fromImage) throw new ApiError(400, 'fromImage or fromSrc is required');
  let ref = fromImage;
  if (tagParam)
    ref = tagParam.startsWith('sha256:') ? `${fromImage}@${tagParam}` : `${fromImage}:${tagParam}`;
  try {
    parseRemoteReference(ref);
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  const auth = decodeRegistryAuth(String(ctx.req.headers['x-registry-auth'] ?? ''));
  const stream = new JsonStream(ctx);
  // The docker client always names a tag, except for `pull --all-tags`: dockerd then pulls every tag.
  const allTags = !tagParam && !/[:@][^/]*$/.test(fromImage);
  await stream.run(async () => {
    if (allTags) await pullAllTags(ctx.engine, fromImage, { auth, progress: stream.progress });
    else await pullImage(ctx.engine, ref, { auth, progress: stream.progress });
  });
}

/** `docker import`: the request body is the filesystem tarball (fromSrc=-); URLs are refused (no downloads). */
async function importFrom(ctx: ApiContext, fromSrc: string): Promise<void> {
  if (fromSrc !== '-')
    throw new ApiError(400, 'importing from a URL is not supported: send the tarball as the body');
  const repo = ctx.query.get('repo') ?? '';
  const t = ctx.query.get('tag') ?? '';
  const ref = repo ? localRef(t ? `${repo}:${t}` : repo) : undefined;
  let changes: ReturnType<typeof parseChanges>;
  try {
    changes = parseChanges(ctx.query.getAll('changes'));
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  const stream = new JsonStream(ctx);
  await stream.run(async () => {
    const id = await importTarball(ctx.engine.images, ctx.req as Readable, {
      ref,
      message: ctx.query.get('message') || undefined,
      changes,
    });
    await recordEvent(ctx.engine.cfg, {
      Type: 'image',
      Action: 'import',
      Actor: { ID: id, Attributes: { name: ref ?? id } },
    });
    stream.write({ status: id });
  });
}

/** docker-archive of the named images, streamed. */
async function save(ctx: ApiContext, names: string[]): Promise<void> {
  if (!names.length) throw new ApiError(400, 'no images named');
  const byId = new Map<string, string[]>();
  for (const n of names) {
    const id = await requireImage(ctx.engine, n);
    const tags = byId.get(id) ?? [];
    const tagged = await ctx.engine.images.tagsOf(id);
    let norm: string | undefined;
    try {
      norm = normalizeReference(n);
    } catch {}
    const byIdRef = /^(sha256:)?[0-9a-f]{6,64}$/.test(n) && !(norm && tagged.includes(norm));
    if (!byIdRef && norm) tags.push(norm);
    byId.set(id, tags);
  }
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  for (const id of byId.keys()) {
    await recordEvent(ctx.engine.cfg, {
      Type: 'image',
      Action: 'save',
      Actor: { ID: id, Attributes: { name: id } },
    });
  }
  await pipeline(
    saveImages(
      ctx.engine.images,
      [...byId].map(([id, tags]) => ({ id, tags })),
    ),
    res,
  );
}

/** `quiet` only hides progress bars in Docker; a load here has none, so both answers are the same lines. */
async function load(ctx: ApiContext): Promise<void> {
  let lines: string[];
  try {
    lines = await loadImages(ctx.engine.images, ctx.req as Readable);
  } catch (e) {
    throw e instanceof DockyardError ? new ApiError(400, e.message) : e;
  }
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  for (const l of lines) {
    const name = l.replace(/^Loaded image( ID)?: /, '');
    await recordEvent(ctx.engine.cfg, {
      Type: 'image',
      Action: 'load',
      Actor: { ID: name, Attributes: { name } },
    });
    res.write(`${JSON.stringify({ stream: `${l}\n` })}\n`);
  }
  res.end();
}

/** Images without a tag (or, with dangling=false, every image) that no container uses. */
async function prune(ctx: ApiContext): Promise<void> {
  const f = knownFilters(ctx, ['dangling', 'until', 'label', 'label!']);
  const danglingOnly = f.dangling ? filterBool(f.dangling, 'dangling') : true;
  const until = untilMillis(f.until);
  const used = new Set((await ctx.engine.containers.list()).map((c) => c.imageId));
  const deleted: Record<string, string>[] = [];
  let reclaimed = 0;
  for (const img of await ctx.engine.images.list()) {
    if (used.has(img.id) || (danglingOnly && img.tags.length)) continue;
    if (until !== undefined && Date.parse(img.created) >= until) continue;
    if (f.label && !matchesLabels(labelsOf(img), f.label)) continue;
    if (f['label!']?.length && matchesLabels(labelsOf(img), f['label!'])) continue;
    for (const t of [...img.tags, ...img.digests]) deleted.push({ Untagged: t });
    const sizes = new Map<string, number>();
    for (const d of img.config.rootfs.diff_ids)
      sizes.set(d, (await ctx.engine.images.layerMeta(d))?.size ?? 0);
    const layers = await ctx.engine.images.deleteImage(img.id);
    deleted.push({ Deleted: img.id });
    for (const l of layers) {
      deleted.push({ Deleted: l });
      reclaimed += sizes.get(l) ?? 0;
    }
    await recordEvent(ctx.engine.cfg, {
      Type: 'image',
      Action: 'delete',
      Actor: { ID: img.id, Attributes: { name: img.id } },
    });
  }
  sendJson(ctx, 200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
}

async function search(ctx: ApiContext): Promise<void> {
  const term = ctx.query.get('term') ?? '';
  if (!term) throw new ApiError(400, 'term is required');
  const limit = queryInt(ctx, 'limit') ?? 25;
  const f = knownFilters(ctx, ['is-official', 'is-automated', 'stars']);
  try {
    let results = await searchRegistry(term, limit);
    if (f['is-official'])
      results = results.filter((r) => r.is_official === filterBool(f['is-official'] ?? [], 'is-official'));
    if (f['is-automated'])
      results = results.filter((r) => r.is_automated === filterBool(f['is-automated'] ?? [], 'is-automated'));
    if (f.stars) results = results.filter((r) => r.star_count >= Number(f.stars?.[0] ?? 0));
    sendJson(ctx, 200, results);
  } catch (e) {
    throw apiError(e);
  }
}

export const routes: Route[] = [
  { method: 'GET', path: '/images/json', handler: list },
  { method: 'POST', path: '/images/create', handler: create },
  { method: 'POST', path: '/images/load', handler: load },
  { method: 'POST', path: '/images/prune', handler: prune },
  { method: 'GET', path: '/images/search', handler: search },
  { method: 'GET', path: '/images/get', handler: (ctx) => save(ctx, ctx.query.getAll('names')) },
  { method: 'GET', path: '/images/*', handler: getImage },
  { method: 'POST', path: '/images/*', handler: pushOrTag },
  { method: 'DELETE', path: '/images/*', handler: remove },
];
