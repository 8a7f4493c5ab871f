import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrIn, containerId, defaultRouteIn, must, sh, TestEnv } from './helpers.js';

describe('networks: records, bridges and rules', () => {
  const env = new TestEnv();
  beforeAll(async () => {
    await env.setup();
  });
  afterAll(async () => {
    await env.cleanup();
    expect(await env.iptablesLines()).toEqual([]);
    expect(await env.links()).toEqual([]);
  });

  it('creates the default bridge network with its gateway address, idempotently', async () => {
    await env.manager.ensureDefaultBridge();
    await env.manager.ensureDefaultBridge();
    const net = await env.manager.inspect('bridge');
    expect(net).toMatchObject({
      Name: 'bridge',
      Scope: 'local',
      Driver: 'bridge',
      Internal: false,
      IPAM: { Config: [{ Subnet: `10.${env.octet}.0.0/24`, Gateway: `10.${env.octet}.0.1` }] },
      Containers: {},
    });
    expect(net.Id).toMatch(/^[0-9a-f]{64}$/);
    const addr = await must('ip', ['-4', '-o', 'addr', 'show', 'dev', `${env.bridgePrefix}0`]);
    expect(addr).toContain(`10.${env.octet}.0.1/24`);
    const nat = await must('iptables', ['-t', 'nat', '-S', `${env.chainPrefix}-POSTROUTING`]);
    expect(nat).toContain(`-s 10.${env.octet}.0.0/24 ! -o ${env.bridgePrefix}0`);
    expect(nat.match(/MASQUERADE/g)).toHaveLength(3);
    // Hooked exactly once even though ensureDefaultBridge ran twice.
    const forward = (await must('iptables', ['-S', 'FORWARD'])).split('\n');
    expect(forward.filter((l) => l.includes(env.chainPrefix))).toEqual([
      `-A FORWARD -j ${env.chainPrefix}-ISOLATION`,
      `-A FORWARD -j ${env.chainPrefix}-FORWARD`,
    ]);
  });

  it('lists bridge, host and none like Docker', async () => {
    const nets = await env.manager.list();
    expect(nets.map((n) => [n.Name, n.Driver])).toEqual([
      ['bridge', 'bridge'],
      ['host', 'host'],
      ['none', 'null'],
    ]);
  });

  it('gives a user network the first free /24 of the pool and a short bridge name', async () => {
    const net = await env.manager.create({ name: 'app-net', labels: { course: 'intro' } });
    expect(net.IPAM.Config).toEqual([
      { Subnet: `10.${env.octet}.128.0/24`, Gateway: `10.${env.octet}.128.1` },
    ]);
    const bridge = net.Options['com.docker.network.bridge.name'] ?? '';
    expect(bridge).toBe(`${env.bridgePrefix}-${net.Id.slice(0, 8)}`);
    expect(bridge.length).toBeLessThanOrEqual(15);
    expect((await sh('ip', ['link', 'show', 'dev', bridge])).code).toBe(0);
    expect((await env.manager.inspect(net.Id.slice(0, 10))).Labels).toEqual({ course: 'intro' });
    const second = await env.manager.create({ name: 'second' });
    expect(second.IPAM.Config[0]?.Subnet).toBe(`10.${env.octet}.129.0/24`);
    await env.manager.remove('second');
  });

  it('takes --subnet and --gateway, and rejects bad or overlapping ones', async () => {
    const o = env.octet;
    const net = await env.manager.create({
      name: 'custom',
      subnet: `10.${o}.64.0/26`,
      gateway: `10.${o}.64.62`,
    });
    expect(net.IPAM.Config).toEqual([{ Subnet: `10.${o}.64.0/26`, Gateway: `10.${o}.64.62` }]);
    await expect(env.manager.create({ name: 'x1', subnet: `10.${o}.64.32/27` })).rejects.toMatchObject({
      code: 'pool_overlap',
    });
    await expect(env.manager.create({ name: 'x2', subnet: `10.${o}.65.1/24` })).rejects.toMatchObject({
      code: 'invalid_subnet',
    });
    await expect(
      env.manager.create({ name: 'x3', subnet: `10.${o}.66.0/24`, gateway: `10.${o}.67.1` }),
    ).rejects.toMatchObject({ code: 'invalid_address' });
    await expect(env.manager.create({ name: 'custom' })).rejects.toThrow(
      'network with name custom already exists',
    );
    await expect(env.manager.create({ name: 'host' })).rejects.toMatchObject({ code: 'name_conflict' });
    await expect(env.manager.create({ name: '-bad' })).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(env.manager.create({ name: 'a' })).rejects.toMatchObject({ code: 'invalid_name' });
    await env.manager.remove('custom');
  });

  it('refuses a subnet that overlaps a route already on the host', async () => {
    const dummy = `${env.bridgePrefix}r`;
    env.trackLink(dummy);
    await must('ip', ['link', 'add', dummy, 'type', 'bridge']);
    await must('ip', ['addr', 'add', `10.${env.octet}.200.1/24`, 'dev', dummy]);
    await must('ip', ['link', 'set', dummy, 'up']);
    await expect(env.manager.create({ name: 'clash', subnet: `10.${env.octet}.200.0/25` })).rejects.toThrow(
      /overlaps the host route/,
    );
    await must('ip', ['link', 'del', dummy]);
    expect((await env.manager.list()).map((n) => n.Name)).not.toContain('clash');
  });

  it('gives an internal network no masquerading and drops traffic leaving or entering it', async () => {
    const net = await env.manager.create({ name: 'sealed', internal: true });
    expect(net.Internal).toBe(true);
    const bridge = net.Options['com.docker.network.bridge.name'] ?? '';
    const subnet = net.IPAM.Config[0]?.Subnet ?? '';
    const nat = await must('iptables', ['-t', 'nat', '-S', `${env.chainPrefix}-POSTROUTING`]);
    expect(nat).not.toContain(`-s ${subnet} ! -o ${bridge}`);
    const fwd = await must('iptables', ['-S', `${env.chainPrefix}-FORWARD`]);
    expect(fwd).toContain(`-A ${env.chainPrefix}-FORWARD -i ${bridge} ! -o ${bridge}`);
    expect(fwd).toMatch(new RegExp(`-i ${bridge} ! -o ${bridge} .*-j DROP`));
    expect(fwd).toMatch(new RegExp(`! -i ${bridge} -o ${bridge} .*-j DROP`));
    // A container on it gets its address but no default route out.
    const ns = await env.netns();
    const id = containerId();
    await env.manager.connect({ containerId: id, name: 'sealed-c', netnsPath: ns.path }, 'sealed');
    expect((await addrIn(ns.name, 'eth0')).up).toBe(true);
    expect(await defaultRouteIn(ns.name)).toEqual({});
    await env.manager.disconnect(id, 'sealed');
    await env.manager.remove('sealed');
  });

  it('removes a network with its bridge and rules, and refuses to remove predefined ones', async () => {
    const net = await env.manager.create({ name: 'short-lived' });
    const bridge = net.Options['com.docker.network.bridge.name'] ?? '';
    expect((await env.iptablesLines()).join('\n')).toContain(bridge);
    await env.manager.remove('short-lived');
    expect((await sh('ip', ['link', 'show', 'dev', bridge])).code).not.toBe(0);
    expect((await must('iptables-save', [])).includes(net.Id)).toBe(false);
    expect((await env.iptablesLines()).join('\n')).not.toContain(bridge);
    await expect(env.manager.inspect('short-lived')).rejects.toMatchObject({ code: 'not_found' });
    await expect(env.manager.remove('bridge')).rejects.toThrow(
      'bridge is a pre-defined network and cannot be removed',
    );
    await expect(env.manager.remove('none')).rejects.toMatchObject({ code: 'predefined' });
  });

  it('leaves the host as it found it after teardownHost()', async () => {
    await env.manager.teardownHost();
    expect(await env.iptablesLines()).toEqual([]);
    expect(await env.links()).toEqual([]);
    // ... and reconcile() brings the recorded networks back.
    await env.manager.reconcile();
    expect((await sh('ip', ['link', 'show', 'dev', `${env.bridgePrefix}0`])).code).toBe(0);
    expect((await env.iptablesLines()).length).toBeGreaterThan(0);
  });
});
