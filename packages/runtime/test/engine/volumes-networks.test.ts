import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, TestEngine } from './helpers.js';

const t = new TestEngine();
let tmp = '';
beforeAll(async () => {
  await t.setup();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dye-vol-'));
});
afterAll(async () => {
  await t.teardown();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('volumes', () => {
  it('create, ls, inspect, use across containers, refuse rm in use, rm, prune', async () => {
    const vol = t.name('vol');
    expect(await t.ok(['volume', 'create', vol])).toBe(vol);
    expect((await t.ok(['volume', 'ls'])).split('\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^local\\s+${vol}$`))]),
    );
    const info = JSON.parse(await t.ok(['volume', 'inspect', vol]))[0];
    expect(info).toMatchObject({
      Name: vol,
      Driver: 'local',
      Mountpoint: path.join(t.root, 'volumes', vol, '_data'),
    });
    await t.ok(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
    expect(await t.ok(['run', '--rm', '-v', `${vol}:/data:ro`, 'busybox', 'cat', '/data/f'])).toBe(
      'persisted',
    );
    const ro = await t.dy([
      'run',
      '--rm',
      '-v',
      `${vol}:/data:ro`,
      'busybox',
      'sh',
      '-c',
      'echo x > /data/g',
    ]);
    expect(ro.code).not.toBe(0);
    expect(ro.stderr).toContain('Read-only file system');
    const user = t.name('user');
    await t.ok(['create', '--name', user, '-v', `${vol}:/data`, 'busybox', 'true']);
    const inUse = await t.dy(['volume', 'rm', vol]);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toContain('volume is in use');
    await t.ok(['rm', user]);
    expect(await t.ok(['volume', 'rm', vol])).toBe(vol);
    expect((await t.dy(['volume', 'inspect', vol])).code).toBe(1);
    // An anonymous volume (from `-v /path`) is removed by prune once no container uses it.
    const anon = t.name('anon');
    await t.ok(['create', '--name', anon, '-v', '/scratch', 'busybox', 'true']);
    const anonName = await t.ok(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', anon]);
    expect(anonName).toMatch(/^[0-9a-f]{64}$/);
    await t.ok(['rm', anon]);
    expect(await t.ok(['volume', 'prune', '-f'])).toContain(anonName);
  });

  it('bind mounts a host dir, creating it when missing, read-only with :ro', async () => {
    const host = path.join(tmp, 'bind', 'made-by-run');
    await t.ok([
      'run',
      '--rm',
      '-v',
      `${host}:/mnt`,
      'busybox',
      'sh',
      '-c',
      'echo from-container > /mnt/out',
    ]);
    expect(await fs.readFile(path.join(host, 'out'), 'utf8')).toBe('from-container\n');
    const r = await t.dy(['run', '--rm', '-v', `${host}:/mnt:ro`, 'busybox', 'touch', '/mnt/x']);
    expect(r.code).toBe(1);
  });

  it('container prune removes only stopped containers', async () => {
    const stopped = t.name('stopped');
    const running = t.name('running');
    await t.ok(['run', '--name', stopped, 'busybox', 'true']);
    await t.ok(['run', '-d', '--name', running, 'busybox', 'sleep', '60']);
    const out = await t.ok(['container', 'prune', '-f']);
    expect(out).toContain('Deleted Containers:');
    expect((await t.dy(['inspect', stopped])).code).toBe(1);
    expect(await t.ok(['inspect', '-f', '{{.State.Running}}', running])).toBe('true');
    await t.ok(['rm', '-f', running]);
  });
});

describe('networks through the CLI', () => {
  it('create, ls, inspect, run on a user network with name resolution, connect/disconnect, rm', async () => {
    const net = t.name('net');
    const id = await t.ok(['network', 'create', net]);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await t.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).toContain(`${net} bridge`);
    const a = t.name('a');
    await t.ok(['run', '-d', '--name', a, '--network', net, 'busybox', 'sleep', '60']);
    const nets = JSON.parse(await t.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', a]));
    const ip = nets[net].IPAddress as string;
    expect(ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(
      await t.ok(['run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '2', a]),
    ).toContain('1 packets received');
    const attached = JSON.parse(await t.ok(['network', 'inspect', net]))[0];
    expect(Object.keys(attached.Containers)).toHaveLength(1);
    const b = t.name('b');
    await t.ok(['run', '-d', '--name', b, 'busybox', 'sleep', '60']);
    await t.ok(['network', 'connect', net, b]);
    expect(await t.ok(['exec', b, 'ping', '-c', '1', '-W', '2', a])).toContain('1 packets received');
    await t.ok(['network', 'disconnect', net, b]);
    const busy = await t.dy(['network', 'rm', net]);
    expect(busy.code).toBe(1);
    await t.ok(['rm', '-f', a, b]);
    expect(await t.ok(['network', 'rm', net])).toBe(net);
    expect((await t.dy(['network', 'inspect', net])).code).toBe(1);
  });

  it('--network none has only loopback, host shares the host namespace', async () => {
    expect(await t.ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net'])).toBe(
      'lo',
    );
    const hostLinks = (await fs.readdir('/sys/class/net')).sort().join(' ');
    const inside = await t.ok([
      'run',
      '--rm',
      '--network',
      'host',
      'busybox',
      'sh',
      '-c',
      'ls /sys/class/net | sort | xargs',
    ]);
    expect(inside.split(' ').length).toBeGreaterThan(1);
    expect(hostLinks).toContain(inside.split(' ')[0] as string);
  });
});

describe('terminal and system verbs', () => {
  it('run -it gives the container a TTY', async () => {
    // util-linux script(1) provides the pseudo-terminal a user's shell would have.
    const cmd = `${process.execPath} ${BIN} run --rm -it busybox sh -c 'tty; stty size'`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], {
        env: t.env,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
      });
      child.on('close', () => resolve(buf));
      child.stdin.end();
    });
    expect(out).toMatch(/\/dev\/pts\/\d+/);
  });

  it('version and info answer', async () => {
    expect(await t.ok(['--version'])).toMatch(/^Dockyard version \d+\.\d+\.\d+$/);
    expect(await t.ok(['version'])).toContain(`OCI runtime:      ${t.env.DOCKYARD_OCI_RUNTIME}`);
    expect(await t.ok(['info'])).toMatch(/Storage Driver: overlay2[\s\S]*Cgroup Version: [12]/);
    const bad = await t.dy(['frobnicate']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'frobnicate' is not a dockyard command");
  });
});
