import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type ContainerRecord, ContainerRecordSchema } from '../containers/record.js';
import { DockyardError, noSuchContainer } from '../errors.js';
import { readJson, type WriteOptions, writeJsonAtomic } from './files.js';
import { withLock } from './lock.js';

/**
 * Container records: <root>/containers/<id>/container.json plus the container's files beside it
 * (upper/, work/, rootfs/ mount point, bundle config.json, hosts, hostname, resolv.conf, logs/).
 * Volatile per-run state (shim state dir, exec state) lives under <run>/containers/<id>/.
 */
export class ContainerStore {
  constructor(
    readonly root: string,
    readonly run: string,
  ) {}

  dir(id: string): string {
    return path.join(this.root, 'containers', id);
  }
  runDir(id: string): string {
    return path.join(this.run, 'containers', id);
  }
  /** Kept short: attach.sock inside must fit a unix socket path (108 bytes). */
  shimDir(id: string): string {
    return path.join(this.run, 'shim', id);
  }
  execDir(id: string, execId: string): string {
    return path.join(this.run, 'exec', `${id.slice(0, 12)}-${execId.slice(0, 12)}`);
  }
  /** Removes the volatile state of a container's previous run (shim and exec state dirs). */
  async clearRunState(id: string): Promise<void> {
    await fs.rm(this.runDir(id), { recursive: true, force: true });
    await fs.rm(this.shimDir(id), { recursive: true, force: true });
    const execs = await fs.readdir(path.join(this.run, 'exec')).catch(() => [] as string[]);
    for (const e of execs) {
      if (e.startsWith(`${id.slice(0, 12)}-`))
        await fs.rm(path.join(this.run, 'exec', e), { recursive: true, force: true });
    }
  }
  logPath(id: string): string {
    return path.join(this.dir(id), 'logs', 'container.log');
  }

  /** Serialises create/rename/remove so names stay unique. */
  withNamesLock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.root, 'container-names', fn);
  }
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.root, `container-${id}`, fn);
  }

  async load(id: string): Promise<ContainerRecord | undefined> {
    return readJson(path.join(this.dir(id), 'container.json'), ContainerRecordSchema);
  }

  /** `durable: false` skips the fsync, for a state about to be replaced (a crash then shows the one before). */
  async save(rec: ContainerRecord, o: WriteOptions = {}): Promise<void> {
    await writeJsonAtomic(path.join(this.dir(rec.id), 'container.json'), rec, o);
  }

  async ids(): Promise<string[]> {
    const entries = await fs.readdir(path.join(this.root, 'containers')).catch(() => [] as string[]);
    return entries.filter((e) => /^[0-9a-f]{64}$/.test(e));
  }

  async list(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const id of await this.ids()) {
      const rec = await this.load(id).catch(() => undefined);
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => b.created.localeCompare(a.created));
  }

  /** Docker's lookup order: full id, exact name, unique id prefix. */
  async find(ref: string): Promise<ContainerRecord | undefined> {
    if (/^[0-9a-f]{64}$/.test(ref)) {
      const rec = await this.load(ref);
      if (rec) return rec;
    }
    const all = await this.list();
    const name = ref.replace(/^\//, '');
    const byName = all.find((c) => c.name === name);
    if (byName) return byName;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = all.filter((c) => c.id.startsWith(ref));
      if (matches.length > 1) {
        throw new DockyardError(
          `Error response from daemon: multiple IDs found with provided prefix: ${ref}`,
        );
      }
      return matches[0];
    }
    return undefined;
  }

  async get(ref: string): Promise<ContainerRecord> {
    const rec = await this.find(ref);
    if (!rec) throw noSuchContainer(ref);
    return rec;
  }

  /** Loads, mutates and saves a record under its lock. */
  async update(id: string, fn: (rec: ContainerRecord) => void | Promise<void>): Promise<ContainerRecord> {
    return this.withLock(id, async () => {
      const rec = await this.load(id);
      if (!rec) throw noSuchContainer(id);
      await fn(rec);
      await this.save(rec);
      return rec;
    });
  }

  async removeFiles(id: string): Promise<void> {
    await this.clearRunState(id);
    await fs.rm(this.dir(id), { recursive: true, force: true });
  }
}
