import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DockyardError, noSuchVolume } from '../errors.js';
import { readJson, writeJsonAtomic } from '../state/files.js';
import { withLock } from '../state/lock.js';

export const VolumeSchema = z.object({
  Name: z.string(),
  Driver: z.literal('local'),
  Mountpoint: z.string(),
  CreatedAt: z.string(),
  Labels: z.record(z.string(), z.string()),
  Scope: z.literal('local'),
  Options: z.record(z.string(), z.string()),
  /** true for volumes created implicitly by `-v name:/path` or an image VOLUME (docker's anonymous volumes). */
  Anonymous: z.boolean().default(false),
});
export type Volume = z.infer<typeof VolumeSchema>;

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Named volumes: <root>/volumes/<name>/{_data/, volume.json}. */
export class VolumeStore {
  readonly dir: string;
  constructor(readonly root: string) {
    this.dir = path.join(root, 'volumes');
  }

  private meta(name: string): string {
    return path.join(this.dir, name, 'volume.json');
  }

  async get(name: string): Promise<Volume | undefined> {
    if (!VOLUME_NAME.test(name)) return undefined;
    return readJson(this.meta(name), VolumeSchema);
  }

  async require(name: string): Promise<Volume> {
    const v = await this.get(name);
    if (!v) throw noSuchVolume(name);
    return v;
  }

  async create(name?: string, labels: Record<string, string> = {}, anonymous = false): Promise<Volume> {
    const n = name || randomBytes(32).toString('hex');
    if (!VOLUME_NAME.test(n)) {
      throw new DockyardError(
        `Error response from daemon: create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed.`,
      );
    }
    return withLock(this.root, `volume-${n}`, async () => {
      const existing = await this.get(n);
      if (existing) return existing;
      const mountpoint = path.join(this.dir, n, '_data');
      await fs.mkdir(mountpoint, { recursive: true });
      const v: Volume = {
        Name: n,
        Driver: 'local',
        Mountpoint: mountpoint,
        CreatedAt: new Date().toISOString(),
        Labels: labels,
        Scope: 'local',
        Options: {},
        Anonymous: anonymous,
      };
      await writeJsonAtomic(this.meta(n), v);
      return v;
    });
  }

  async list(): Promise<Volume[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: Volume[] = [];
    for (const n of names.sort()) {
      const v = await this.get(n).catch(() => undefined);
      if (v) out.push(v);
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    await this.require(name);
    await fs.rm(path.join(this.dir, name), { recursive: true, force: true });
  }
}
