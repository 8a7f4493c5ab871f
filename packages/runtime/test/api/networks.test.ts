import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, waitFor } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));

/** Containers come from the CLI on the same state root, so these tests need only the network endpoints. */
async function dy(args: string[]): Promise<string> {
  const r = await d.dy(args);
  if (r.code !== 0) throw new Error(`dockyard ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('engine API: networks', () => {
  it('the default bridge can be inspected before any container made it', async () => {
    const r = await d.request('GET', '/v1.41/networks/bridge');
    expect(r.status).toBe(200);
    expect(json(r.body)).toMatchObject({
      Name: 'bridge',
      Driver: 'bridge',
      IPAM: { Config: [{ Subnet: `10.${d.octet}.0.0/24` }] },
    });
  });

  it('docker network create/ls/inspect/rm, with subnet, gateway, labels and filters', async () => {
    const net = d.name('net');
    const subnet = `10.${d.octet}.200.0/24`;
    const id = await d.ok([
      'network',
      'create',
      '--subnet',
      subnet,
      '--gateway',
      `10.${d.octet}.200.254`,
      '--label',
      'course=dockyard',
      '--internal',
      net,
    ]);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const info = JSON.parse(await d.ok(['network', 'inspect', net]))[0];
    expect(info).toMatchObject({
      Name: net,
      Id: id,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      Internal: true,
      Attachable: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: `10.${d.octet}.200.254` }] },
      Containers: {},
      Labels: { course: 'dockyard' },
    });
    // The bridge device is ours to name: not an option the user gave (compose compares options).
    expect(info.Options).toEqual({});

    const names = await d.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    expect(names.split('\n')).toEqual(
      expect.arrayContaining([
        'bridge bridge local',
        'host host local',
        'none null local',
        `${net} bridge local`,
      ]),
    );
    expect(await d.ok(['network', 'ls', '-q', '--no-trunc', '--filter', 'label=course=dockyard'])).toBe(id);
    expect(await d.ok(['network', 'ls', '-q', '--no-trunc', '--filter', `id=${id.slice(0, 10)}`])).toBe(id);
    const custom = await d.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=custom']);
    expect(custom.split('\n')).toEqual([net]);
    const builtin = await d.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'type=builtin']);
    expect(builtin.split('\n').sort()).toEqual(['bridge', 'host', 'none']);
    const nullDriver = await d.ok(['network', 'ls', '--format', '{{.Name}}', '--filter', 'driver=null']);
    expect(nullDriver).toBe('none');

    const dup = await d.docker(['network', 'create', net]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain(`network with name ${net} already exists`);
    const dupRaw = await d.request(
      'POST',
      '/networks/create',
      JSON.stringify({ Name: net, CheckDuplicate: true }),
    );
    expect(dupRaw.status).toBe(409);

    expect(await d.ok(['network', 'rm', net])).toBe(net);
    const gone = await d.request('GET', `/networks/${net}`);
    expect(gone.status).toBe(404);
    expect(json(gone.body).message).toBe(`network ${net} not found`);
  });

  it('connects and disconnects a running container with aliases and a fixed address', async () => {
    const net = d.name('cnet');
    const subnet = `10.${d.octet}.201.0/24`;
    await d.ok(['network', 'create', '--subnet', subnet, net]);
    const ctr = d.name('web');
    const peer = d.name('peer');
    await dy(['run', '-d', '--name', ctr, 'busybox', 'sleep', '300']);
    await dy(['run', '-d', '--name', peer, '--network', net, 'busybox', 'sleep', '300']);
    const ctrId = await dy(['inspect', '-f', '{{.Id}}', ctr]);

    await d.ok(['network', 'connect', '--alias', 'api-web', '--ip', `10.${d.octet}.201.77`, net, ctr]);
    const info = JSON.parse(await d.ok(['network', 'inspect', net]))[0];
    expect(info.Containers[ctrId]).toMatchObject({
      Name: ctr,
      IPv4Address: `10.${d.octet}.201.77/24`,
      MacAddress: `02:42:0a:${[d.octet, 201, 77].map((n) => n.toString(16).padStart(2, '0')).join(':')}`,
    });
    expect(info.Containers[ctrId].EndpointID).toMatch(/^[0-9a-f]{64}$/);
    // The container got the interface, and its peer resolves the alias to it.
    const addrs = await dy(['exec', ctr, 'ip', '-o', '-4', 'addr']);
    expect(addrs).toContain(`10.${d.octet}.201.77/24`);
    const hosts = await dy(['exec', peer, 'cat', '/etc/hosts']);
    expect(hosts).toMatch(new RegExp(`10\\.${d.octet}\\.201\\.77\\s.*\\bapi-web\\b`));

    const again = await d.docker(['network', 'connect', net, ctr]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists in network');

    const inUse = await d.request('DELETE', `/networks/${net}`);
    expect(inUse.status).toBe(403);
    expect(json(inUse.body).message).toContain('has active endpoints');

    await d.ok(['network', 'disconnect', net, ctr]);
    expect(await dy(['exec', ctr, 'ip', '-o', '-4', 'addr'])).not.toContain(`10.${d.octet}.201.77`);
    const after = JSON.parse(await d.ok(['network', 'inspect', net]))[0];
    expect(Object.keys(after.Containers)).toHaveLength(1);
    const notConnected = await d.request(
      'POST',
      `/networks/${net}/disconnect`,
      JSON.stringify({ Container: ctr }),
    );
    expect(notConnected.status).toBe(404);

    await dy(['rm', '-f', ctr, peer]);
    await d.ok(['network', 'rm', net]);
  });

  it('a container that is not running keeps the endpoint config and joins at start (compose does this)', async () => {
    const net = d.name('lnet');
    const extra = d.name('xnet');
    await d.ok(['network', 'create', '--subnet', `10.${d.octet}.203.0/24`, net]);
    await d.ok(['network', 'create', '--subnet', `10.${d.octet}.204.0/24`, extra]);
    const svc = d.name('svc');
    const peer = d.name('peer');
    await dy(['create', '--name', svc, '--network', net, 'busybox', 'sleep', '300']);
    // compose: disconnect what create set up, connect again with the service name as an alias.
    await d.ok(['network', 'disconnect', net, svc]);
    await d.ok(['network', 'connect', '--alias', 'backend', net, svc]);
    await d.ok(['network', 'connect', '--alias', 'side', '--ip', `10.${d.octet}.204.9`, extra, svc]);
    await dy(['start', svc]);
    await dy(['run', '-d', '--name', peer, '--network', net, 'busybox', 'sleep', '300']);
    expect(await dy(['exec', peer, 'ping', '-c', '1', '-W', '2', 'backend'])).toContain('1 packets received');
    const addrs = await dy(['exec', svc, 'ip', '-o', '-4', 'addr']);
    expect(addrs).toContain(`10.${d.octet}.203.`);
    expect(addrs).toContain(`10.${d.octet}.204.9/24`);
    const info = JSON.parse(await d.ok(['network', 'inspect', extra]))[0];
    expect(Object.values(info.Containers).map((c) => (c as { Name: string }).Name)).toEqual([svc]);

    // Disconnected while stopped: the next start leaves that network out.
    await dy(['stop', '-t', '1', svc]);
    await d.ok(['network', 'disconnect', extra, svc]);
    await dy(['start', svc]);
    expect(await dy(['exec', svc, 'ip', '-o', '-4', 'addr'])).not.toContain(`10.${d.octet}.204.`);
    await dy(['rm', '-f', svc, peer]);
    await d.ok(['network', 'rm', net, extra]);
  });

  it('restarts a container with a fixed address at once, and its old veths go away', async () => {
    const net = d.name('fnet');
    const netId = await d.ok(['network', 'create', '--subnet', `10.${d.octet}.205.0/24`, net]);
    const bridge = `${d.bridgePrefix}-${netId.slice(0, 15 - d.bridgePrefix.length - 1)}`;
    const ctr = d.name('fixed');
    await d.ok([
      'run',
      '-d',
      '--name',
      ctr,
      '--network',
      net,
      '--ip',
      `10.${d.octet}.205.7`,
      'busybox',
      'sleep',
      '300',
    ]);
    // The daemon deletes a stopped container's veth after answering; the same address must still be usable.
    for (let round = 0; round < 3; round++) {
      await d.ok(['restart', '-t', '0', ctr]);
      expect(await d.ok(['exec', ctr, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])).toContain(
        `10.${d.octet}.205.7/24`,
      );
    }
    const ports = () =>
      execFileSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    expect(ports()).toHaveLength(1);
    await d.ok(['rm', '-f', ctr]);
    await waitFor(async () => ports().length === 0, 10_000);
    await d.ok(['network', 'rm', net]);
  });

  it('starts containers in namespaces made ahead of time, refilled after use and removed with the daemon', async () => {
    const netnsDir = path.join(d.run, 'netns');
    const spares = () => readdirSync(netnsDir).filter((f) => f.startsWith('spare-'));
    const hostEnd = (f: string) => f.replace(/^spare-\d+-/, '');
    const linkExists = (name: string) => spawnSync('ip', ['link', 'show', 'dev', name]).status === 0;
    await waitFor(async () => spares().length === 2, 20_000);
    const ready = spares();
    const ctr = d.name('spare');
    await d.ok(['run', '-d', '--name', ctr, 'busybox', 'sleep', '300']);
    const key = await d.ok(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', ctr]);
    expect(ready).toContain(path.basename(key));
    // The pre-made pair became the container's eth0 with its own address and MAC, and the host end is on the bridge.
    const ip = await d.ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', ctr]);
    const mac = await d.ok(['inspect', '-f', '{{.NetworkSettings.MacAddress}}', ctr]);
    const eth0 = await d.ok(['exec', ctr, 'ip', '-o', 'addr', 'show', 'eth0']);
    expect(eth0).toContain(`inet ${ip}/`);
    expect(await d.ok(['exec', ctr, 'cat', '/sys/class/net/eth0/address'])).toBe(mac);
    expect(await d.ok(['exec', ctr, 'ip', 'route', 'show', 'default'])).toMatch(/^default via /);
    expect(
      execFileSync('ip', ['-o', 'link', 'show', 'dev', hostEnd(path.basename(key))], { encoding: 'utf8' }),
    ).toMatch(new RegExp(`master ${d.bridgePrefix}`));
    const unused = () => spares().filter((f) => f !== path.basename(key));
    await waitFor(async () => unused().length === 2, 20_000);
    // A daemon that dies leaves its spares; the next one removes them before making its own, but keeps the one
    // a running container lives in.
    const left = unused();
    d.killDaemon();
    await d.restartDaemon();
    await waitFor(async () => unused().length === 2 && !left.some((f) => unused().includes(f)), 20_000);
    for (const f of left) expect(linkExists(hostEnd(f))).toBe(false);
    expect(existsSync(key)).toBe(true);
    expect(await d.ok(['exec', ctr, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])).toContain(`inet ${ip}/`);
    await d.ok(['rm', '-f', ctr]);
    await waitFor(async () => !existsSync(key) && !linkExists(hostEnd(path.basename(key))), 10_000);

    // A daemon that stops removes them.
    const last = spares();
    await d.stopDaemon();
    expect(spares()).toEqual([]);
    for (const f of last) expect(linkExists(hostEnd(f))).toBe(false);
    await d.restartDaemon();
  });

  it('refuses what it cannot do with Docker-shaped errors', async () => {
    const hostCtr = d.name('hostnet');
    await dy(['create', '--name', hostCtr, '--network', 'host', 'busybox', 'true']);
    const onHost = await d.request(
      'POST',
      '/networks/bridge/connect',
      JSON.stringify({ Container: hostCtr }),
    );
    expect(onHost.status).toBe(400);
    expect(json(onHost.body).message).toContain('host network');
    const noCtr = await d.request(
      'POST',
      '/networks/bridge/connect',
      JSON.stringify({ Container: 'nope-nope' }),
    );
    expect(noCtr.status).toBe(404);
    expect(json(noCtr.body).message).toContain('No such container: nope-nope');
    const toHost = await d.request('POST', '/networks/host/connect', JSON.stringify({ Container: hostCtr }));
    expect(toHost.status).toBe(400);
    await dy(['rm', hostCtr]);

    const cases: [string, unknown, number, string][] = [
      ['overlay driver', { Name: 'x-ovl', Driver: 'overlay' }, 404, 'plugin "overlay" not found'],
      [
        'second host',
        { Name: 'x-host', Driver: 'host' },
        403,
        'only one instance of "host" network is allowed',
      ],
      ['bad name', { Name: '-bad/name' }, 400, 'invalid network name'],
      ['ipv6', { Name: 'x-v6', EnableIPv6: true }, 400, 'IPv6'],
      ['predefined name', { Name: 'bridge' }, 409, 'network with name bridge already exists'],
      [
        'gateway outside subnet',
        { Name: 'x-gw', IPAM: { Config: [{ Subnet: `10.${d.octet}.202.0/24`, Gateway: '192.0.2.1' }] } },
        400,
        'no matching subnet for gateway',
      ],
      ['no name', { Driver: 'bridge' }, 400, 'invalid request'],
    ];
    for (const [what, body, status, message] of cases) {
      const r = await d.request('POST', '/v1.41/networks/create', JSON.stringify(body));
      expect({ what, status: r.status }).toEqual({ what, status });
      expect(json(r.body).message).toContain(message);
    }
    const predefined = await d.request('DELETE', '/networks/host');
    expect(predefined.status).toBe(403);
    expect(json(predefined.body).message).toBe('host is a pre-defined network and cannot be removed');
    const badType = await d.request('GET', `/networks?filters=${q({ type: ['weird'] })}`);
    expect(badType.status).toBe(400);
  });

  it('prune removes unused custom networks only, honouring label filters; events are recorded', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const used = d.name('used');
    const idle = d.name('idle');
    const kept = d.name('kept');
    await d.ok(['network', 'create', used]);
    await d.ok(['network', 'create', '--label', 'keep=yes', kept]);
    const idleId = await d.ok(['network', 'create', idle]);
    const ctr = d.name('holder');
    await dy(['run', '-d', '--name', ctr, '--network', used, 'busybox', 'sleep', '300']);

    const r = await d.request('POST', `/networks/prune?filters=${q({ 'label!': ['keep'] })}`);
    expect(r.status).toBe(200);
    expect(json(r.body).NetworksDeleted).toEqual([idle]);
    const left = (await d.ok(['network', 'ls', '--format', '{{.Name}}'])).split('\n');
    expect(left).toEqual(expect.arrayContaining([used, kept, 'bridge', 'host', 'none']));
    expect(left).not.toContain(idle);

    const events = await d.ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'type=network',
      '--filter',
      `network=${idleId}`,
      '--format',
      '{{.Action}} {{.Actor.Attributes.name}}',
    ]);
    expect(events.split('\n')).toEqual([`create ${idle}`, `destroy ${idle}`]);

    await dy(['rm', '-f', ctr]);
    expect(await d.ok(['network', 'prune', '-f'])).toContain(used);
    expect((await d.ok(['network', 'ls', '--format', '{{.Name}}'])).split('\n').sort()).toEqual(
      ['bridge', 'host', 'none'].sort(),
    );
  });
});
