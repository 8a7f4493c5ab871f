import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import tarStream from 'tar-stream';
import { z } from 'zod';
import { DockyardError } from '../errors.js';
import { readJson } from '../state/files.js';
import { decompressed } from './compression.js';
import { normalizeReference } from './reference.js';
import type { ImageStore } from './store.js';
import { ImageConfigSchema } from './types.js';
import { safeJoin } from './unpack.js';

const hex = (d: string) => d.replace(/^sha256:/, '');

/** `save`: a docker-archive (manifest.json, <id>.json config, <diffid>/layer.tar per layer). */
export function saveImages(store: ImageStore, images: { id: string; tags: string[] }[]): Readable {
  const pack = tarStream.pack();
  void (async () => {
    const manifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    const written = new Set<string>();
    const add = (header: Partial<tarStream.Header> & { name: string }, body: Buffer | Readable) =>
      new Promise<void>((resolve, reject) => {
        if (Buffer.isBuffer(body))
          pack.entry(header as tarStream.Header as tarStream.Header, body, (e) =>
            e ? reject(e) : resolve(),
          );
        else
          body.pipe(
            pack.entry(header as tarStream.Header as tarStream.Header, (e) => (e ? reject(e) : resolve())),
          );
      });
    const mtime = new Date(0);
    for (const img of images) {
      const config = await store.getConfig(img.id);
      const layers: string[] = [];
      for (const d of config.rootfs.diff_ids) {
        const name = `${hex(d)}/layer.tar`;
        layers.push(name);
        if (written.has(name)) continue;
        written.add(name);
        const file = store.layerTar(d);
        const st = await fs.stat(file);
        await add({ name: `${hex(d)}/`, type: 'directory', mode: 0o755, mtime }, Buffer.alloc(0));
        await add({ name, size: st.size, mode: 0o644, mtime }, createReadStream(file));
      }
      const configName = `${hex(img.id)}.json`;
      if (!written.has(configName)) {
        written.add(configName);
        await add({ name: configName, mode: 0o644, mtime }, await store.configBytes(img.id));
      }
      manifest.push({ Config: configName, RepoTags: img.tags, Layers: layers });
    }
    await add({ name: 'manifest.json', mode: 0o644, mtime }, Buffer.from(JSON.stringify(manifest)));
    pack.finalize();
  })().catch((e) => pack.destroy(e as Error));
  return pack as unknown as Readable;
}

const DockerManifestSchema = z.array(
  z.object({ Config: z.string(), RepoTags: z.array(z.string()).nullish(), Layers: z.array(z.string()) }),
);
const OciIndexSchema = z.object({
  manifests: z.array(
    z.object({
      mediaType: z.string().optional(),
      digest: z.string(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
  ),
});
const OciManifestSchema = z.object({
  config: z.object({ digest: z.string() }),
  layers: z.array(z.object({ digest: z.string(), mediaType: z.string().optional() })),
});

/** `load`: accepts a docker-archive or an OCI image layout tar. Returns the loaded tags / ids. */
export async function loadImages(store: ImageStore, source: Readable): Promise<string[]> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dockyard-load-'));
  try {
    await pipeline(await decompressed(source), tar.x({ cwd: tmp }));
    const loaded: string[] = [];
    const manifest = await readJson(path.join(tmp, 'manifest.json'), DockerManifestSchema);
    if (manifest) {
      for (const m of manifest) {
        const id = await loadOne(store, tmp, m.Config, m.Layers);
        if (m.RepoTags?.length) {
          for (const t of m.RepoTags) {
            await store.tag(id, t);
            loaded.push(`Loaded image: ${normalizeReference(t)}`);
          }
        } else loaded.push(`Loaded image ID: ${id}`);
      }
      return loaded;
    }
    const index = await readJson(path.join(tmp, 'index.json'), OciIndexSchema);
    if (!index) throw new DockyardError('invalid archive: neither manifest.json nor index.json found');
    for (const entry of index.manifests) {
      const m = OciManifestSchema.parse(JSON.parse(await fs.readFile(blobPath(tmp, entry.digest), 'utf8')));
      const id = await loadOne(
        store,
        tmp,
        path.relative(tmp, blobPath(tmp, m.config.digest)),
        m.layers.map((l) => path.relative(tmp, blobPath(tmp, l.digest))),
      );
      const name =
        entry.annotations?.['io.containerd.image.name'] ??
        entry.annotations?.['org.opencontainers.image.ref.name'];
      if (name?.includes(':') || (name && !/^[\w.-]+$/.test(name))) {
        await store.tag(id, name);
        loaded.push(`Loaded image: ${normalizeReference(name)}`);
      } else loaded.push(`Loaded image ID: ${id}`);
    }
    return loaded;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

function blobPath(root: string, digest: string): string {
  const [alg, h] = digest.split(':');
  if (!alg || !h || !/^[a-z0-9]+$/.test(alg) || !/^[0-9a-f]+$/.test(h))
    throw new DockyardError(`invalid digest ${digest}`);
  return path.join(root, 'blobs', alg, h);
}

async function loadOne(
  store: ImageStore,
  root: string,
  configRel: string,
  layersRel: string[],
): Promise<string> {
  const configBytes = await fs.readFile(safeJoin(root, configRel));
  const config = ImageConfigSchema.parse(JSON.parse(configBytes.toString()));
  const diffIds: string[] = [];
  for (const rel of layersRel) {
    diffIds.push(await store.addLayer(await decompressed(createReadStream(safeJoin(root, rel)))));
  }
  if (diffIds.join() !== config.rootfs.diff_ids.join()) {
    throw new DockyardError('invalid archive: layer digests do not match the image config rootfs.diff_ids');
  }
  return store.putConfig(configBytes);
}
