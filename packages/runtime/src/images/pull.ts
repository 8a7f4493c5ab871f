import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../engine.js';
import { recordEvent } from '../events.js';
import { withLock } from '../state/lock.js';
import { decompressed } from './compression.js';
import { baseImageFor, importBaseImage } from './import.js';
import { type RegistryAuth, RegistryClient, RegistryError } from './registry.js';
import { BlobMetadata } from './registry-metadata.js';
import {
  DEFAULT_DOMAIN,
  familiarName,
  familiarString,
  fullName,
  parseRemoteReference,
  type RemoteReference,
  withDefaultTag,
} from './registry-reference.js';
import { ImageConfigSchema } from './types.js';

/** One line of Docker's JSON progress stream. */
export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
}
export type Progress = (m: ProgressMessage) => void;

export interface PullOptions {
  auth?: RegistryAuth;
  progress?: Progress;
  env?: NodeJS.ProcessEnv;
}

export interface PullResult {
  id: string;
  /** busybox:latest, localhost:5000/x:v1 (the local name it was stored under). */
  reference: string;
  /** docker.io/library/busybox:latest: what `docker pull` prints last. */
  fullName: string;
  digest: string | undefined;
  downloaded: boolean;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** Runs `fn` over items with at most `limit` at a time (docker downloads three layers at once). */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return results;
}

/** dockerd's translatePullError: registry "not found"/"denied" answers become these sentences. */
export function translatePullError(e: unknown, r: RemoteReference): unknown {
  if (!(e instanceof RegistryError)) return e;
  switch (e.code) {
    case 'MANIFEST_UNKNOWN':
      return new RegistryError(`manifest for ${familiarString(r)} not found: ${e.message}`, 404, e.code);
    case 'NOT_FOUND':
      return new RegistryError(
        `manifest for ${familiarString(r)} not found: manifest unknown: manifest unknown`,
        404,
        e.code,
      );
    case 'NAME_UNKNOWN':
      return new RegistryError(`repository ${familiarName(r)} not found: ${e.message}`, 404, e.code);
    case 'DENIED':
    case 'UNAUTHORIZED':
      return new RegistryError(
        `pull access denied for ${familiarName(r)}, repository does not exist or may require 'docker login': ${e.message}`,
        404,
        e.code,
      );
    default:
      return e;
  }
}

/** Emits "Downloading"/"Pushing" progress at most every 100 ms per layer. */
export function throttled(progress: Progress | undefined, status: string, id: string, total: number) {
  let last = 0;
  return (current: number) => {
    const now = Date.now();
    if (!progress || (now - last < 100 && current < total)) return;
    last = now;
    progress({ status, id, progressDetail: { current, total } });
  };
}

/**
 * `docker pull`: resolves the reference against its registry, picks linux/amd64 from a manifest list, downloads
 * and verifies every blob (compressed digest, then the diff id from the config), stores the layers and config,
 * tags the image and records its repo digest. Busybox and debian come from their local recipes instead, as the
 * engine never downloads base images.
 */
export async function pullImage(engine: Engine, ref: string, o: PullOptions = {}): Promise<PullResult> {
  const r = withDefaultTag(parseRemoteReference(ref));
  const progress = o.progress ?? (() => {});
  const store = engine.images;
  const local = familiarString(r);

  const base = r.domain === DEFAULT_DOMAIN && r.tag ? baseImageFor(local) : undefined;
  if (base) {
    const before = await store.resolve(local);
    progress({ status: `Pulling from ${r.path}`, id: r.tag });
    const id = await withLock(engine.cfg.root, `base-image-${base}`, async () => {
      return (await store.resolve(local)) ?? importBaseImage(store, base);
    });
    progress({ status: 'Built from the local base image recipe', id: short(id) });
    await recordEvent(engine.cfg, {
      Type: 'image',
      Action: 'pull',
      Actor: { ID: local, Attributes: { name: local } },
    });
    progress({
      status: `Status: ${before === id ? 'Image is up to date' : 'Downloaded newer image'} for ${local}`,
    });
    return { id, reference: local, fullName: fullName(r), digest: undefined, downloaded: before !== id };
  }

  const client = new RegistryClient(r.domain, { auth: o.auth, env: o.env });
  const tmp = path.join(store.dir, 'tmp', `pull-${randomBytes(8).toString('hex')}`);
  try {
    const resolved = await client
      .resolveManifest(r.path, r.digest ?? r.tag ?? 'latest')
      .catch((e: unknown) => {
        throw translatePullError(e, r);
      });
    progress({ status: `Pulling from ${r.path}`, id: r.digest ?? r.tag });
    const { manifest } = resolved;
    const configBytes = await client.getBlobBytes(r.path, manifest.config.digest);
    const config = ImageConfigSchema.parse(JSON.parse(configBytes.toString()));
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new RegistryError("layers from manifest don't match image configuration");
    }
    await fs.mkdir(tmp, { recursive: true });
    const metadata = new BlobMetadata(store);
    const repository = `${r.domain}/${r.path}`;
    const missing: number[] = [];
    for (const [i, layer] of manifest.layers.entries()) {
      const have = await store.hasLayer(diffIds[i] as string);
      progress({
        status: have ? 'Already exists' : 'Pulling fs layer',
        id: short(layer.digest),
        progressDetail: {},
      });
      if (!have) missing.push(i);
    }

    // Download and verify everything first, so a bad blob leaves the store exactly as it was.
    const files = new Map<number, string>();
    await mapLimit(missing, 3, async (i) => {
      const layer = manifest.layers[i];
      if (!layer) return;
      const id = short(layer.digest);
      const file = path.join(tmp, `blob-${i}`);
      const res = await client.getBlob(r.path, layer.digest);
      const hash = createHash('sha256');
      let current = 0;
      const tick = throttled(progress, 'Downloading', id, layer.size);
      await pipeline(
        res,
        new Transform({
          transform(chunk: Buffer, _e, done) {
            hash.update(chunk);
            current += chunk.length;
            // More bytes than the manifest declared cannot be this blob: stop before filling the disk.
            if (current > layer.size) {
              done(new RegistryError(`filesystem layer verification failed for digest ${layer.digest}`));
              return;
            }
            tick(current);
            done(null, chunk);
          },
        }),
        createWriteStream(file),
      );
      progress({ status: 'Verifying Checksum', id, progressDetail: {} });
      if (`sha256:${hash.digest('hex')}` !== layer.digest) {
        throw new RegistryError(`filesystem layer verification failed for digest ${layer.digest}`);
      }
      progress({ status: 'Download complete', id, progressDetail: {} });
      files.set(i, file);
    });

    const added: string[] = [];
    try {
      for (const i of missing) {
        const layer = manifest.layers[i];
        const diffId = diffIds[i];
        const file = files.get(i);
        if (!layer || !diffId || !file) continue;
        const id = short(layer.digest);
        progress({ status: 'Extracting', id, progressDetail: { current: layer.size, total: layer.size } });
        const existed = await store.hasLayer(diffId);
        await store.addLayer(await decompressed(createReadStream(file)), diffId);
        if (!existed) added.push(diffId);
        await fs.rm(file, { force: true });
        progress({ status: 'Pull complete', id, progressDetail: {} });
      }
      for (const [i, layer] of manifest.layers.entries()) {
        await metadata.add(diffIds[i] as string, {
          digest: layer.digest,
          repository,
          size: layer.size,
          mediaType: layer.mediaType ?? '',
        });
      }
    } catch (e) {
      await forgetLayers(engine, added);
      throw e;
    }

    const before = await store.resolve(local);
    const id = await store.putConfig(configBytes);
    if (r.tag) await store.tag(id, local);
    await store.addRepoDigest(familiarName(r), resolved.digest, id);
    progress({ status: `Digest: ${resolved.digest}` });
    const downloaded = before !== id;
    await recordEvent(engine.cfg, {
      Type: 'image',
      Action: 'pull',
      Actor: { ID: local, Attributes: { name: local } },
    });
    progress({
      status: `Status: ${downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${local}`,
    });
    return { id, reference: local, fullName: fullName(r), digest: resolved.digest, downloaded };
  } finally {
    client.close();
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * `docker pull --all-tags` (a name with neither tag nor digest): every tag the registry lists, one after another,
 * with a single closing status as dockerd sends it. Base images from local recipes have only `latest`.
 */
export async function pullAllTags(engine: Engine, name: string, o: PullOptions = {}): Promise<PullResult[]> {
  const r = parseRemoteReference(name);
  if (r.tag || r.digest) throw new RegistryError('tag can only be used with --all-tags/-a', 400);
  if (r.domain === DEFAULT_DOMAIN && baseImageFor(`${familiarName(r)}:latest`)) {
    return [await pullImage(engine, `${name}:latest`, o)];
  }
  const client = new RegistryClient(r.domain, { auth: o.auth, env: o.env });
  let tags: string[];
  try {
    tags = await client.tags(r.path).catch((e: unknown) => {
      throw translatePullError(e, r);
    });
  } finally {
    client.close();
  }
  if (!tags.length) throw new RegistryError(`no tags found for ${familiarName(r)}`, 404, 'NOT_FOUND');
  const progress = o.progress ?? (() => {});
  const results: PullResult[] = [];
  for (const tag of tags.sort()) {
    results.push(
      await pullImage(engine, `${name}:${tag}`, {
        ...o,
        progress: (m) => {
          if (m.status.startsWith('Status: ')) return;
          progress(m.status.startsWith('Pulling from ') ? { ...m, id: tag } : m);
        },
      }),
    );
  }
  const downloaded = results.some((x) => x.downloaded);
  progress({
    status: `Status: ${downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarName(r)}`,
  });
  return results;
}

/** Removes layers a failed pull stored, unless an image config has come to use them meanwhile. */
async function forgetLayers(engine: Engine, diffIds: string[]): Promise<void> {
  if (!diffIds.length) return;
  const store = engine.images;
  await store.withLock(async () => {
    const used = new Set<string>();
    for (const id of await store.imageIds()) {
      for (const d of (await store.getConfig(id)).rootfs.diff_ids) used.add(d);
    }
    for (const d of diffIds)
      if (!used.has(d)) await fs.rm(store.layerPath(d), { recursive: true, force: true });
  });
}
