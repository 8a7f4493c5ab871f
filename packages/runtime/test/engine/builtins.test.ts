import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/config.js';
import { builtinOk, NOT_MOUNTED, runBuiltin } from '../../src/util/builtins.js';
import { run } from '../../src/util/exec.js';

const DYSPAWN = path.join(packageRoot, 'native/bin/dyspawn');
const tag = randomBytes(3).toString('hex');
const dir = `/tmp/dybuiltin-${tag}`;
const bridge = `dybt${tag}`;
const ip = (args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: 'pipe' });
const inNetns = (ns: string, args: string[]) =>
  execFileSync('nsenter', [`--net=${ns}`, '--', 'ip', ...args], { encoding: 'utf8', stdio: 'pipe' });

interface IpLink {
  ifname: string;
  address: string;
  flags: string[];
  master?: string;
  linkinfo?: { info_slave_data?: { hairpin?: boolean } };
}

const linkIn = (ns: string | undefined, name: string): IpLink => {
  const args = ['-d', '-j', 'link', 'show', 'dev', name];
  return (JSON.parse(ns ? inNetns(ns, args) : ip(args)) as IpLink[])[0] as IpLink;
};

describe("dyspawn's builtins", () => {
  beforeAll(async () => {
    await fs.mkdir(dir, { recursive: true });
    ip(['link', 'add', 'name', bridge, 'type', 'bridge']);
  });
  afterAll(async () => {
    ip(['link', 'del', 'dev', bridge]);
    for (const name of await fs.readdir(dir)) {
      await runBuiltin('umount', [path.join(dir, name), 'lazy']);
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  const newNetns = async (name: string) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, '');
    await builtinOk('netns-new', [file]);
    return file;
  };

  it('makes a spare pair, then attaches it like a container start: bridge, hairpin, MAC, address, route', async () => {
    const ns = await newNetns('spare');
    const hostVeth = `vethb${tag}`;
    await builtinOk('veth-spare', [hostVeth, ns]);
    expect(linkIn(ns, 'eth0').flags).not.toContain('UP');
    expect(linkIn(ns, 'lo').flags).toContain('UP');
    expect(linkIn(undefined, hostVeth).master).toBeUndefined();

    await builtinOk('veth-attach', [
      hostVeth,
      bridge,
      ns,
      'eth0',
      '02:42:c0:00:02:07',
      '192.0.2.7/24',
      '192.0.2.1',
    ]);
    const host = linkIn(undefined, hostVeth);
    expect(host.master).toBe(bridge);
    expect(host.flags).toContain('UP');
    expect(host.linkinfo?.info_slave_data?.hairpin).toBe(true);
    const inner = linkIn(ns, 'eth0');
    expect(inner.address).toBe('02:42:c0:00:02:07');
    expect(inner.flags).toContain('UP');
    expect(inNetns(ns, ['-4', '-br', 'addr', 'show', 'dev', 'eth0'])).toMatch(/192\.0\.2\.7\/24/);
    expect(inNetns(ns, ['-4', 'route', 'show', 'default'])).toMatch(/^default via 192\.0\.2\.1 dev eth0/);

    // Deleting one end takes the pair away; deleting what is gone already is not an error.
    await builtinOk('link-del', [hostVeth]);
    expect(() => ip(['link', 'show', 'dev', hostVeth])).toThrow();
    await builtinOk('link-del', [hostVeth]);
    expect(inNetns(ns, ['-br', 'link'])).not.toMatch(/eth0/);
  });

  it('creates a pair with the peer born in the namespace, without a default route when none is given', async () => {
    const ns = await newNetns('created');
    const hostVeth = `vethc${tag}`;
    await builtinOk('veth-create', [hostVeth, bridge, ns, 'eth1', '02:42:c0:00:02:08', '192.0.2.8/24', '-']);
    expect(linkIn(undefined, hostVeth).master).toBe(bridge);
    expect(linkIn(ns, 'eth1')).toMatchObject({ address: '02:42:c0:00:02:08' });
    expect(linkIn(ns, 'lo').flags).toContain('UP');
    expect(inNetns(ns, ['-4', 'route', 'show', 'default'])).toBe('');
    // The same name again: the kernel's refusal comes back as the error.
    const again = await runBuiltin('veth-create', [
      hostVeth,
      bridge,
      ns,
      'eth1',
      '02:42:c0:00:02:08',
      '192.0.2.8/24',
      '-',
    ]);
    expect(again).toEqual({ code: 1, stderr: expect.stringMatching(/File exists/) });
    await builtinOk('link-del', [hostVeth]);
  });

  it('refuses malformed arguments before anything reaches the kernel', async () => {
    const ns = await newNetns('refused');
    const args = (mac: string, cidr: string, gw: string) => [
      `vethd${tag}`,
      bridge,
      ns,
      'eth0',
      mac,
      cidr,
      gw,
    ];
    expect(await runBuiltin('veth-create', args('zz', '192.0.2.9/24', '-'))).toEqual({
      code: 2,
      stderr: '@veth-create: bad MAC address zz',
    });
    expect((await runBuiltin('veth-create', args('02:42:c0:00:02:09', '192.0.2.9/33', '-'))).stderr).toMatch(
      /bad address/,
    );
    expect((await runBuiltin('veth-create', args('02:42:c0:00:02:09', '192.0.2.9/24', 'gw'))).stderr).toMatch(
      /bad gateway/,
    );
    expect((await runBuiltin('veth-create', ['too', 'few'])).code).toBe(2);
    expect((await runBuiltin('no-such-builtin', [])).code).toBe(2);
    expect(() => ip(['link', 'show', 'dev', `vethd${tag}`])).toThrow();
  });

  it('mounts and unmounts an overlay, and tells "nothing mounted" apart from failures', async () => {
    const o = path.join(dir, 'overlay');
    for (const d of ['lower', 'upper', 'work', 'merged'])
      await fs.mkdir(path.join(o, d), { recursive: true });
    await fs.writeFile(path.join(o, 'lower/file'), 'from the layer\n');
    const merged = path.join(o, 'merged');
    await builtinOk('mount-overlay', [merged, `lowerdir=${o}/lower,upperdir=${o}/upper,workdir=${o}/work`]);
    expect(await fs.readFile(path.join(merged, 'file'), 'utf8')).toBe('from the layer\n');
    expect(await runBuiltin('umount', [merged])).toEqual({ code: 0, stderr: '' });
    expect((await runBuiltin('umount', [merged])).code).toBe(NOT_MOUNTED);
    expect((await runBuiltin('umount', [path.join(o, 'missing')])).code).toBe(NOT_MOUNTED);
    const bad = await runBuiltin('mount-overlay', [merged, `lowerdir=${o}/nonexistent`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mount overlay on .*merged: /);
  });

  it('starts a created process through its exec fifo, and notices when its init is gone', async () => {
    const fifo = path.join(dir, 'exec.fifo');
    execFileSync('mkfifo', [fifo]);
    // Like dyrt's init: block until a reader opens the fifo, write one byte, then go on.
    const init = spawn('sh', ['-c', `printf 0 > ${fifo}; sleep 5`], { stdio: 'ignore' });
    await builtinOk('exec-fifo-start', [fifo, String(init.pid)]);
    expect(existsSync(fifo)).toBe(false);
    init.kill('SIGKILL');

    execFileSync('mkfifo', [fifo]);
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    expect(await runBuiltin('exec-fifo-start', [fifo, String(gone.pid)])).toEqual({
      code: 1,
      stderr: 'container init exited before start',
    });
    await fs.rm(fifo);
  });

  it('runs once from the command line when no helper is running', async () => {
    const r = await run(DYSPAWN, ['@umount', path.join(dir, 'missing')], { env: process.env });
    expect(r).toEqual({
      code: NOT_MOUNTED,
      stdout: '',
      stderr: `dyspawn: umount ${dir}/missing: not mounted\n`,
    });
    expect((await run(DYSPAWN, ['not-a-builtin'], { env: process.env })).code).toBe(2);
  });
});
