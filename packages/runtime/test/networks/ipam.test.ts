import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocateAddress, releaseAddress } from '../../src/networks/ipam.js';
import { NetworkStore } from '../../src/networks/store.js';

const networkId = 'a'.repeat(64);
const pool = { networkId, subnet: '10.0.0.0/24', gateway: '10.0.0.1' };

describe('IPAM', () => {
  let stateRoot: string;
  beforeEach(async () => {
    stateRoot = await mkdtemp(join(tmpdir(), 'dytest-ipam-'));
  });
  afterEach(async () => {
    await rm(stateRoot, { recursive: true, force: true });
  });

  it('hands out the lowest free address after the gateway and reuses released ones', async () => {
    const store = new NetworkStore(stateRoot);
    expect(await allocateAddress(store, pool, 'c1')).toBe('10.0.0.2');
    expect(await allocateAddress(store, pool, 'c2')).toBe('10.0.0.3');
    await releaseAddress(store, networkId, '10.0.0.2');
    expect(await allocateAddress(store, pool, 'c3')).toBe('10.0.0.2');
    expect((await store.readIpam(networkId)).allocations).toEqual({ '10.0.0.2': 'c3', '10.0.0.3': 'c2' });
  });

  it('honours a requested address and refuses one in use, outside the subnet, or the broadcast', async () => {
    const store = new NetworkStore(stateRoot);
    expect(await allocateAddress(store, pool, 'c1', '10.0.0.77')).toBe('10.0.0.77');
    await expect(allocateAddress(store, pool, 'c2', '10.0.0.77')).rejects.toMatchObject({
      code: 'address_in_use',
    });
    await expect(allocateAddress(store, pool, 'c2', '10.0.0.1')).rejects.toMatchObject({
      code: 'address_in_use',
    });
    await expect(allocateAddress(store, pool, 'c2', '10.0.1.5')).rejects.toMatchObject({
      code: 'invalid_address',
    });
    await expect(allocateAddress(store, pool, 'c2', '10.0.0.255')).rejects.toMatchObject({
      code: 'invalid_address',
    });
  });

  it('runs out cleanly when the pool is full', async () => {
    const store = new NetworkStore(stateRoot);
    const tiny = { networkId, subnet: '10.0.0.0/30', gateway: '10.0.0.1' };
    expect(await allocateAddress(store, tiny, 'c1')).toBe('10.0.0.2');
    await expect(allocateAddress(store, tiny, 'c2')).rejects.toMatchObject({ code: 'pool_exhausted' });
  });

  it('gives distinct addresses to concurrent allocations in one process', async () => {
    const stores = [new NetworkStore(stateRoot), new NetworkStore(stateRoot), new NetworkStore(stateRoot)];
    const ips = await Promise.all(
      Array.from({ length: 30 }, (_, i) => allocateAddress(stores[i % 3] as NetworkStore, pool, `c${i}`)),
    );
    expect(new Set(ips).size).toBe(30);
    expect(Object.keys((await stores[0]?.readIpam(networkId))?.allocations ?? {})).toHaveLength(30);
  });

  it('gives distinct addresses to concurrent allocations from several processes', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'allocate.ts');
    const runChild = (tag: string) =>
      new Promise<string[]>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', script, stateRoot, networkId, '8', tag],
          { encoding: 'utf8' },
          (err, stdout, stderr) =>
            err ? reject(new Error(stderr)) : resolve(JSON.parse(stdout) as string[]),
        );
      });
    const results = await Promise.all(['p1', 'p2', 'p3', 'p4'].map(runChild));
    const all = results.flat();
    expect(all).toHaveLength(32);
    expect(new Set(all).size).toBe(32);
    const recorded = (await new NetworkStore(stateRoot).readIpam(networkId)).allocations;
    expect(Object.keys(recorded).sort()).toEqual([...all].sort());
  });
});
