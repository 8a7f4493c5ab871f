import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import tarStream from 'tar-stream';
import { copyFromContainer, copyToContainer, hostPathFor } from '../../containers/cp.js';
import { withMergedRootfs } from '../../containers/mounted.js';
import { DockyardError } from '../../errors.js';
import { type ApiContext, ApiError, requireResponse, sendEmpty } from '../http.js';

/** Largest tar a PUT may upload into a container. */
export const MAX_ARCHIVE_UPLOAD = 512 * 1024 * 1024;

// Go's os.FileMode type bits, which the docker client decodes from the stat header.
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;
const GO_MODE_PIPE = 2 ** 25;
const GO_MODE_SOCKET = 2 ** 24;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_CHARDEV = 2 ** 21;
const GO_MODE_STICKY = 2 ** 20;

function goFileMode(st: import('node:fs').Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_MODE_DIR;
  else if (st.isSymbolicLink()) m += GO_MODE_SYMLINK;
  else if (st.isFIFO()) m += GO_MODE_PIPE;
  else if (st.isSocket()) m += GO_MODE_SOCKET;
  else if (st.isCharacterDevice()) m += GO_MODE_DEVICE + GO_MODE_CHARDEV;
  else if (st.isBlockDevice()) m += GO_MODE_DEVICE;
  if (st.mode & 0o4000) m += GO_MODE_SETUID;
  if (st.mode & 0o2000) m += GO_MODE_SETGID;
  if (st.mode & 0o1000) m += GO_MODE_STICKY;
  return m;
}

function containerPath(ctx: ApiContext): string {
  const p = ctx.query.get('path');
  if (!p) throw new ApiError(400, 'Bad parameters: path cannot be empty');
  return p;
}

/** Docker's X-Docker-Container-Path-Stat: base64 JSON {name, size, mode, mtime, linkTarget}. */
async function statHeader(ctx: ApiContext): Promise<string> {
  const engine = ctx.engine;
  const rec = await engine.containers.get(ctx.params.id ?? '');
  const p = containerPath(ctx);
  const stat = await withMergedRootfs(engine, rec, async (rootfs) => {
    const host = await hostPathFor(rec, rootfs, p, false);
    const st = await fs.lstat(host).catch(() => undefined);
    if (!st) return undefined;
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const target = await fs.readlink(host);
      linkTarget = path.posix.resolve(path.posix.dirname(path.posix.normalize(`/${p}`)), target);
    }
    return {
      name: path.posix.basename(path.posix.normalize(`/${p}`)) || '/',
      size: st.size,
      mode: goFileMode(st),
      mtime: st.mtime.toISOString(),
      linkTarget,
    };
  });
  if (!stat) throw new ApiError(404, `Could not find the file ${p} in container ${rec.name}`);
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

export async function headArchive(ctx: ApiContext): Promise<void> {
  const header = await statHeader(ctx);
  requireResponse(ctx).setHeader('X-Docker-Container-Path-Stat', header);
  sendEmpty(ctx, 200);
}

export async function getArchive(ctx: ApiContext): Promise<void> {
  const header = await statHeader(ctx);
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': header });
  await copyFromContainer(ctx.engine, ctx.params.id ?? '', containerPath(ctx), '-', res);
}

/** Counts the upload and fails it past the cap, so a huge body cannot fill the disk. */
function capped(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) cb(new ApiError(413, `archive is larger than ${limit} bytes`));
      else cb(null, chunk);
    },
  });
}

/**
 * Re-packs the upload entry by entry, stopping at entries that try to climb out with `..` (the extractor
 * would clamp them inside the container; Docker refuses them, and so do we) or hardlink to absolute paths.
 * The output then just ends; `failure()` says why, for the caller to report once extraction has stopped.
 */
function refuseTraversal(input: Readable): { output: Readable; failure: () => Error | undefined } {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  let failure: Error | undefined;
  const stop = (e: Error) => {
    if (failure) return;
    failure = e;
    input.unpipe(extract);
    input.resume();
    extract.destroy();
    pack.finalize();
  };
  extract.on('entry', (header, stream, next) => {
    // Destroying the extractor errors the current entry's stream; the failure is reported once, by stop().
    stream.on('error', () => {});
    const climbs = (p: string | null | undefined) => !!p && p.split('/').includes('..');
    if (
      climbs(header.name) ||
      (header.type === 'link' && (climbs(header.linkname) || header.linkname?.startsWith('/')))
    ) {
      stream.resume();
      stop(new ApiError(400, `refused to extract the archive: entry ${header.name} leaves the destination`));
      return;
    }
    const entry = pack.entry(header, (err) => (err ? stop(err) : next()));
    entry.on('error', () => {});
    stream.pipe(entry);
  });
  extract.on('finish', () => {
    if (!failure) pack.finalize();
  });
  extract.on('error', (e) => stop(e));
  input.on('error', (e) => stop(e));
  input.pipe(extract);
  return { output: pack as unknown as Readable, failure: () => failure };
}

export async function putArchive(ctx: ApiContext): Promise<void> {
  const p = containerPath(ctx);
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  if (length > MAX_ARCHIVE_UPLOAD)
    throw new ApiError(413, `archive is larger than ${MAX_ARCHIVE_UPLOAD} bytes`);
  const sized = ctx.req.pipe(capped(MAX_ARCHIVE_UPLOAD));
  ctx.req.on('error', (e) => sized.destroy(e));
  const guarded = refuseTraversal(sized);
  try {
    await copyToContainer(ctx.engine, ctx.params.id ?? '', '-', p, guarded.output);
  } catch (e) {
    if (e instanceof ApiError || (e instanceof DockyardError && e.code === 'not-found')) throw e;
    const msg = (e as Error).message.replace(/^Error response from daemon: /, '');
    if (/escapes root|through symlink|not a directory|extraction point/.test(msg))
      throw new ApiError(400, `refused to extract the archive: ${msg}`);
    throw guarded.failure() ?? e;
  }
  const failed = guarded.failure();
  if (failed) throw failed instanceof ApiError ? failed : new ApiError(400, failed.message);
  sendEmpty(ctx, 200);
}
