import path from 'node:path';
import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../state/files.js';
import type { ImageStore } from './store.js';

const EntrySchema = z.object({
  /** Digest of the compressed blob as the registry stores it. */
  digest: z.string(),
  /** domain/path of the repository it was pulled from or pushed to. */
  repository: z.string(),
  size: z.number(),
  mediaType: z.string(),
});
export type BlobEntry = z.infer<typeof EntrySchema>;
const FileSchema = z.array(EntrySchema);

const hex = (d: string) => d.replace(/^sha256:/, '');

/**
 * What dockerd calls v2 metadata: for each layer (by diff id), the compressed blobs it is known as in which
 * registry repositories. Push uses it to skip uploads (HEAD by the known digest) and to mount across repositories.
 */
export class BlobMetadata {
  constructor(private readonly store: ImageStore) {}

  private file(diffId: string): string {
    return path.join(this.store.dir, 'distribution', 'v2metadata', `${hex(diffId)}.json`);
  }

  async get(diffId: string): Promise<BlobEntry[]> {
    return (await readJson(this.file(diffId), FileSchema)) ?? [];
  }

  async add(diffId: string, entry: BlobEntry): Promise<void> {
    await this.store.withLock(async () => {
      const all = (await this.get(diffId)).filter(
        (e) => !(e.digest === entry.digest && e.repository === entry.repository),
      );
      all.unshift(entry);
      await writeJsonAtomic(this.file(diffId), all.slice(0, 50));
    });
  }
}
