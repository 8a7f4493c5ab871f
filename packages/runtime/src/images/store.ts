import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DockyardError, noSuchImage } from '../errors.js';
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from '../state/files.js';
import { withLock } from '../state/lock.js';
import { formatReference, normalizeReference, parseReference } from './reference.js';
import {
  type ImageConfig,
  ImageConfigSchema,
  type ImageRecord,
  type LayerMeta,
  LayerMetaSchema,
  RepositoriesSchema,
} from './types.js';
import { unpackLayer } from './unpack.js';

const hex = (digest: string) => digest.replace(/^sha256:/, '');

/**
 * Content-addressed image store:
 *   images/layers/<diffid hex>/{diff/, layer.tar, layer.json}  – one unpacked layer, keyed by the sha256 of its tar
 *   images/configs/<image id hex>.json                          – image config bytes; image id = sha256 of them
 *   images/repositories.json                                   – "repo:tag" → image id
 */
export class ImageStore {
  readonly dir: string;
  constructor(readonly root: string) {
    this.dir = path.join(root, 'images');
  }

  layerPath(diffId: string): string {
    return path.join(this.dir, 'layers', hex(diffId));
  }
  layerDiff(diffId: string): string {
    return path.join(this.layerPath(diffId), 'diff');
  }
  layerTar(diffId: string): string {
    return path.join(this.layerPath(diffId), 'layer.tar');
  }
  private configPath(id: string): string {
    return path.join(this.dir, 'configs', `${hex(id)}.json`);
  }
  private get reposFile(): string {
    return path.join(this.dir, 'repositories.json');
  }
  /** "repo@sha256:<manifest digest>" → image id, for images pulled from or pushed to a registry. */
  private get digestsFile(): string {
    return path.join(this.dir, 'repodigests.json');
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.root, 'images', fn);
  }

  async hasLayer(diffId: string): Promise<boolean> {
    return exists(path.join(this.layerPath(diffId), 'layer.json'));
  }

  async layerMeta(diffId: string): Promise<LayerMeta | undefined> {
    return readJson(path.join(this.layerPath(diffId), 'layer.json'), LayerMetaSchema);
  }

  /**
   * Stores an uncompressed layer tar: hashes it, unpacks it once, keeps the tar for `save`. Returns its diff id.
   * With `expectDiffId`, a tar that hashes differently is refused before anything enters the store.
   */
  async addLayer(source: Readable, expectDiffId?: string): Promise<string> {
    const tmp = path.join(this.dir, 'tmp', `layer-${randomBytes(8).toString('hex')}`);
    await fs.mkdir(tmp, { recursive: true });
    try {
      const hash = createHash('sha256');
      let size = 0;
      const tarFile = path.join(tmp, 'layer.tar');
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const c of chunks) {
            hash.update(c);
            size += c.length;
            yield c;
          }
        },
        createWriteStream(tarFile),
      );
      const diffId = `sha256:${hash.digest('hex')}`;
      if (expectDiffId && diffId !== expectDiffId) {
        throw new DockyardError(`layer diff id ${diffId} does not match the image config's ${expectDiffId}`);
      }
      if (await this.hasLayer(diffId)) return diffId;
      await unpackLayer(createReadStream(tarFile), path.join(tmp, 'diff'));
      const meta: LayerMeta = { diffId, size, created: new Date().toISOString() };
      await writeJsonAtomic(path.join(tmp, 'layer.json'), meta);
      const final = this.layerPath(diffId);
      await fs.mkdir(path.dirname(final), { recursive: true });
      try {
        await fs.rename(tmp, final);
      } catch (e) {
        // Another process stored the same layer first: theirs is identical.
        if (!(await this.hasLayer(diffId))) throw e;
      }
      return diffId;
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Writes an image config and returns the image id (sha256 of the exact bytes). */
  async putConfig(config: ImageConfig | Buffer): Promise<string> {
    const bytes = Buffer.isBuffer(config) ? config : Buffer.from(JSON.stringify(config));
    const parsed = ImageConfigSchema.parse(JSON.parse(bytes.toString()));
    for (const d of parsed.rootfs.diff_ids) {
      if (!(await this.hasLayer(d))) throw new DockyardError(`layer ${d} is missing from the layer store`);
    }
    const id = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const file = this.configPath(id);
    if (!(await exists(file))) await writeFileAtomic(file, bytes);
    return id;
  }

  async configBytes(id: string): Promise<Buffer> {
    return fs.readFile(this.configPath(id));
  }

  async getConfig(id: string): Promise<ImageConfig> {
    const c = await readJson(this.configPath(id), ImageConfigSchema);
    if (!c) throw noSuchImage(id);
    return c;
  }

  async repositories(): Promise<Record<string, string>> {
    return (await readJson(this.reposFile, RepositoriesSchema)) ?? {};
  }

  async repoDigests(): Promise<Record<string, string>> {
    return (await readJson(this.digestsFile, RepositoriesSchema)) ?? {};
  }

  /** Records that `repo@digest` (a registry manifest) is this image. */
  async addRepoDigest(repo: string, digest: string, id: string): Promise<void> {
    const key = `${parseReference(repo).repo}@${digest}`;
    await this.withLock(async () => {
      const all = await this.repoDigests();
      all[key] = id;
      await writeJsonAtomic(this.digestsFile, all);
    });
  }

  /** Forgets `repo@digest` references; returns the ones that existed. */
  async removeRepoDigests(keys: string[]): Promise<string[]> {
    if (!keys.length) return [];
    return this.withLock(async () => {
      const all = await this.repoDigests();
      const gone = keys.filter((k) => k in all);
      for (const k of gone) delete all[k];
      if (gone.length) await writeJsonAtomic(this.digestsFile, all);
      return gone;
    });
  }

  async digestsOf(id: string): Promise<string[]> {
    return Object.entries(await this.repoDigests())
      .filter(([, v]) => v === id)
      .map(([k]) => k)
      .sort();
  }

  async imageIds(): Promise<string[]> {
    const files = await fs.readdir(path.join(this.dir, 'configs')).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => `sha256:${f.slice(0, -5)}`);
  }

  /** Resolves a tag, a full id, or an id prefix (≥ 1 hex char as docker allows) to an image id. */
  async resolve(ref: string): Promise<string | undefined> {
    const at = ref.indexOf('@');
    if (at > 0) {
      const name = safeNormalize(ref.slice(0, at));
      if (!name) return undefined;
      return (await this.repoDigests())[`${name.slice(0, name.lastIndexOf(':'))}${ref.slice(at)}`];
    }
    const repos = await this.repositories();
    const idLike = ref.replace(/^sha256:/, '');
    if (/^[0-9a-f]{1,64}$/.test(idLike)) {
      const matches = (await this.imageIds()).filter((id) => hex(id).startsWith(idLike));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1 && !repos[safeNormalize(ref) ?? '']) {
        throw new DockyardError(
          `Error response from daemon: multiple IDs found with provided prefix: ${ref}`,
        );
      }
    }
    const norm = safeNormalize(ref);
    return norm ? repos[norm] : undefined;
  }

  async require(ref: string): Promise<string> {
    const id = await this.resolve(ref);
    if (!id) throw noSuchImage(ref);
    return id;
  }

  async tag(id: string, ref: string): Promise<void> {
    const norm = normalizeReference(ref);
    await this.withLock(async () => {
      const repos = await this.repositories();
      repos[norm] = id;
      await writeJsonAtomic(this.reposFile, repos);
    });
  }

  /** Removes a tag; returns the image id it pointed to. */
  async untag(ref: string): Promise<string | undefined> {
    const norm = normalizeReference(ref);
    return this.withLock(async () => {
      const repos = await this.repositories();
      const id = repos[norm];
      delete repos[norm];
      await writeJsonAtomic(this.reposFile, repos);
      return id;
    });
  }

  async tagsOf(id: string): Promise<string[]> {
    const repos = await this.repositories();
    return Object.entries(repos)
      .filter(([, v]) => v === id)
      .map(([k]) => k)
      .sort();
  }

  async get(id: string): Promise<ImageRecord> {
    const config = await this.getConfig(id);
    let size = 0;
    for (const d of config.rootfs.diff_ids) size += (await this.layerMeta(d))?.size ?? 0;
    const st = await fs.stat(this.configPath(id));
    return {
      id,
      config,
      tags: await this.tagsOf(id),
      digests: await this.digestsOf(id),
      size,
      created: config.created ?? st.mtime.toISOString(),
    };
  }

  async list(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const id of await this.imageIds()) out.push(await this.get(id));
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  /** Deletes an image config and every layer no other image references. */
  async deleteImage(id: string): Promise<string[]> {
    return this.withLock(async () => {
      const repos = await this.repositories();
      for (const [k, v] of Object.entries(repos)) if (v === id) delete repos[k];
      await writeJsonAtomic(this.reposFile, repos);
      const digests = await this.repoDigests();
      if (Object.values(digests).includes(id)) {
        for (const [k, v] of Object.entries(digests)) if (v === id) delete digests[k];
        await writeJsonAtomic(this.digestsFile, digests);
      }
      const config = await this.getConfig(id);
      await fs.rm(this.configPath(id), { force: true });
      const used = new Set<string>();
      for (const other of await this.imageIds()) {
        for (const d of (await this.getConfig(other)).rootfs.diff_ids) used.add(d);
      }
      const removed: string[] = [];
      for (const d of config.rootfs.diff_ids) {
        if (used.has(d) || removed.includes(d)) continue;
        await fs.rm(this.layerPath(d), { recursive: true, force: true });
        removed.push(d);
      }
      return removed;
    });
  }
}

function safeNormalize(ref: string): string | undefined {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return undefined;
  }
}
