import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
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
  opts: { ref?: string; message?: string; changes?: Partial<NonNullable<ImageConfig['config']>> } = {},
): Promise<string> {
  const diffId = await store.addLayer(await decompressed(source));
  const created = new Date().toISOString();
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Env: [DEFAULT_PATH], ...opts.changes },
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

/** `import --change` / the API's `changes`: the Dockerfile instructions an imported image's config may carry. */
export function parseChanges(list: string[]): Partial<NonNullable<ImageConfig['config']>> {
  const changes: Record<string, unknown> = {};
  for (const c of list) {
    const m = /^\s*(CMD|ENTRYPOINT|ENV|WORKDIR|USER|LABEL|EXPOSE)\s+(.*)$/is.exec(c);
    if (!m) throw new DockyardError(`${c.split(' ')[0]} is not a valid change command`);
    const [, instr = '', arg = ''] = m;
    const list = () => {
      try {
        const v = JSON.parse(arg);
        if (Array.isArray(v)) return v.map(String);
      } catch {}
      return ['/bin/sh', '-c', arg];
    };
    const key = instr.toUpperCase();
    if (key === 'CMD') changes.Cmd = list();
    else if (key === 'ENTRYPOINT') changes.Entrypoint = list();
    else if (key === 'WORKDIR') changes.WorkingDir = arg;
    else if (key === 'USER') changes.User = arg;
    else if (key === 'ENV')
      changes.Env = [
        ...((changes.Env as string[]) ?? [DEFAULT_PATH]),
        arg.includes('=') ? arg : arg.replace(/\s+/, '='),
      ];
    else if (key === 'LABEL') {
      const labels = (changes.Labels as Record<string, string>) ?? {};
      for (const kv of arg.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
        const eq = kv.indexOf('=');
        if (eq > 0) labels[kv.slice(0, eq)] = kv.slice(eq + 1).replace(/^"|"$/g, '');
      }
      changes.Labels = labels;
    } else if (key === 'EXPOSE') {
      const ports = (changes.ExposedPorts as Record<string, object>) ?? {};
      for (const p of arg.split(/\s+/).filter(Boolean)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
      changes.ExposedPorts = ports;
    }
  }
  return changes;
}
