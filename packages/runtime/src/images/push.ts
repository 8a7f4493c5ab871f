import { createReadStream, promises as fs } from 'node:fs';
import { createGzip } from 'node:zlib';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { recordEvent } from '../events.js';
import { mapLimit, type Progress, throttled } from './pull.js';
import { type Descriptor, MediaTypes, type RegistryAuth, RegistryClient, sha256 } from './registry.js';
import { BlobMetadata } from './registry-metadata.js';
import { familiarName, parseRemoteReference } from './registry-reference.js';

export interface PushOptions {
  auth?: RegistryAuth;
  progress?: Progress;
  env?: NodeJS.ProcessEnv;
}

export interface PushResult {
  tag: string;
  digest: string;
  size: number;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const GZIP_TYPES = new Set<string>([
  MediaTypes.dockerLayerGzip,
  'application/vnd.oci.image.layer.v1.tar+gzip',
]);

/**
 * `docker push`: uploads each layer (the stored tar, gzipped) unless the registry already has it — known from the
 * digests recorded when the layer was pulled or pushed before — or can mount it from another repository on the
 * same registry; then the config and a schema2 manifest per tag. `tag` undefined pushes every local tag of `name`.
 */
export async function pushImage(
  engine: Engine,
  name: string,
  tag: string | undefined,
  o: PushOptions = {},
): Promise<PushResult[]> {
  const r = parseRemoteReference(tag ? `${name}:${tag}` : name);
  if (r.digest) throw new DockyardError('cannot push a digest reference');
  const store = engine.images;
  const familiar = familiarName(r);
  const repos = await store.repositories();
  const tags = Object.keys(repos)
    .filter((k) => k.slice(0, k.lastIndexOf(':')) === familiar)
    .map((k) => k.slice(k.lastIndexOf(':') + 1))
    .filter((t) => !r.tag || t === r.tag)
    .sort();
  if (!tags.length) {
    throw new DockyardError(
      `An image does not exist locally with the tag: ${r.tag ? `${familiar}:${r.tag}` : familiar}`,
      1,
      'not-found',
    );
  }
  const progress = o.progress ?? (() => {});
  const repository = `${r.domain}/${r.path}`;
  progress({ status: `The push refers to repository [${repository}]` });
  const client = new RegistryClient(r.domain, { auth: o.auth, env: o.env });
  const metadata = new BlobMetadata(store);
  const results: PushResult[] = [];
  try {
    for (const t of tags) {
      const id = repos[`${familiar}:${t}`];
      if (!id) continue;
      const config = await store.getConfig(id);
      const configBytes = await store.configBytes(id);
      const diffIds = config.rootfs.diff_ids;
      // docker lists layers top-down.
      for (const d of [...diffIds].reverse())
        progress({ status: 'Preparing', id: short(d), progressDetail: {} });
      const layers = await mapLimit(diffIds, 3, (d) =>
        pushLayer(engine, client, metadata, r.path, repository, d, progress),
      );
      if ((await client.blobSize(r.path, sha256(configBytes), true)) === undefined) {
        await client.uploadBytes(r.path, configBytes);
      }
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, size: configBytes.length, digest: id },
        layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
      };
      const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
      const digest = await client.putManifest(r.path, t, bytes, MediaTypes.dockerManifest);
      await store.addRepoDigest(familiar, digest, id);
      progress({ status: `${t}: digest: ${digest} size: ${bytes.length}` });
      progress({ status: '', progressDetail: {}, aux: { Tag: t, Digest: digest, Size: bytes.length } });
      results.push({ tag: t, digest, size: bytes.length });
      const pushed = `${familiar}:${t}`;
      await recordEvent(engine.cfg, {
        Type: 'image',
        Action: 'push',
        Actor: { ID: pushed, Attributes: { name: pushed } },
      });
    }
    return results;
  } finally {
    client.close();
  }
}

async function pushLayer(
  engine: Engine,
  client: RegistryClient,
  metadata: BlobMetadata,
  repoPath: string,
  repository: string,
  diffId: string,
  progress: Progress,
): Promise<Required<Pick<Descriptor, 'digest' | 'size'>> & { mediaType: string }> {
  const id = short(diffId);
  const known = (await metadata.get(diffId)).filter((e) => GZIP_TYPES.has(e.mediaType) || e.mediaType === '');
  const domain = repository.slice(0, repository.length - repoPath.length - 1);
  // Already in this repository?
  for (const e of known.filter((k) => k.repository === repository)) {
    if ((await client.blobSize(repoPath, e.digest, true)) !== undefined) {
      progress({ status: 'Layer already exists', id, progressDetail: {} });
      return { digest: e.digest, size: e.size, mediaType: e.mediaType || MediaTypes.dockerLayerGzip };
    }
  }
  // In another repository of the same registry: link it there instead of uploading.
  for (const e of known.filter((k) => k.repository !== repository && k.repository.startsWith(`${domain}/`))) {
    const from = e.repository.slice(domain.length + 1);
    if (await client.mountBlob(repoPath, e.digest, from)) {
      progress({ status: `Mounted from ${from}`, id, progressDetail: {} });
      await metadata.add(diffId, { ...e, repository });
      return { digest: e.digest, size: e.size, mediaType: e.mediaType || MediaTypes.dockerLayerGzip };
    }
  }
  const tar = engine.images.layerTar(diffId);
  const total = (await fs.stat(tar)).size;
  const tick = throttled(progress, 'Pushing', id, total);
  let read = 0;
  const source = createReadStream(tar);
  source.on('data', (c) => {
    read += c.length;
    tick(read);
  });
  const gz = createGzip();
  source.on('error', (e) => gz.destroy(e));
  const desc = await client.uploadBlob(repoPath, source.pipe(gz));
  const entry = { digest: desc.digest, size: desc.size, repository, mediaType: MediaTypes.dockerLayerGzip };
  await metadata.add(diffId, entry);
  progress({ status: 'Pushed', id, progressDetail: {} });
  return entry;
}
