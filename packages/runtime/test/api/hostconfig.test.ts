import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, cgroupBases } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

const inspectField = (ref: string, tmpl: string) => d.ok(['inspect', '-f', tmpl, ref]);

/** CapEff of the container's process, as a number (bit n = capability n). */
async function capEff(flags: string[]): Promise<bigint> {
  const out = await d.ok(['run', '--rm', ...flags, 'busybox', 'grep', 'CapEff', '/proc/self/status']);
  const hex = /CapEff:\s*([0-9a-f]+)/.exec(out)?.[1];
  if (!hex) throw new Error(`no CapEff in ${out}`);
  return BigInt(`0x${hex}`);
}

const bit = (n: number) => 1n << BigInt(n);
const CAP_CHOWN = 0;
const CAP_NET_RAW = 13;
const CAP_SYS_ADMIN = 21;

/** The host file that holds the container's cpu.shares (v1) or cpu.weight (v2), found through its pid. */
async function cpuWeightFile(pid: string): Promise<{ file: string; v2: boolean }> {
  const lines = (await fs.readFile(`/proc/${pid}/cgroup`, 'utf8')).trim().split('\n');
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  if (v2) {
    const rel = lines.find((l) => l.startsWith('0::'))?.slice(3) ?? '';
    return { file: path.join('/sys/fs/cgroup', rel, 'cpu.weight'), v2 };
  }
  const line = lines.find((l) => (l.split(':')[1] ?? '').split(',').includes('cpu'));
  if (!line) throw new Error(`no cpu controller in /proc/${pid}/cgroup`);
  const [, controllers = '', rel = ''] = line.split(':');
  const base = cgroupBases().find((b) =>
    path
      .basename(b)
      .split(',')
      .some((c) => controllers.split(',').includes(c)),
  );
  if (!base) throw new Error(`no mount for ${controllers}`);
  return { file: path.join(base, rel, 'cpu.shares'), v2 };
}

const expectedWeight = (shares: number, v2: boolean) =>
  v2 ? String(1 + Math.floor(((shares - 2) * 9999) / 262142)) : String(shares);

describe('docker run HostConfig settings are honoured', () => {
  it('--cap-drop and --cap-add change the capability sets (any case, with or without CAP_, ALL)', async () => {
    const defaults = await capEff([]);
    // Docker's default set: a80425fb.
    expect(defaults.toString(16)).toBe('a80425fb');
    expect(await capEff(['--cap-drop', 'NET_RAW'])).toBe(defaults & ~bit(CAP_NET_RAW));
    expect(await capEff(['--cap-add', 'sys_admin'])).toBe(defaults | bit(CAP_SYS_ADMIN));
    expect(await capEff(['--cap-drop', 'ALL', '--cap-add', 'CAP_CHOWN'])).toBe(bit(CAP_CHOWN));
    const all = await capEff(['--cap-add', 'ALL', '--cap-drop', 'chown']);
    expect(all & bit(CAP_SYS_ADMIN)).toBe(bit(CAP_SYS_ADMIN));
    expect(all & bit(CAP_CHOWN)).toBe(0n);
  });

  it('--cap-drop NET_RAW stops ping; --cap-add SYS_ADMIN lets mount work', async () => {
    const ping = ['ping', '-c', '1', '-W', '2', '127.0.0.1'];
    expect((await d.docker(['run', '--rm', 'busybox', ...ping])).code).toBe(0);
    const dropped = await d.docker(['run', '--rm', '--cap-drop', 'NET_RAW', 'busybox', ...ping]);
    expect(dropped.code).not.toBe(0);
    expect(dropped.stderr).toMatch(/permission denied|not permitted/i);

    const mount = ['sh', '-c', 'mkdir -p /t && mount -t tmpfs none /t && echo mounted'];
    const denied = await d.docker(['run', '--rm', 'busybox', ...mount]);
    expect(denied.code).not.toBe(0);
    const allowed = await d.docker(['run', '--rm', '--cap-add', 'SYS_ADMIN', 'busybox', ...mount]);
    expect(allowed.stderr).toBe('');
    expect(allowed.stdout).toBe('mounted\n');
  });

  it('an unknown capability is refused with docker’s message; inspect shows CapAdd/CapDrop', async () => {
    const bad = await d.docker(['run', '--rm', '--cap-add', 'NOT_A_CAP', 'busybox', 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('invalid CapAdd: unknown capability: "CAP_NOT_A_CAP"');
    const raw = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({ Image: 'busybox', HostConfig: { CapDrop: ['nope'] } }),
    );
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body).message).toBe('invalid CapDrop: unknown capability: "CAP_NOPE"');

    const name = d.name('caps');
    await d.ok([
      'create',
      '--name',
      name,
      '--cap-add',
      'NET_ADMIN',
      '--cap-drop',
      'MKNOD',
      'busybox',
      'true',
    ]);
    const host = JSON.parse(await inspectField(name, '{{json .HostConfig}}'));
    expect(host.CapAdd.map((c: string) => c.replace(/^CAP_/, ''))).toEqual(['NET_ADMIN']);
    expect(host.CapDrop.map((c: string) => c.replace(/^CAP_/, ''))).toEqual(['MKNOD']);
    await d.ok(['rm', name]);
  });

  it('--cpu-shares reaches the container’s cgroup; docker update --cpu-shares changes it live', async () => {
    const name = d.name('shares');
    await d.ok(['run', '-d', '--name', name, '--cpu-shares', '512', 'busybox', 'sleep', '300']);
    const pid = await inspectField(name, '{{.State.Pid}}');
    const { file, v2 } = await cpuWeightFile(pid);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(expectedWeight(512, v2));
    expect(await inspectField(name, '{{.HostConfig.CpuShares}}')).toBe('512');

    await d.ok(['update', '--cpu-shares', '2048', name]);
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(expectedWeight(2048, v2));
    expect(await inspectField(name, '{{.HostConfig.CpuShares}}')).toBe('2048');
    await d.ok(['rm', '-f', name]);
  });

  it('--dns, --dns-search and --dns-option replace those lines of /etc/resolv.conf', async () => {
    const name = d.name('dns');
    const out = await d.ok([
      'run',
      '--name',
      name,
      '--dns',
      '10.0.0.53',
      '--dns-search',
      'example.test',
      '--dns-option',
      'ndots:2',
      'busybox',
      'cat',
      '/etc/resolv.conf',
    ]);
    const lines = out.split('\n').map((l) => l.trim());
    expect(lines.filter((l) => l.startsWith('nameserver'))).toEqual(['nameserver 10.0.0.53']);
    expect(lines.filter((l) => /^(search|domain)\b/.test(l))).toEqual(['search example.test']);
    expect(lines.filter((l) => l.startsWith('options'))).toEqual(['options ndots:2']);
    expect(await inspectField(name, '{{json .HostConfig.Dns}}')).toBe('["10.0.0.53"]');
    expect(await inspectField(name, '{{json .HostConfig.DnsSearch}}')).toBe('["example.test"]');
    expect(await inspectField(name, '{{json .HostConfig.DnsOptions}}')).toBe('["ndots:2"]');
    await d.ok(['rm', name]);

    const bad = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({ Image: 'busybox', HostConfig: { Dns: ['not-an-ip'] } }),
    );
    expect(bad.status).toBe(400);
  });

  it('--add-host lines stay in /etc/hosts when another container joins the network', async () => {
    const net = d.name('net');
    const first = d.name('eh1');
    const second = d.name('eh2');
    await d.ok(['network', 'create', net]);
    try {
      await d.ok([
        'run',
        '-d',
        '--name',
        first,
        '--network',
        net,
        '--add-host',
        'a.test:10.1.2.3',
        'busybox',
        'sleep',
        '300',
      ]);
      const before = await d.ok(['exec', first, 'cat', '/etc/hosts']);
      expect(before).toMatch(/^10\.1\.2\.3\ta\.test$/m);
      expect(await inspectField(first, '{{json .HostConfig.ExtraHosts}}')).toBe('["a.test:10.1.2.3"]');

      await d.ok(['run', '-d', '--name', second, '--network', net, 'busybox', 'sleep', '300']);
      const after = await d.ok(['exec', first, 'cat', '/etc/hosts']);
      // The network rewrote the file (the new peer is in it) and kept the extra entry.
      expect(after).toMatch(new RegExp(`\\s${second}(\\s|$)`, 'm'));
      expect(after).toMatch(/^10\.1\.2\.3\ta\.test$/m);
      // Resolution goes through the file: the name maps to the address without sending anything.
      expect(await d.ok(['exec', first, 'ping', '-c', '1', '-W', '1', '-q', second])).toContain(
        '1 packets received',
      );
    } finally {
      await d.docker(['rm', '-f', first, second]);
      await d.docker(['network', 'rm', net]);
    }
  });

  it('ExtraHosts in name=ip form and a bad address through the API', async () => {
    const created = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({
        Image: 'busybox',
        Cmd: ['cat', '/etc/hosts'],
        HostConfig: { ExtraHosts: ['b.test=10.1.2.4', 'gw.test:host-gateway'], NetworkMode: 'none' },
      }),
    );
    expect(created.status).toBe(201);
    const id = JSON.parse(created.body).Id as string;
    await d.ok(['start', id]);
    await d.ok(['wait', id]);
    const hosts = await d.ok(['logs', id]);
    expect(hosts).toMatch(/^10\.1\.2\.4\tb\.test$/m);
    expect(hosts).toMatch(/^10\.\d+\.\d+\.1\tgw\.test$/m);
    await d.ok(['rm', id]);

    const bad = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({ Image: 'busybox', HostConfig: { ExtraHosts: ['x.test:not-an-ip'] } }),
    );
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toBe('invalid IP address in add-host: "not-an-ip"');
  });

  it('--link: the alias resolves to the linked container and the legacy env vars are set', async () => {
    const db = d.name('db');
    const web = d.name('web');
    await d.ok([
      'run',
      '-d',
      '--name',
      db,
      '-e',
      'DB_PASS=s3cret',
      '--expose',
      '5432',
      'busybox',
      'sleep',
      '300',
    ]);
    try {
      const dbIp = await inspectField(db, '{{.NetworkSettings.IPAddress}}');
      const dbId = await inspectField(db, '{{.Id}}');
      expect(dbIp).toMatch(/^10\./);
      const out = await d.ok([
        'run',
        '--name',
        web,
        '--link',
        `${db}:database`,
        'busybox',
        'sh',
        '-c',
        'cat /etc/hosts; echo @@@; env | sort; echo @@@; ping -c 1 -W 2 -q database',
      ]);
      const [hosts = '', env = '', ping = ''] = out.split('@@@\n');
      expect(hosts).toContain(`${dbIp}\tdatabase ${dbId.slice(0, 12)} ${db}\n`);
      const vars = env.trim().split('\n');
      expect(vars).toEqual(
        expect.arrayContaining([
          `DATABASE_PORT=tcp://${dbIp}:5432`,
          `DATABASE_PORT_5432_TCP=tcp://${dbIp}:5432`,
          `DATABASE_PORT_5432_TCP_ADDR=${dbIp}`,
          'DATABASE_PORT_5432_TCP_PORT=5432',
          'DATABASE_PORT_5432_TCP_PROTO=tcp',
          `DATABASE_NAME=/${web}/database`,
          'DATABASE_ENV_DB_PASS=s3cret',
        ]),
      );
      expect(vars.some((v) => v.startsWith('DATABASE_ENV_PATH='))).toBe(false);
      expect(ping).toContain('1 packets received');
      expect(await inspectField(web, '{{json .HostConfig.Links}}')).toBe(`["/${db}:/${web}/database"]`);

      // A link needs a running container, like Docker.
      await d.ok(['stop', '-t', '0', db]);
      const stopped = await d.docker(['start', web]);
      expect(stopped.code).not.toBe(0);
      expect(stopped.stderr).toContain(`Cannot link to a non running container: /${db} AS /${web}/database`);
    } finally {
      await d.docker(['rm', '-f', web, db]);
    }
  });

  it('--link to a container that does not exist is refused without looking for the image', async () => {
    const r = await d.docker(['run', '--rm', '--link', 'no-such-ctr:x', 'busybox', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('could not get container for no-such-ctr: No such container: no-such-ctr');
    expect(r.stderr).not.toContain('Unable to find image');
  });

  it('the dockyard CLI takes the same flags', async () => {
    const name = d.name('dycli');
    const r = await d.dy([
      'run',
      '--name',
      name,
      '--cap-drop',
      'net_raw',
      '-c',
      '300',
      '--dns',
      '10.0.0.54',
      '--dns-search',
      'cli.test',
      '--add-host',
      'c.test:10.1.2.5',
      'busybox',
      'sh',
      '-c',
      'grep CapEff /proc/self/status; cat /etc/resolv.conf /etc/hosts',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CapEff:\t00000000a80405fb');
    expect(r.stdout).toMatch(/^nameserver 10\.0\.0\.54$/m);
    expect(r.stdout).toMatch(/^search cli\.test$/m);
    expect(r.stdout).toMatch(/^10\.1\.2\.5\tc\.test$/m);
    expect(await inspectField(name, '{{.HostConfig.CpuShares}}')).toBe('300');
    await d.ok(['rm', name]);
  });
});
