import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { applyChanges } from '../build/changes.js';
import type { ParsedInstruction } from '../build/dockerfile.js';
import { repoRoot } from '../config.js';
import { DockyardError } from '../errors.js';
import { runOk } from '../util/exec.js';
import { decompressed } from './compression.js';
import type { ImageStore } from './store.js';
import type { ImageConfig } from './types.js';

const BASE_IMAGES: Record<string, { tags: string[]; cmd: string[] }> = {
  busybox: { tags: ['busybox:latest'], cmd: ['sh'] },
  debian: { tags: ['debian:bookworm', 'debian:latest'], cmd: ['bash'] },
};
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function baseImageFor(ref: string): string | undefined {
  const [repo, tag = 'latest'] = ref.replace(/^(docker\.io\/)?(library\/)?/, '').split(':');
  const base = repo ? BASE_IMAGES[repo] : undefined;
  return base?.tags.includes(`${repo}:${tag}`) ? repo : undefined;
}

/** Builds (or reuses the cached) base rootfs from Debian packages and imports its layer.tar. */
export async function importBaseImage(store: ImageStore, name: string): Promise<string> {
  const base = BASE_IMAGES[name];
  if (!base)
    throw new DockyardError(`unknown base image "${name}" (known: ${Object.keys(BASE_IMAGES).join(', ')})`);
  const rootfs = (await runOk('bash', [path.join(repoRoot, 'infra/images/build.sh'), name])).trim();
  const layerTar = path.join(path.dirname(rootfs), 'layer.tar');
  const diffId = await store.addLayer(createReadStream(layerTar));
  // A fixed date keeps the config bytes, and so the image id, the same on every machine.
  const created = '2024-01-01T00:00:00Z';
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Env: [DEFAULT_PATH], Cmd: base.cmd },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: `infra/images/${name}.sh` }],
  };
  const id = await store.putConfig(config);
  for (const t of base.tags) await store.tag(id, t);
  return id;
}

/** `import`: a filesystem tarball (optionally gzipped) becomes a one-layer image. */
export async function importTarball(
  store: ImageStore,
  source: Readable,
  opts: { ref?: string; message?: string; changes?: ParsedInstruction[] } = {},
): Promise<string> {
  const diffId = await store.addLayer(await decompressed(source));
  const created = new Date().toISOString();
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: applyChanges({ Env: [DEFAULT_PATH] }, opts.changes ?? []),
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, comment: opts.message ?? 'Imported from tarball' }],
  };
  const id = await store.putConfig(config);
  if (opts.ref) await store.tag(id, opts.ref);
  return id;
}

export async function openInput(file: string | undefined): Promise<Readable> {
  if (!file || file === '-') return process.stdin;
  await fs.access(file).catch(() => {
    throw new DockyardError(`open ${file}: no such file or directory`);
  });
  return createReadStream(file);
}
