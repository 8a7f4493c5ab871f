import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { z } from 'zod';
import { serialized } from '../state/lock.js';
import {
  type EndpointRecord,
  endpointRecordSchema,
  type IpamRecord,
  ipamRecordSchema,
  type NetworkRecord,
  networkRecordSchema,
} from './types.js';

const lockHeld = new AsyncLocalStorage<true>();

/**
 * The on-disk state of networking under `<stateRoot>/networks/`:
 * `<id>.json` (networks), `ipam/<id>.json` (allocations), `endpoints/<containerId>.json` (attachments, ports).
 * Every change happens under one lock file so concurrent `dockyard` processes serialize.
 */
export class NetworkStore {
  readonly dir: string;

  constructor(stateRoot: string) {
    this.dir = join(stateRoot, 'networks');
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(join(this.dir, 'ipam'), { recursive: true });
    await mkdir(join(this.dir, 'endpoints'), { recursive: true });
  }

  /** Runs `fn` holding the cross-process lock; re-entrant within one async call chain. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (lockHeld.getStore()) return fn();
    return serialized(join(this.dir, '.lock'), async () => {
      await this.ensureDirs();
      const release = await lockfile.lock(this.dir, {
        lockfilePath: join(this.dir, '.lock'),
        // A holder that died leaves the lock dir behind; its mtime stops being refreshed and it goes stale.
        stale: 10_000,
        retries: { retries: 2000, factor: 1.2, minTimeout: 5, maxTimeout: 100 },
        onCompromised: () => {},
      });
      try {
        return await lockHeld.run(true, fn);
      } finally {
        await release().catch(() => {});
      }
    });
  }

  /** Runs fn as if no lock were held: for work started under the lock that outlives it (it must lock again). */
  outsideLock<T>(fn: () => T): T {
    return lockHeld.exit(fn);
  }

  async listNetworks(): Promise<NetworkRecord[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const records: NetworkRecord[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).sort()) {
      const rec = await readJson(join(this.dir, name), networkRecordSchema);
      if (rec) records.push(rec);
    }
    return records;
  }

  writeNetwork(rec: NetworkRecord): Promise<void> {
    return writeJsonAtomic(join(this.dir, `${rec.Id}.json`), { ...rec, Containers: {} });
  }

  async deleteNetwork(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    await rm(join(this.dir, 'ipam', `${id}.json`), { force: true });
  }

  async readIpam(networkId: string): Promise<IpamRecord> {
    return (
      (await readJson(join(this.dir, 'ipam', `${networkId}.json`), ipamRecordSchema)) ?? { allocations: {} }
    );
  }

  writeIpam(networkId: string, rec: IpamRecord): Promise<void> {
    return writeJsonAtomic(join(this.dir, 'ipam', `${networkId}.json`), rec);
  }

  readEndpoint(containerId: string): Promise<EndpointRecord | undefined> {
    return readJson(join(this.dir, 'endpoints', `${containerId}.json`), endpointRecordSchema);
  }

  async listEndpoints(): Promise<EndpointRecord[]> {
    const names = await readdir(join(this.dir, 'endpoints')).catch(() => [] as string[]);
    const records: EndpointRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const rec = await readJson(join(this.dir, 'endpoints', name), endpointRecordSchema);
      if (rec) records.push(rec);
    }
    return records;
  }

  /** Writes the record, or deletes it once nothing is attached or published any more. */
  async writeEndpoint(rec: EndpointRecord): Promise<void> {
    const path = join(this.dir, 'endpoints', `${rec.containerId}.json`);
    if (rec.attachments.length === 0 && rec.ports.length === 0) await rm(path, { force: true });
    else await writeJsonAtomic(path, rec);
  }
}

async function readJson<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return schema.parse(JSON.parse(text));
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
