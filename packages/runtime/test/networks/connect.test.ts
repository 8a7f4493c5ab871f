import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addrIn, containerId, defaultRouteIn, must, pingFrom, sh, TestEnv } from './helpers.js';

describe('connecting containers', () => {
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

  it('gives the container eth0 with address, MAC and default route, and eth1 on a second network', async () => {
    const ns = await env.netns();
    const id = containerId();
    const att = await env.manager.connect({ containerId: id, name: 'first', netnsPath: ns.path }, 'bridge');
    const o = env.octet;
    expect(att).toMatchObject({
      network: 'bridge',
      ip: `10.${o}.0.2`,
      prefixLen: 24,
      gateway: `10.${o}.0.1`,
      ifname: 'eth0',
    });
    expect(att.mac).toBe(`02:42:0a:${o.toString(16).padStart(2, '0')}:00:02`);
    expect(await addrIn(ns.name, 'eth0')).toEqual({ address: `10.${o}.0.2/24`, mac: att.mac, up: true });
    expect((await addrIn(ns.name, 'lo')).up).toBe(true);
    expect(await defaultRouteIn(ns.name)).toEqual({ gateway: `10.${o}.0.1`, dev: 'eth0' });
    expect((await pingFrom(ns.name, `10.${o}.0.1`)).code).toBe(0);

    const user = await env.manager.create({ name: 'second-net' });
    const att2 = await env.manager.connect(
      { containerId: id, name: 'first', netnsPath: ns.path },
      'second-net',
    );
    expect(att2.ifname).toBe('eth1');
    expect(await defaultRouteIn(ns.name)).toEqual({ gateway: `10.${o}.0.1`, dev: 'eth0' });
    expect((await env.manager.inspect('second-net')).Containers).toEqual({
      [id]: {
        Name: 'first',
        EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/),
        MacAddress: att2.mac,
        IPv4Address: `${att2.ip}/24`,
        IPv6Address: '',
      },
    });
    await expect(
      env.manager.connect({ containerId: id, name: 'first', netnsPath: ns.path }, 'second-net'),
    ).rejects.toMatchObject({ code: 'already_connected' });
    await expect(env.manager.remove('second-net')).rejects.toMatchObject({ code: 'active_endpoints' });

    await env.manager.disconnect(id, user.Id.slice(0, 12));
    expect((await addrIn(ns.name, 'eth1')).address).toBeUndefined();
    expect((await env.manager.inspect('second-net')).Containers).toEqual({});
    await env.manager.disconnect(id, 'bridge');
    expect((await addrIn(ns.name, 'eth0')).address).toBeUndefined();
    await expect(env.manager.disconnect(id, 'bridge')).rejects.toMatchObject({ code: 'not_connected' });
    await env.manager.remove(user.Id);
    // Both addresses are free again.
    const again = await env.manager.connect(
      { containerId: containerId(), name: 'again', netnsPath: ns.path },
      'bridge',
    );
    expect(again.ip).toBe(`10.${o}.0.2`);
  });

  it('lets two containers on a user network reach each other by name', async () => {
    await env.manager.create({ name: 'chat' });
    const [a, b] = [await env.netns(), await env.netns()];
    const [idA, idB] = [containerId(), containerId()];
    await env.manager.connect(
      { containerId: idA, name: 'alpha', netnsPath: a.path, hostsPath: a.hostsPath },
      'chat',
    );
    // The peer's file is rewritten when beta joins; alpha's own record has not been touched since.
    const attB = await env.manager.connect(
      { containerId: idB, name: 'beta', netnsPath: b.path, hostsPath: b.hostsPath, aliases: ['db'] },
      'chat',
    );
    expect(await readFile(a.hostsPath, 'utf8')).toContain(`${attB.ip}\tbeta db ${idB.slice(0, 12)}\n`);
    expect(await env.manager.hostsFile(idA)).toBe(await readFile(a.hostsPath, 'utf8'));

    const byName = await pingFrom(a.name, 'beta');
    expect(byName.stdout).toContain(`PING beta (${attB.ip})`);
    expect(byName.code).toBe(0);
    expect((await pingFrom(a.name, 'db')).code).toBe(0);
    expect((await pingFrom(b.name, 'alpha')).code).toBe(0);

    await env.manager.disconnect(idB, 'chat');
    expect(await readFile(a.hostsPath, 'utf8')).not.toContain('beta');
    expect((await pingFrom(a.name, 'beta')).code).not.toBe(0);
  });

  it('does not resolve container names on the default bridge, like Docker', async () => {
    const [a, b] = [await env.netns(), await env.netns()];
    const [idA, idB] = [containerId(), containerId()];
    await env.manager.connect(
      {
        containerId: idA,
        name: 'plain-a',
        netnsPath: a.path,
        hostsPath: a.hostsPath,
        hostname: 'plain-host',
      },
      'bridge',
    );
    const attB = await env.manager.connect(
      { containerId: idB, name: 'plain-b', netnsPath: b.path },
      'bridge',
    );
    const hosts = await readFile(a.hostsPath, 'utf8');
    expect(hosts).toContain(`\tplain-host plain-a\n`);
    expect(hosts).not.toContain('plain-b');
    // Reachable by address though (inter-container traffic on the default bridge is allowed).
    expect((await pingFrom(a.name, attB.ip)).code).toBe(0);
  });

  it('isolates different user networks from each other', async () => {
    await env.manager.create({ name: 'red' });
    await env.manager.create({ name: 'blue' });
    const [r1, r2, b1] = [await env.netns(), await env.netns(), await env.netns()];
    await env.manager.connect({ containerId: containerId(), name: 'r1', netnsPath: r1.path }, 'red');
    const attR2 = await env.manager.connect(
      { containerId: containerId(), name: 'r2', netnsPath: r2.path },
      'red',
    );
    const attB1 = await env.manager.connect(
      { containerId: containerId(), name: 'b1', netnsPath: b1.path },
      'blue',
    );
    const blueBridge = (await env.manager.inspect('blue')).Options['com.docker.network.bridge.name'] ?? '';

    expect((await pingFrom(r1.name, attR2.ip)).code).toBe(0);
    const dropped = () => isolationDrops(env.chainPrefix, blueBridge);
    const before = await dropped();
    expect((await pingFrom(r1.name, attB1.ip)).code).not.toBe(0);
    // It was our isolation rule that stopped it, not a missing route.
    expect(await dropped()).toBeGreaterThan(before);
  });

  it('connects containers started at the same time by separate managers to distinct addresses', async () => {
    await env.manager.create({ name: 'rush' });
    const namespaces = await Promise.all([1, 2, 3, 4, 5, 6].map(() => env.netns()));
    const managers = [env.manager, env.newManager(), env.newManager()];
    const atts = await Promise.all(
      namespaces.map((ns, i) =>
        (managers[i % 3] ?? env.manager).connect(
          { containerId: containerId(), name: `rush${i}`, netnsPath: ns.path },
          'rush',
        ),
      ),
    );
    expect(new Set(atts.map((a) => a.ip)).size).toBe(6);
    for (const [i, ns] of namespaces.entries()) {
      expect((await addrIn(ns.name, 'eth0')).address).toBe(`${atts[i]?.ip}/24`);
    }
    expect(Object.keys((await env.manager.inspect('rush')).Containers)).toHaveLength(6);
  });

  it('fails cleanly on a namespace that does not exist', async () => {
    await expect(
      env.manager.connect(
        { containerId: containerId(), name: 'ghost', netnsPath: '/run/netns/dytest-missing' },
        'bridge',
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await sh('ls', [`${env.stateRoot}/networks/endpoints`])).stdout).not.toContain('ghost');
  });
});

async function isolationDrops(chainPrefix: string, bridge: string): Promise<number> {
  const out = await must('iptables', ['-t', 'filter', '-L', `${chainPrefix}-ISOLATION`, '-v', '-n', '-x']);
  const line = out.split('\n').find((l) => l.includes('DROP') && l.includes(bridge));
  return Number(line?.trim().split(/\s+/)[0] ?? -1);
}
