import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { signLabToken } from '@dockyard/protocol';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxRecord } from '../src/boxes/manager.js';
import type { Sandboxd } from '../src/server.js';
import { type Client, call, connect, ready, SECRET, sandboxdFixture, screen } from './helpers.js';

/**
 * Escape and abuse attempts, each made from inside a box the way a student could, each asserting that it is
 * blocked and that the host is unharmed.
 */
const fx = sandboxdFixture('abuse', {
  net: 236,
  idBase: 11_000_000,
  boxes: 3,
  memoryBytes: 256 * 2 ** 20,
  pids: 256,
  tmpBytes: 32 * 2 ** 20,
  diskBytes: 96 * 2 ** 20,
  poolSize: 0,
});
const { names, config, clients } = fx;
const hostSecret = join(tmpdir(), `dy-abuse-secret-${names.suffix}`);
const gateway = config.subnet.replace(/\.0\/24$/, '.1');
const hostAddress =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';

let sandboxd: Sandboxd;
let a: Client;
let b: Client;
let boxA: BoxRecord;
let boxB: BoxRecord;
let listener: Server;
let listenerPort = 0;
let listenerHits = 0;
let hostKey = 0;
const hostName = hostname();
const releaseAgent = () => readFileSync('/sys/fs/cgroup/memory/release_agent', 'utf8');
const releaseAgentBefore = existsSync('/sys/fs/cgroup/memory/release_agent') ? releaseAgent() : '';
// Kernels built without module support have no /proc/modules; loading must fail there too.
const loadedModules = () =>
  existsSync('/proc/modules')
    ? readFileSync('/proc/modules', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[0])
    : [];
const modulesBefore = loadedModules();

/** Runs a shell script in box A as its root; never throws (exit status is part of the output). */
async function inBox(script: string, box = () => boxA, timeoutMs = 30_000): Promise<string> {
  try {
    return await sandboxd.boxes.exec(box().id, ['bash', '-c', `{ ${script}; } 2>&1; echo "rc=$?"`], {
      timeoutMs,
    });
  } catch (error) {
    return `exec failed: ${(error as Error).message}`;
  }
}

async function expectHostHealthy() {
  expect(readFileSync(hostSecret, 'utf8')).toBe('host secret\n');
  expect(hostname()).toBe(hostName);
  expect(spawnSync('true').status).toBe(0);
  const health = (await fetch(`${sandboxd.url}/healthz`).then((r) => r.json())) as { ok: boolean };
  expect(health.ok).toBe(true);
  expect(existsSync(`/proc/${boxA.pid}`)).toBe(true);
  expect(existsSync(`/proc/${boxB.pid}`)).toBe(true);
}

beforeAll(async () => {
  writeFileSync(hostSecret, 'host secret\n');
  listener = createServer((socket) => {
    listenerHits++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  listenerPort = (listener.address() as { port: number }).port;
  sandboxd = await fx.start();
  a = await connect(sandboxd.url, { sub: 'student-a' }, clients);
  await ready(a);
  b = await connect(sandboxd.url, { sub: 'student-b' }, clients);
  await ready(b);
  boxA = sandboxd.boxes.list().find((x) => x.owner === 'student-a') as BoxRecord;
  boxB = sandboxd.boxes.list().find((x) => x.owner === 'student-b') as BoxRecord;
});

afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
  if (hostKey > 0) spawnSync('perl', ['-e', `syscall(250, 3, ${hostKey})`]); // KEYCTL_REVOKE of our test key
  rmSync(hostSecret, { force: true });
  await fx.close();
});

describe('the host file system stays out of reach', () => {
  it('cannot read a host file by its path', async () => {
    expect(await inBox(`cat ${hostSecret}`)).toMatch(/No such file[\s\S]*rc=1/);
    await expectHostHealthy();
  });

  it('/proc/1/root is the box itself', async () => {
    const out = await inBox(
      `readlink /proc/1/root; cat /proc/1/root${hostSecret}; cat /proc/1/root/etc/hostname`,
    );
    expect(out).not.toContain('host secret');
    expect(out).toMatch(/^\/\n/);
    await expectHostHealthy();
  });

  it('cannot read /proc/kcore or trigger sysrq', async () => {
    const out = await inBox('head -c 64 /proc/kcore | wc -c; echo h > /proc/sysrq-trigger');
    // Refused, or absent on kernels built without them.
    expect(out).toMatch(/kcore.*(Permission denied|not permitted|No such file)/);
    expect(out).toMatch(/^0$/m);
    expect(out).toMatch(/sysrq-trigger.*(Permission denied|Read-only file system|No such file)[\s\S]*rc=1/);
    await expectHostHealthy();
  });

  it('cannot mount the host disk through a device node', async () => {
    const out = await inBox(
      'mknod /tmp/vda b 254 0; mkdir -p /tmp/m; mount /tmp/vda /tmp/m; ls /tmp/m | wc -l',
    );
    expect(out).toMatch(/mount: .*(permission denied|not permitted|must be superuser|failed)/i);
    expect(out).toMatch(/^0\nrc=0/m);
    await expectHostHealthy();
  });

  it('cannot set a cgroup v1 release_agent or notify_on_release of its own cgroup', async () => {
    const out = await inBox(
      'echo /tmp/x > /sys/fs/cgroup/memory/release_agent; echo 1 > /sys/fs/cgroup/memory/notify_on_release; mkdir -p /tmp/cg && mount -t cgroup -o memory,release_agent=/tmp/x cgroup /tmp/cg',
    );
    expect(out).toMatch(/rc=[1-9]/);
    expect(out).toMatch(/(Permission denied|No such file|Read-only)/);
    if (existsSync('/sys/fs/cgroup/memory/release_agent')) expect(releaseAgent()).toBe(releaseAgentBefore);
    await expectHostHealthy();
  });

  it('symlink and .. tricks in the file API stay inside the box', async () => {
    await inBox(
      `ln -s ${hostSecret} /root/evil; ln -s / /root/up; ln -s /proc/1/root/.. /root/up2; ln -s /etc /root/etc`,
    );
    for (const path of ['/root/evil', `/root/up${hostSecret}`, `/root/up2${hostSecret}`]) {
      const read = await call(a, 'file:read', { path });
      expect(read.ok).toBe(false);
    }
    expect((await call(a, 'file:read', { path: `/../../${hostSecret}` })).ok).toBe(false);
    const marker = `dytest-abuse-${names.suffix}`;
    const wrote = await call(a, 'file:write', {
      path: `/root/etc/${marker}`,
      content: 'x',
      encoding: 'utf8',
    });
    expect(wrote.ok).toBe(true);
    expect(existsSync(`/etc/${marker}`)).toBe(false);
    expect(await inBox(`cat /etc/${marker}`)).toBe('xrc=0\n');
    await expectHostHealthy();
  });
});

describe('the kernel and the host stay untouched', () => {
  it('cannot load kernel modules', async () => {
    const out = await inBox('modprobe -q sctp; echo "m=$?"; insmod /nonexistent.ko');
    expect(out).toMatch(/m=[1-9]/);
    expect(loadedModules().filter((m) => !modulesBefore.includes(m))).not.toContain('sctp');
    await expectHostHealthy();
  });

  it("changes only its own hostname, never the host's, and cannot set the clock", async () => {
    const out = await inBox('hostname evil && hostname; date -s "2001-01-01 00:00:00"');
    expect(out).toMatch(/^evil\n/);
    expect(out).toMatch(/(not permitted|cannot set date)[\s\S]*rc=1/);
    expect(new Date().getFullYear()).toBeGreaterThan(2001);
    await inBox('hostname lab');
    await expectHostHealthy();
  });

  it('cannot write kernel settings through /proc/sys or /sys (only its own netns)', async () => {
    const out = await inBox(
      'echo 3 > /proc/sys/vm/drop_caches; echo "d=$?"; echo 1 > /sys/kernel/mm/ksm/run; echo "k=$?"; echo dytest > /sys/class/net/eth0/ifalias && echo own=ok; ls /sys/class/net | tr "\\n" " "',
    );
    expect(out).toMatch(/d=[1-9]/);
    expect(out).toMatch(/k=[1-9]/);
    expect(out).toContain('own=ok');
    expect(out).toMatch(/eth0 lo rc=0/);
    expect(readFileSync(`/sys/class/net/${config.bridge}/ifalias`, 'utf8').trim()).toBe('');
    await expectHostHealthy();
  });

  it('sees no process outside and cannot ptrace one', async () => {
    const listenerPid = process.pid;
    const out = await inBox(
      `ps -e -o comm= | sort -u | tr "\\n" " "; perl -e 'syscall(101, 16, ${listenerPid}, 0, 0) == -1 and print "attach refused: $!\\n"'`,
    );
    expect(out).not.toMatch(/node|vitest|dyshim|systemd/);
    expect(out).toMatch(/attach refused: No such process/);
    await expectHostHealthy();
  });

  it("cannot see or reach the host's keys", async () => {
    // add_key("user", "dytest-…", "v", 1, KEY_SPEC_USER_KEYRING) on the host.
    const added = spawnSync(
      'perl',
      [
        '-e',
        `my ($t, $d, $p) = ("user", "dytest-key-${names.suffix}", "v"); print syscall(248, $t, $d, $p, 1, -4)`,
      ],
      {
        encoding: 'utf8',
      },
    );
    hostKey = Number(added.stdout);
    expect(hostKey).toBeGreaterThan(0);
    const out = await inBox(
      `grep -c dytest-key /proc/keys; perl -e 'print syscall(250, 11, ${added.stdout}, 0, 0) == -1 ? "read refused: $!\\n" : "read\\n"'`,
    );
    expect(out).toMatch(/^0\n/);
    expect(out).toMatch(/read refused/);
    await expectHostHealthy();
  });

  it('unshare -U inside gains nothing beyond the box', async () => {
    const out = await inBox(
      `unshare -U -r -m sh -c 'id -u; cat ${hostSecret}; echo 3 > /proc/sys/vm/drop_caches; mknod /tmp/vda2 b 254 0 && mount /tmp/vda2 /mnt'`,
    );
    expect(out).toMatch(/^0\n/);
    expect(out).not.toContain('host secret');
    expect(out).toMatch(/rc=[1-9]/);
    await expectHostHealthy();
  });
});

describe('the network stays fenced', () => {
  it('cannot talk to another box at layer 2 (raw ARP) or layer 3', async () => {
    const out = await inBox(
      `busybox arping -c 2 -w 3 -I eth0 ${boxB.address}; ping -c 1 -W 2 ${boxB.address}`,
    );
    expect(out).toMatch(/Received 0 response/);
    expect(out).toMatch(/100% packet loss[\s\S]*rc=1/);
    await expectHostHealthy();
  });

  it("cannot reach the host's addresses or the bridge gateway, while the host reaches it", async () => {
    for (const address of [gateway, hostAddress]) {
      const out = await inBox(`curl -sS --max-time 2 http://${address}:${listenerPort}/`);
      expect(out).toMatch(/rc=(7|28)/);
    }
    expect(listenerHits).toBe(0);
    expect(spawnSync('ping', ['-c1', '-W2', boxA.address]).status).toBe(0);
    await expectHostHealthy();
  });
});

describe('resource abuse is contained', () => {
  it('a fork bomb hits the pids limit; the host stays responsive', async () => {
    const out = await inBox(
      'for i in $(seq 400); do sleep 60 & done 2>&1 | grep -c -m1 -i "resource temporarily unavailable"; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; pkill -f "^sleep 60"',
      () => boxA,
      60_000,
    );
    expect(out).toMatch(/^1\n256\n/);
    await expectHostHealthy();
  });

  it('a memory hog is killed inside the box only', async () => {
    const out = await inBox(`perl -e '$x = "x" x (600 * 1024 * 1024); print "survived\\n"'`);
    expect(out).not.toMatch(/^survived$/m);
    expect(out).toMatch(/rc=137/);
    await expectHostHealthy();
  });

  it('filling /tmp stops at its size cap', async () => {
    const out = await inBox('dd if=/dev/zero of=/tmp/fill bs=1M count=100; rm -f /tmp/fill');
    expect(out).toMatch(/No space left on device/);
    await expectHostHealthy();
  });

  it('filling the writable layer stops at the box disk cap', async () => {
    const out = await inBox('dd if=/dev/zero of=/root/fill bs=1M count=200; rm -f /root/fill');
    expect(out).toMatch(/No space left on device/);
    await expectHostHealthy();
  });

  it('a log flood keeps sandboxd memory bounded, and another box still echoes', async () => {
    const flood = screen(a, 't1');
    await call(a, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    await flood.waitFor(/# $/);
    const other = screen(b, 't1');
    await call(b, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    await other.waitFor(/# $/);
    const rssBefore = process.memoryUsage().rss;
    flood.type('yes dytest-flood-line\n');
    await flood.waitFor(/dytest-flood-line\r\ndytest-flood-line/);
    for (let i = 0; i < 5; i++) {
      other.type(`echo echo-$((${i}+100))\n`);
      await other.waitFor(new RegExp(`echo-${i + 100}`));
      await new Promise((r) => setTimeout(r, 500));
    }
    const rssAfter = process.memoryUsage().rss;
    flood.type('\x03');
    expect(rssAfter - rssBefore).toBeLessThan(150 * 2 ** 20);
    await expectHostHealthy();
  });
});

describe('the host API cannot be abused', () => {
  it('a student cannot fake a check by printing what it looks for', async () => {
    await inBox("echo 'sleep 777 pid 1'; echo ' 1 sleep 777'");
    const result = await call(a, 'check:run', { lessonId: 'sandbox-check', stepId: 'new-pid-ns' });
    expect(result.ok).toBe(true);
    expect(result.value.passed).toBe(false);
  });

  it("another student's token cannot open this box, nor can an expired one", async () => {
    const intruder = await connect(sandboxd.url, { sub: 'student-b', box: boxA.id }, clients);
    await expect(ready(intruder)).rejects.toThrow(/box-not-found/);
    const expired = await signLabToken(
      { sub: 'student-a', lesson: 'sandbox-check', role: 'student' },
      SECRET,
      {
        ttlSeconds: 1,
        now: new Date(Date.now() - 60_000),
      },
    );
    const late: Client = io(`${sandboxd.url}/lab`, {
      auth: { token: expired },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(late);
    await expect(ready(late)).rejects.toThrow(/expired/);
  });

  it('an instructor token can watch but not write or type', async () => {
    const teacher = await connect(
      sandboxd.url,
      { sub: 'teacher', role: 'instructor', box: boxB.id },
      clients,
    );
    await ready(teacher);
    await call(teacher, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    teacher.emit('terminal:data', { terminalId: 't1', data: 'touch /root/teacher-was-here\n' });
    const wrote = await call(teacher, 'file:write', { path: '/root/x', content: 'x', encoding: 'utf8' });
    expect(wrote.ok).toBe(false);
    expect((await call(teacher, 'lab:reset', {})).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(await inBox('ls /root/teacher-was-here /root/x', () => boxB)).toMatch(/No such file[\s\S]*rc=2/);
  });

  it('oversize payloads are refused and the socket of the sender is dropped', async () => {
    const big = await call(a, 'file:write', {
      path: '/root/big',
      content: 'x'.repeat(1.5 * 2 ** 20),
      encoding: 'utf8',
    });
    expect(big.ok).toBe(false);
    const abuser = await connect(sandboxd.url, { sub: 'student-a' }, clients);
    await ready(abuser);
    const dropped = new Promise((resolve) => abuser.on('disconnect', resolve));
    abuser.emit('terminal:data', { terminalId: 't1', data: 'y'.repeat(3 * 2 ** 20) });
    await dropped;
    await expectHostHealthy();
  });

  it('bad resize values are ignored', async () => {
    const term = screen(b, 't2');
    await call(b, 'terminal:open', { terminalId: 't2', rows: 30, cols: 90 });
    await term.waitFor(/# $/);
    for (const [rows, cols] of [
      [-1, 80],
      [1e9, 80],
      [24, Number.NaN],
      ['x', 80],
      [2.5, 80],
    ]) {
      const reply = await call(b, 'terminal:resize', { terminalId: 't2', rows, cols });
      expect(reply.ok).toBe(false);
    }
    term.type('stty size\n');
    await term.waitFor(/30 90/);
    await expectHostHealthy();
  });
});
