import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHosts, renderResolvConf } from '../../src/networks/hosts.js';
import { macFor } from '../../src/networks/index.js';
import { clashes } from '../../src/networks/ports.js';
import { NetworkStore } from '../../src/networks/store.js';
import { formatCidr, overlaps, parseCidr } from '../../src/networks/subnet.js';
import { serialized } from '../../src/state/lock.js';

describe('subnets', () => {
  it('parses CIDRs and rejects malformed ones or set host bits', () => {
    expect(formatCidr(parseCidr('10.89.3.0/24'))).toBe('10.89.3.0/24');
    expect(() => parseCidr('10.89.3.1/24')).toThrow(/host bits/);
    expect(() => parseCidr('10.89.3.0/33')).toThrow(/invalid CIDR/);
    expect(() => parseCidr('300.1.1.0/24')).toThrow(/invalid IPv4/);
    expect(() => parseCidr('nonsense')).toThrow(/invalid CIDR/);
  });

  it('detects overlapping ranges', () => {
    expect(overlaps(parseCidr('10.88.0.0/16'), parseCidr('10.88.5.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.88.0.0/16'), parseCidr('10.89.0.0/24'))).toBe(false);
    expect(overlaps(parseCidr('0.0.0.0/0'), parseCidr('192.168.1.0/24'))).toBe(true);
  });
});

describe('addresses and files', () => {
  it('derives the MAC from the IP like Docker', () => {
    expect(macFor('10.88.0.2')).toBe('02:42:0a:58:00:02');
  });

  it('sees a 0.0.0.0 binding clash with any address on the same port', () => {
    expect(clashes({ hostIp: '0.0.0.0', hostPort: 80 }, { hostIp: '127.0.0.1', hostPort: 80 })).toBe(true);
    expect(clashes({ hostIp: '127.0.0.2', hostPort: 80 }, { hostIp: '127.0.0.1', hostPort: 80 })).toBe(false);
    expect(clashes({ hostIp: '127.0.0.1', hostPort: 81 }, { hostIp: '127.0.0.1', hostPort: 80 })).toBe(false);
  });

  it('keeps only non-loopback nameservers in resolv.conf', () => {
    const out = renderResolvConf(
      'nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch lab\noptions ndots:1\n',
    );
    expect(out).toBe('nameserver 192.0.2.53\nsearch lab\noptions ndots:1\n');
    expect(renderResolvConf('nameserver 127.0.0.53\n')).not.toMatch(/^nameserver/m);
  });

  it('writes the container and its peers after the localhost header', () => {
    const out = renderHosts(
      [{ ip: '10.0.0.2', names: ['abc', 'web'] }],
      [{ ip: '10.0.0.3', names: ['db', 'db'] }],
    );
    expect(out.split('\n')[0]).toBe('127.0.0.1\tlocalhost');
    expect(out).toContain('10.0.0.2\tabc web\n');
    expect(out).toContain('10.0.0.3\tdb\n');
  });
});

describe('input checks', () => {
  it('refuses container ids that could escape the state directory, before touching anything', async () => {
    const { NetworkManager } = await import('../../src/networks/index.js');
    const m = new NetworkManager({
      stateRoot: '/nonexistent-dockyard-root',
      runRoot: '/nonexistent-dockyard-run',
    });
    await expect(m.hostsFile('../../etc/passwd')).rejects.toThrow();
    await expect(m.unpublish('a/b')).rejects.toThrow();
    await expect(m.disconnect('..', 'bridge')).rejects.toThrow();
    await expect(m.create({ name: 'has space' })).rejects.toMatchObject({ code: 'invalid_name' });
  });
});

describe('locks', () => {
  it('work started under the networks lock that runs on after it takes the lock again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dynetlock-'));
    const store = new NetworkStore(dir);
    const order: string[] = [];
    let later: Promise<unknown> = Promise.resolve();
    await store.withLock(async () => {
      later = store.outsideLock(() =>
        Promise.resolve().then(() => store.withLock(async () => order.push('later'))),
      );
      await new Promise((r) => setTimeout(r, 50));
      order.push('holder done');
    });
    await later;
    expect(order).toEqual(['holder done', 'later']);
    await rm(dir, { recursive: true, force: true });
  });

  it('serializes callers in one process in the order they came', async () => {
    const order: number[] = [];
    await Promise.all(
      [30, 0, 10].map((ms, i) =>
        serialized('units-test', async () => {
          await new Promise((r) => setTimeout(r, ms));
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2]);
  });
});
