import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCheck, type HostCheck } from '../src/evaluate.js';
import { cgroupDirFor } from '../src/kernel/cgroup.js';
import { type FakeBox, startFakeBox } from './fake-box.js';

const hint = { 'zh-CN': '提示', en: 'hint' };
const BUSYBOX_ROOTFS = execFileSync(
  'bash',
  [join(import.meta.dirname, '../../../infra/images/build.sh'), 'busybox'],
  {
    encoding: 'utf8',
  },
).trim();
let box: FakeBox;
const grade = (check: HostCheck) => evaluateCheck(check, { target: box.target });

beforeAll(async () => {
  box = await startFakeBox();
});

afterAll(() => box?.destroy());

describe('process and namespace checks read the kernel, not the box', () => {
  it('passes only once a process runs as PID 1 of a new PID namespace', async () => {
    const check: HostCheck = {
      kind: 'process',
      match: '^sleep 1001$',
      expect: { pidns: 'differs-from-box', 'pid-in-ns': 1 },
      hint,
    };
    const before = await grade(check);
    expect(before.pass).toBe(false);
    expect(before.message.en).toMatch(/No running process/);

    box.sh('sleep 1001 >/dev/null 2>&1 &');
    const sameNs = await grade(check);
    expect(sameNs.pass).toBe(false);
    expect(sameNs.message.en).toMatch(/shares the shell’s PID namespace/);
    expect(sameNs.message['zh-CN']).toMatch(/同一个 PID 命名空间/);

    box.sh('pkill -f "^sleep 1001$"; unshare -p -f --mount-proc sleep 1001 >/dev/null 2>&1 &');
    await new Promise((r) => setTimeout(r, 200));
    expect((await grade(check)).pass).toBe(true);
  });

  it('cannot be fooled by a process outside the box with the same command line', async () => {
    const { spawn } = await import('node:child_process');
    const outsider = spawn('sleep', ['1002'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const result = await grade({ kind: 'process', match: '^sleep 1002$', hint });
      expect(result.pass).toBe(false);
    } finally {
      outsider.kill('SIGKILL');
    }
  });

  it('reads the hostname of a new UTS namespace from inside it', async () => {
    const check: HostCheck = {
      kind: 'namespace',
      match: '^sleep 1003$',
      type: 'uts',
      expect: { relation: 'differs-from-box', hostname: 'lab' },
      hint,
    };
    box.sh('sleep 1003 >/dev/null 2>&1 &');
    const shared = await grade(check);
    expect(shared.pass).toBe(false);
    expect(shared.message.en).toMatch(/shares the box’s uts namespace.*hostname is "box"/);
    box.sh(`pkill -f "^sleep 1003$"; unshare -u sh -c 'hostname lab; exec sleep 1003' >/dev/null 2>&1 &`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await grade(check)).pass).toBe(true);
  });
});

describe('chroot, pivot_root and kept namespaces', () => {
  it('knows a process is chrooted into a directory of the box, by inode', async () => {
    const check: HostCheck = { kind: 'process', match: '^sleep 1005$', expect: { root: '/tmp/jail' }, hint };
    box.sh(`mkdir -p /tmp/jail /tmp/other && cp -a ${BUSYBOX_ROOTFS}/. /tmp/jail/`);
    box.sh('sleep 1005 >/dev/null 2>&1 &');
    const notYet = await grade(check);
    expect(notYet.pass).toBe(false);
    expect(notYet.message.en).toMatch(/root directory is not \/tmp\/jail/);
    box.sh('pkill -9 -x -f "sleep 1005"; chroot /tmp/jail sleep 1005 >/dev/null 2>&1 &');
    await new Promise((r) => setTimeout(r, 200));
    expect((await grade(check)).pass).toBe(true);
    expect((await grade({ ...check, expect: { root: '/tmp/other' } })).pass).toBe(false);
  });

  it('reads the root of a mount, which shows a pivoted root', async () => {
    const check: HostCheck = {
      kind: 'mount',
      match: '^sleep 1006$',
      target: '/',
      expect: { root: '/newroot$' },
      hint,
    };
    box.sh(
      `mkdir -p /tmp/newroot && mount --bind /tmp/newroot /tmp/newroot && cp -a ${BUSYBOX_ROOTFS}/. /tmp/newroot/ && mkdir -p /tmp/newroot/old; unshare -m sh -c 'cd /tmp/newroot && pivot_root . old && exec sleep 1006' >/dev/null 2>&1 &`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await grade(check)).pass).toBe(true);
    expect((await grade({ ...check, expect: { root: '/elsewhere$' } })).message.en).toMatch(
      /root within the filesystem/,
    );
  });

  it('enters a UTS namespace kept alive as a file in the box', async () => {
    const check: HostCheck = {
      kind: 'namespace',
      path: '/run/keep-uts',
      type: 'uts',
      expect: { hostname: 'persisted' },
      hint,
    };
    expect((await grade(check)).pass).toBe(false);
    box.sh('touch /run/keep-uts && unshare --uts=/run/keep-uts hostname persisted');
    expect((await grade(check)).pass).toBe(true);
    box.sh('ln -s /proc/1/ns/uts /run/fake-uts');
    expect((await grade({ ...check, path: '/run/fake-uts' })).pass).toBe(false);
  });

  it('runs an allowed command in the namespaces of a matched process', async () => {
    box.sh(`unshare -u sh -c 'hostname inner; exec sleep 1007' >/dev/null 2>&1 &`);
    await new Promise((r) => setTimeout(r, 200));
    const check: HostCheck = {
      kind: 'command',
      match: '^sleep 1007$',
      run: ['hostname'],
      ns: ['uts'],
      expect: { stdout: '^inner$' },
      hint,
    };
    expect((await grade(check)).pass).toBe(true);
    expect((await grade({ ...check, match: undefined })).pass).toBe(false);
  });
});

describe('cgroup checks', () => {
  it('compares a cgroup limit created inside the box, with the numbers in the message', async () => {
    const memory = cgroupDirFor(box.target.initPid, 'memory');
    expect(memory).not.toBeNull();
    const check: HostCheck = { kind: 'cgroup', path: '/demo', expect: { memory: '64MiB' }, hint };
    expect((await grade(check)).message.en).toMatch(/not found/);
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(`${memory?.dir}/demo`);
    const file = memory?.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
    writeFileSync(`${memory?.dir}/demo/${file}`, String(128 * 1024 * 1024));
    const wrong = await grade(check);
    expect(wrong.pass).toBe(false);
    expect(wrong.message.en).toMatch(/memory is 128MiB, the task asks for 64MiB/);
    writeFileSync(`${memory?.dir}/demo/${file}`, String(64 * 1024 * 1024));
    expect((await grade(check)).pass).toBe(true);
    const files: HostCheck = {
      kind: 'cgroup',
      path: '/demo',
      expect: { files: { [file]: '^67108864$' } },
      hint,
    };
    expect((await grade(files)).pass).toBe(true);
    const wrongFile: HostCheck = {
      kind: 'cgroup',
      path: '/demo',
      expect: { files: { [file]: '^1$' } },
      hint,
    };
    expect((await grade(wrongFile)).message.en).toMatch(/does not match/);
    const traversal: HostCheck = {
      kind: 'cgroup',
      path: '/demo',
      expect: { files: { '../../x': '.' } },
      hint,
    };
    expect((await grade(traversal)).message.en).toMatch(/has no file/);
  });
});

describe('mount and file checks', () => {
  it('judges the mount namespace of a matched process', async () => {
    const check: HostCheck = {
      kind: 'mount',
      match: '^sleep 1004$',
      target: '/mnt',
      expect: { fstype: 'tmpfs' },
      hint,
    };
    expect((await grade(check)).message.en).toMatch(/No running process/);
    box.sh(`unshare -m sh -c 'mount -t tmpfs none /mnt; exec sleep 1004' >/dev/null 2>&1 &`);
    await new Promise((r) => setTimeout(r, 200));
    expect((await grade(check)).pass).toBe(true);
    expect((await grade({ ...check, match: undefined })).pass).toBe(false);
  });

  it('sees an overlay mounted inside the box mount namespace only', async () => {
    const dir = `/tmp/dytest-grader-ov-${process.pid}`;
    const check: HostCheck = {
      kind: 'mount',
      target: `${dir}/merged`,
      expect: { fstype: 'overlay', overlay: { 'lower-count-min': 2, upper: true } },
      hint,
    };
    expect((await grade(check)).pass).toBe(false);
    const mounted = box.sh(
      `mkdir -p ${dir} && mkdir ${dir}/l1 ${dir}/l2 ${dir}/up ${dir}/work ${dir}/merged && mount -t overlay overlay -o lowerdir=${dir}/l1:${dir}/l2,upperdir=${dir}/up,workdir=${dir}/work ${dir}/merged`,
    );
    expect(mounted.stderr).toBe('');
    expect((await grade(check)).pass).toBe(true);
    const oneLower = await grade({ ...check, expect: { overlay: { 'lower-count-min': 3 } } });
    expect(oneLower.message.en).toMatch(/has 2 lower layer\(s\), at least 3/);
  });

  it('judges file content and mode through the box root', async () => {
    const path = `/tmp/dytest-grader-file-${process.pid}`;
    const check: HostCheck = { kind: 'file', path, expect: { content: '^hello$', mode: '0600' }, hint };
    box.sh(`printf 'hello\\n' > ${path} && chmod 0644 ${path}`);
    const wrongMode = await grade(check);
    expect(wrongMode.message.en).toMatch(/mode is 0644, not 0600/);
    box.sh(`chmod 0600 ${path}`);
    expect((await grade(check)).pass).toBe(true);
  });
});

describe('network checks run host tools in the box netns', () => {
  it('finds a veth pair with an address, and a named netns made in the box', async () => {
    const check: HostCheck = {
      kind: 'netns',
      name: 'blue',
      expect: { links: [{ name: 'veth-b', type: 'veth', up: true, address: '10.200.1.2/24' }] },
      hint,
    };
    expect((await grade(check)).message.en).toMatch(/no netns named blue/);
    const made = box.sh(
      'ip netns add blue && ip link add veth-a type veth peer name veth-b && ip link set veth-b netns blue && nsenter --net=/run/netns/blue ip addr add 10.200.1.2/24 dev veth-b',
    );
    expect(made.stderr).toBe('');
    const down = await grade(check);
    expect(down.pass).toBe(false);
    expect(down.message.en).toMatch(/no link matches/);
    box.sh(
      'ip addr add 10.200.1.1/24 dev veth-a && ip link set veth-a up && nsenter --net=/run/netns/blue ip link set veth-b up',
    );
    expect((await grade(check)).pass).toBe(true);
    const ping = await grade({ kind: 'netns', name: 'blue', expect: { ping: { to: '10.200.1.1' } }, hint });
    expect(ping.pass).toBe(true);
  });

  it('refuses a named netns that is a symlink out of the box', async () => {
    box.sh('ln -s /proc/1/ns/net /run/netns/sneaky');
    const result = await grade({
      kind: 'netns',
      name: 'sneaky',
      expect: { links: [{ type: 'loopback' }] },
      hint,
    });
    expect(result.pass).toBe(false);
    expect(result.message.en).toMatch(/cannot be opened/);
  });

  it('finds a DNAT rule in the box, judged by its parts', async () => {
    const check: HostCheck = {
      kind: 'iptables',
      table: 'nat',
      chain: 'PREROUTING',
      expect: { target: 'DNAT', dport: 8080, to: '10.200.1.2:80' },
      hint,
    };
    expect((await grade(check)).pass).toBe(false);
    const added = box.sh(
      'iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.200.1.2:80',
    );
    expect(added.status).toBe(0);
    expect((await grade(check)).pass).toBe(true);
  });

  it('runs only allowed inspection commands', async () => {
    const ok = await grade({ kind: 'command', run: ['hostname'], expect: { stdout: '^box$' }, hint });
    expect(ok.pass).toBe(true);
    const refused = await grade({ kind: 'command', run: ['cat', '/etc/shadow'], expect: { exit: 0 }, hint });
    expect(refused.pass).toBe(false);
    expect(refused.message.en).toMatch(/not an allowed check command/);
    const ipExec = await grade({
      kind: 'command',
      run: ['ip', 'netns', 'exec', 'blue', 'sh'],
      expect: {},
      hint,
    });
    expect(ipExec.message.en).toMatch(/not allowed/);
  });
});

describe('http checks', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('hello from nginx'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('judges status and body of a real response', async () => {
    const check: HostCheck = { kind: 'http', port, expect: { status: 200, body: 'nginx' }, hint };
    expect((await evaluateCheck(check, { target: box.target, address: '127.0.0.1' })).pass).toBe(true);
    const wrong = await evaluateCheck(
      { ...check, expect: { body: 'apache' } },
      { target: box.target, address: '127.0.0.1' },
    );
    expect(wrong.message.en).toMatch(/does not match \/apache\//);
  });
});
