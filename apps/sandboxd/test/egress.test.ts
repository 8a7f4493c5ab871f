import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxManager, type BoxRecord } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import { labImage, leftovers, removeCgroupParent, uniqueNames } from './helpers.js';

/**
 * Egress, tested without ever touching a real outside address: a network namespace of our own plays the internet
 * (203.0.113.1), the metadata service (169.254.169.254) and a private host (10.250.0.1), and the lab bridge's
 * forwarded traffic is routed into it (policy routing for packets arriving from the bridge only, with a blackhole
 * for everything else, so the machine's real uplink is never in the path). A counter in that namespace shows
 * whether anything from a box arrives.
 */
const names = uniqueNames('egr');
const work = mkdtempSync(join(tmpdir(), 'dy-egress-'));
chmodSync(work, 0o711);
const network = {
  bridge: names.bridge,
  subnet: `10.237.${names.n % 250}.0/24`,
  chain: 'DOCKYARD-LABS',
};
const fakeNet = `dytinet-${names.suffix}`;
const hostVeth = `dyti${names.suffix}h`;
const netVeth = `dyti${names.suffix}n`;
const link = { host: `198.18.${names.n % 250}.1`, net: `198.18.${names.n % 250}.2` };
const table = String(20_000 + (names.n % 10_000));
const targets = ['203.0.113.1', '169.254.169.254', '10.250.0.1'];
const manager = new BoxManager({
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  imageRootfs: labImage(),
  idBase: 13_000_000 + (names.n % 100) * 2 * 65536,
  maxBoxes: 2,
  network,
  cgroupParent: names.cgroupParent,
  defaultLimits: { memoryBytes: 2 ** 28, memorySwapBytes: 2 ** 28, pids: 256, cpus: 1, tmpBytes: 2 ** 25 },
});
let box: BoxRecord;
const sh = (...argv: string[]) => execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
const inNet = (...argv: string[]) => sh('ip', 'netns', 'exec', fakeNet, ...argv);
const controlRule = ['FORWARD', '-i', network.bridge, '-s', '', '-d', '203.0.113.1', '-j', 'ACCEPT'];

/** Packets from the lab subnet that reached the fake outside world. */
function arrived(): number {
  const out = inNet('iptables', '-t', 'mangle', '-nvxL', 'PREROUTING');
  const line = out.split('\n').find((l) => l.includes(network.subnet));
  return Number(line?.trim().split(/\s+/)[0] ?? Number.NaN);
}

beforeAll(async () => {
  await manager.init();
  box = await manager.create({ owner: 'student-egress' });
  controlRule[4] = box.address;
  sh('ip', 'netns', 'add', fakeNet);
  sh('ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', netVeth);
  sh('ip', 'link', 'set', netVeth, 'netns', fakeNet);
  sh('ip', 'addr', 'add', `${link.host}/30`, 'dev', hostVeth);
  sh('ip', 'link', 'set', hostVeth, 'up');
  inNet('ip', 'link', 'set', 'lo', 'up');
  inNet('ip', 'addr', 'add', `${link.net}/30`, 'dev', netVeth);
  inNet('ip', 'link', 'set', netVeth, 'up');
  for (const address of targets) inNet('ip', 'addr', 'add', `${address}/32`, 'dev', 'lo');
  inNet('ip', 'route', 'add', network.subnet, 'via', link.host);
  inNet('iptables', '-t', 'mangle', '-A', 'PREROUTING', '-s', network.subnet, '-j', 'ACCEPT');
  for (const address of targets) sh('ip', 'route', 'add', `${address}/32`, 'via', link.net, 'table', table);
  sh('ip', 'route', 'add', 'blackhole', 'default', 'table', table);
  sh('ip', 'rule', 'add', 'iif', network.bridge, 'lookup', table, 'pref', table);
});

afterAll(async () => {
  while (spawnSync('iptables', ['-w', '5', '-C', ...controlRule]).status === 0) {
    spawnSync('iptables', ['-w', '5', '-D', ...controlRule]);
  }
  spawnSync('ip', ['rule', 'del', 'pref', table]);
  spawnSync('ip', ['route', 'flush', 'table', table]);
  spawnSync('ip', ['link', 'del', hostVeth]);
  spawnSync('ip', ['netns', 'del', fakeNet]);
  for (const b of manager.list()) await manager.destroy(b.id);
  await removeLabNetwork(network);
  removeCgroupParent(names.cgroupParent);
  expect(leftovers([work, names.bridge, hostVeth])).toEqual([]);
  rmSync(work, { recursive: true, force: true });
});

describe('egress from a box', () => {
  it('never reaches the internet, the metadata service or a private range; the host still reaches the box', async () => {
    // The path exists: the kernel would route the box's packets into the fake world.
    const route = sh('ip', 'route', 'get', '203.0.113.1', 'from', box.address, 'iif', network.bridge);
    expect(route).toContain(hostVeth);
    const before = arrived();
    expect(before).toBe(0);
    for (const address of targets) {
      const out = await manager.exec(box.id, [
        'sh',
        '-c',
        `ping -c 1 -W 1 ${address} >/dev/null 2>&1; curl -s --max-time 2 http://${address}/ >/dev/null; busybox nslookup -timeout=1 example.org ${address} >/dev/null 2>&1; echo tried`,
      ]);
      expect(out.trim()).toBe('tried');
    }
    expect(arrived()).toBe(0);
    expect(spawnSync('ping', ['-c1', '-W2', box.address]).status).toBe(0);
  });

  it('the counter would see a leak: with the fence opened for one packet flow, it arrives', async () => {
    sh('iptables', '-w', '5', '-I', ...controlRule);
    try {
      await manager.exec(box.id, ['sh', '-c', 'ping -c 1 -W 1 203.0.113.1 >/dev/null 2>&1; true']);
    } finally {
      sh('iptables', '-w', '5', '-D', ...controlRule);
    }
    expect(arrived()).toBeGreaterThan(0);
  });
});
