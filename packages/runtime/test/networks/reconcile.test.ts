import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerId, must, sh, TestEnv } from './helpers.js';

describe('reconcile after a crash', () => {
  const env = new TestEnv();
  beforeAll(async () => {
    await env.setup();
    await env.manager.ensureDefaultBridge();
  });
  afterAll(async () => {
    await env.cleanup();
    expect(await env.iptablesLines()).toEqual([]);
    expect(await env.links()).toEqual([]);
  });

  const endpointsDir = () => join(env.stateRoot, 'networks', 'endpoints');
  const ipamOf = async (networkId: string) =>
    JSON.parse(await readFile(join(env.stateRoot, 'networks', 'ipam', `${networkId}.json`), 'utf8')) as {
      allocations: Record<string, string>;
    };

  it('removes the rules, addresses and records of containers that died, and keeps live ones', async () => {
    const net = await env.manager.create({ name: 'crashy' });
    const dead = await env.unsharedProcess();
    const live = await env.netns();
    const [deadId, liveId] = [containerId(), containerId()];
    const deadAtt = await env.manager.connect(
      { containerId: deadId, name: 'dead', netnsPath: dead.netnsPath },
      'crashy',
    );
    const liveAtt = await env.manager.connect(
      { containerId: liveId, name: 'live', netnsPath: live.path, hostsPath: live.hostsPath },
      'crashy',
    );
    await env.manager.publish(deadId, deadAtt.ip, [
      { hostIp: '127.0.0.1', hostPort: 23456, containerPort: 80, proto: 'tcp' },
    ]);
    await env.manager.publish(liveId, liveAtt.ip, [
      { hostIp: '127.0.0.1', hostPort: 23457, containerPort: 80, proto: 'tcp' },
    ]);
    expect(await readFile(live.hostsPath, 'utf8')).toContain('\tdead ');

    // The container dies without the engine noticing: its netns and veth vanish, everything else stays.
    dead.proc.kill('SIGKILL');
    await new Promise((r) => dead.proc.once('exit', r));
    expect((await must('iptables-save', [])).includes(`dockyard:${deadId}`)).toBe(true);

    // A fresh process (the engine after a restart) reconciles from disk alone.
    await env.newManager().reconcile();

    const rules = await must('iptables-save', []);
    expect(rules.includes(`dockyard:${deadId}`)).toBe(false);
    expect(rules.includes(`dockyard:${liveId}`)).toBe(true);
    expect((await ipamOf(net.Id)).allocations).toEqual({ [liveAtt.ip]: liveId });
    expect(await readdir(endpointsDir())).toEqual([`${liveId}.json`]);
    expect(await readFile(live.hostsPath, 'utf8')).not.toContain('\tdead ');
    expect(Object.keys((await env.manager.inspect('crashy')).Containers)).toEqual([liveId]);
    // The live container still works: its port is still published, its address not handed out again.
    const again = await env.manager.connect(
      { containerId: containerId(), name: 'next', netnsPath: (await env.netns()).path },
      'crashy',
    );
    expect(again.ip).toBe(deadAtt.ip);
  });

  it('removes veths, rules and allocations no record explains, and recreates a lost bridge', async () => {
    const bridge = `${env.bridgePrefix}0`;
    const defaultNet = await env.manager.inspect('bridge');
    // A veth left on our bridge by a connect that crashed before its record was written.
    const stray = `veth${containerId().slice(0, 8)}`;
    await must('ip', ['link', 'add', stray, 'type', 'veth', 'peer', 'name', `dyp${stray.slice(4)}`]);
    await must('ip', ['link', 'set', stray, 'master', bridge]);
    // A DNAT rule of a container that is long gone, and an allocation nobody holds.
    await must('iptables', [
      '-t',
      'nat',
      '-A',
      env.chainPrefix,
      '-p',
      'tcp',
      '-m',
      'tcp',
      '--dport',
      '23999',
      '-m',
      'comment',
      '--comment',
      'dockyard:ghost',
      '-j',
      'DNAT',
      '--to-destination',
      `10.${env.octet}.0.99:80`,
    ]);
    const { allocateAddress } = await import('../../src/networks/ipam.js');
    const { NetworkStore } = await import('../../src/networks/store.js');
    await allocateAddress(
      new NetworkStore(env.stateRoot),
      { networkId: defaultNet.Id, subnet: `10.${env.octet}.0.0/24`, gateway: `10.${env.octet}.0.1` },
      'ghost',
    );
    // And a bridge that went away (a reboot).
    await must('ip', [
      'link',
      'del',
      (await env.manager.inspect('crashy')).Options['com.docker.network.bridge.name'] ?? '',
    ]);

    await env.newManager().reconcile();

    expect((await sh('ip', ['link', 'show', stray])).code).not.toBe(0);
    expect((await must('iptables-save', [])).includes('dockyard:ghost')).toBe(false);
    expect(Object.values((await ipamOf(defaultNet.Id)).allocations)).not.toContain('ghost');
    const crashyBridge =
      (await env.manager.inspect('crashy')).Options['com.docker.network.bridge.name'] ?? '';
    expect((await sh('ip', ['link', 'show', crashyBridge])).code).toBe(0);
  });
});
