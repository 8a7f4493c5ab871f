// The same bundle under dyrt, runc and crun: the process must see the same world.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hostNsInode,
  leakedCgroups,
  leakedMounts,
  prepareHost,
  RUNTIMES,
  type RuntimeName,
  RuntimeSession,
  runEverywhere,
  sh,
  TEST_PREFIX,
} from './helpers.js';

let sessions: Record<RuntimeName, RuntimeSession>;

beforeAll(() => {
  prepareHost();
  sessions = {
    dyrt: new RuntimeSession('dyrt'),
    runc: new RuntimeSession('runc'),
    crun: new RuntimeSession('crun'),
  };
});

afterEach(async () => {
  for (const rt of RUNTIMES) await sessions[rt].cleanup();
});

afterAll(() => {
  for (const rt of RUNTIMES) sessions[rt]?.destroy();
});

function expectSameEverywhere<T>(results: Record<RuntimeName, T>): T {
  expect(results.dyrt).toEqual(results.runc);
  expect(results.dyrt).toEqual(results.crun);
  return results.dyrt;
}

describe('a container process under dyrt behaves as under runc and crun', () => {
  it('exits with the status of its process', async () => {
    for (const code of [0, 3]) {
      const r = await runEverywhere(sessions, sh(`exit ${code}`));
      for (const rt of RUNTIMES) expect(r[rt].code, `${rt}: ${r[rt].stderr}`).toBe(code);
    }
  });

  it('reports death by signal as 128+n', async () => {
    // pid 1 ignores signals it has no handler for, so the signal is sent to a child that is the last to exit.
    const r = await runEverywhere(sessions, (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid');
      c.process.args = ['sh', '-c', 'kill -USR1 $$'];
    });
    for (const rt of RUNTIMES) expect(r[rt].code, `${rt}: ${r[rt].stderr}`).toBe(128 + 10);
  });

  it('passes stdout through and sets the hostname', async () => {
    const r = await runEverywhere(sessions, sh('echo hello from $(hostname)'));
    const out = expectSameEverywhere({
      dyrt: r.dyrt.stdout,
      runc: r.runc.stdout,
      crun: r.crun.stdout,
    });
    expect(out).toBe('hello from dyrtconf\n');
  });

  it('gives the process its own pid, net, ipc, uts and mount namespaces and keeps the others', async () => {
    const types = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup', 'user'];
    const r = await runEverywhere(
      sessions,
      sh(`for t in ${types.join(' ')}; do readlink /proc/self/ns/$t; done`),
    );
    const relation = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((inode, i) => `${types[i]}:${inode === hostNsInode(types[i] ?? '') ? 'same' : 'own'}`);
    const rel = expectSameEverywhere({
      dyrt: relation(r.dyrt.stdout),
      runc: relation(r.runc.stdout),
      crun: relation(r.crun.stdout),
    });
    expect(rel).toEqual(['pid:own', 'net:own', 'ipc:own', 'uts:own', 'mnt:own', 'cgroup:same', 'user:same']);
  });

  it('mounts /proc and /dev/pts, masks and write-protects the configured paths', async () => {
    const script = [
      'grep -q "^proc /proc proc" /proc/mounts && echo proc',
      'grep -q "^devpts /dev/pts devpts" /proc/mounts && echo devpts',
      '[ -L /dev/ptmx ] && echo ptmx-link',
      '[ -c /dev/null ] && [ -c /dev/urandom ] && echo devices',
      'echo keys=$(wc -c < /proc/keys)',
      'echo firmware=$(ls /sys/firmware | wc -l)',
      'grep " /proc/sys proc ro," /proc/mounts >/dev/null && echo proc-sys-ro',
      'touch /rootfs-write 2>/dev/null || echo root-ro',
      'touch /dev/shm/ok && echo shm-rw',
      'echo $$ | cat /proc/self/stat >/dev/null && echo done',
    ].join('; ');
    const r = await runEverywhere(sessions, sh(script));
    const out = expectSameEverywhere({ dyrt: r.dyrt.stdout, runc: r.runc.stdout, crun: r.crun.stdout });
    expect(out.split('\n')).toEqual([
      'proc',
      'devpts',
      'ptmx-link',
      'devices',
      'keys=0',
      'firmware=0',
      'proc-sys-ro',
      'root-ro',
      'shm-rw',
      'done',
      '',
    ]);
  });

  it('applies capabilities, no_new_privs and rlimits', async () => {
    const r = await runEverywhere(sessions, (c) => {
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
      c.process.capabilities = {
        bounding: caps,
        effective: caps,
        permitted: caps,
        inheritable: [],
        ambient: [],
      };
      c.process.noNewPrivileges = true;
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 }];
      c.process.args = ['sh', '-c', 'grep -E "^(Cap|NoNewPrivs)" /proc/self/status; ulimit -n; ulimit -Hn'];
    });
    const out = expectSameEverywhere({ dyrt: r.dyrt.stdout, runc: r.runc.stdout, crun: r.crun.stdout });
    expect(out).toContain('CapEff:\t0000000000000421');
    expect(out).toContain('CapBnd:\t0000000000000421');
    expect(out).toContain('NoNewPrivs:\t1');
    expect(out.trim().split('\n').slice(-2)).toEqual(['512', '1000']);
  });

  it('runs as the configured user with its groups', async () => {
    const r = await runEverywhere(sessions, (c) => {
      c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 7] };
      c.process.args = ['sh', '-c', 'id -u; id -g; id -G'];
    });
    const out = expectSameEverywhere({ dyrt: r.dyrt.stdout, runc: r.runc.stdout, crun: r.crun.stdout });
    expect(out).toBe('1000\n1001\n1001 5 7\n');
  });

  it('maps uids and gids in a user namespace', async () => {
    const r = await runEverywhere(
      sessions,
      (c) => {
        c.linux.namespaces.push({ type: 'user' });
        c.linux = {
          ...c.linux,
          uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
          gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
        };
        c.process.args = [
          'sh',
          '-c',
          'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u:%g /bin/busybox',
        ];
      },
      { chownTo: 100000 },
    );
    const out = expectSameEverywhere({ dyrt: r.dyrt.stdout, runc: r.runc.stdout, crun: r.crun.stdout });
    expect(out.replace(/ +/g, ' ')).toBe(' 0 100000 65536\n 0 100000 65536\n0\n0:0\n');
  });

  it('applies bind mounts, sysctls, the oom score, env and cwd', async () => {
    const shared = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-shared-`));
    try {
      writeFileSync(join(shared, 'greeting'), 'hi from the host\n');
      const r = await runEverywhere(sessions, (c) => {
        c.mounts.push({
          destination: '/data',
          type: 'bind',
          source: shared,
          options: ['rbind', 'ro', 'rprivate'],
        });
        c.linux = { ...c.linux, sysctl: { 'net.ipv4.ip_forward': '1' } };
        Object.assign(c.process, { oomScoreAdj: 500 });
        c.process.env.push('DYRT_CONFORMANCE=yes');
        c.process.cwd = '/data';
        c.process.args = [
          'sh',
          '-c',
          'cat greeting; touch x 2>/dev/null || echo bind-ro; cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj; echo $DYRT_CONFORMANCE; pwd',
        ];
      });
      const out = expectSameEverywhere({ dyrt: r.dyrt.stdout, runc: r.runc.stdout, crun: r.crun.stdout });
      expect(out).toBe('hi from the host\nbind-ro\n1\n500\nyes\n/data\n');
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('resolves mount destinations through symlinks without leaving the root', async () => {
    const outside = join(tmpdir(), `${TEST_PREFIX}-outside-${Date.now()}`);
    const seen: Record<string, string> = {};
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.mounts.push({
          destination: '/var/run/app/cache',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['size=1m'],
        });
        c.mounts.push({
          destination: '/escape/inside',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['size=1m'],
        });
        c.process.args = ['sh', '-c', 'grep -E "(cache|inside) tmpfs" /proc/mounts | cut -d" " -f2'];
      });
      // /var/run -> /run (absolute, must stay in the root); /escape -> a host path (must not be followed out).
      rmSync(join(b.rootfs, 'var/run'), { recursive: true, force: true });
      mkdirSync(join(b.rootfs, 'var'), { recursive: true });
      mkdirSync(join(b.rootfs, 'run'), { recursive: true });
      symlinkSync('/run', join(b.rootfs, 'var/run'));
      symlinkSync(`../../../../../../..${outside}`, join(b.rootfs, 'escape'));
      // The target exists inside the root (crun refuses dangling symlinks; dyrt and runc create the target).
      mkdirSync(join(b.rootfs, outside), { recursive: true });
      const r = await s.run(id, b);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      seen[rt] = r.stdout;
      expect(existsSync(outside), rt).toBe(false);
    }
    const out = expectSameEverywhere(seen as Record<RuntimeName, string>);
    expect(out).toBe(`/run/app/cache\n/tmp/${outside.split('/').pop()}/inside\n`);
  });

  it('kills a memory hog at the 64 MiB limit', async () => {
    const r = await runEverywhere(sessions, (c) => {
      c.linux = { ...c.linux, resources: { memory: { limit: 64 * 1024 * 1024, swap: 64 * 1024 * 1024 } } };
      c.process.args = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=200M', 'count=1'];
    });
    for (const rt of RUNTIMES) expect(r[rt].code, `${rt}: ${r[rt].stderr}`).toBe(137);
  });

  it('stops forks at the pids limit', async () => {
    const r = await runEverywhere(sessions, (c) => {
      c.linux = { ...c.linux, resources: { pids: { limit: 8 } } };
      c.process.args = [
        'sh',
        '-c',
        'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done; echo all-forked',
      ];
    });
    const out = expectSameEverywhere({
      dyrt: [r.dyrt.code, r.dyrt.stdout, r.dyrt.stderr],
      runc: [r.runc.code, r.runc.stdout, r.runc.stderr],
      crun: [r.crun.code, r.crun.stdout, r.crun.stderr],
    });
    expect(out).toEqual([2, '8\n', "sh: can't fork: Resource temporarily unavailable\n"]);
  });

  it('makes a syscall denied by seccomp return the configured errno', async () => {
    const r = await runEverywhere(sessions, (c) => {
      c.linux = {
        ...c.linux,
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 95 }],
        },
      };
      c.process.args = [
        'sh',
        '-c',
        'mkdir /dev/shm/denied; echo status=$?; touch /dev/shm/allowed && echo touched',
      ];
    });
    const out = expectSameEverywhere({
      dyrt: r.dyrt.stderr + r.dyrt.stdout,
      runc: r.runc.stderr + r.runc.stdout,
      crun: r.crun.stderr + r.crun.stdout,
    });
    expect(out).toContain('Operation not supported');
    expect(out).toContain('status=1\ntouched\n');
  });
});

describe('dyrt and the host', () => {
  it('never turns a superblock it shares with the host read-only', async () => {
    // cgroup namespace: fresh cgroup mounts share the host hierarchies' superblocks;
    // host network namespace: the container's sysfs is the host's.
    const superOptions = () =>
      readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .filter((l) => / - (cgroup2?|sysfs) /.test(l))
        .map((l) => `${l.split(' ')[4]} ${l.split(' - ')[1]?.split(' ')[2]?.split(',')[0]}`)
        .sort();
    const before = superOptions();
    const s = sessions.dyrt;
    const id = s.newId();
    const b = s.bundle(id, (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network');
      c.linux.namespaces.push({ type: 'cgroup' });
      c.process.args = [
        'sh',
        '-c',
        'grep -c " /sys/fs/cgroup.* ro," /proc/mounts; touch /sys/fs/cgroup/x 2>/dev/null || echo ro',
      ];
    });
    const r = await s.run(id, b);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.split('\n')[0])).toBeGreaterThan(0);
    expect(superOptions()).toEqual(before);
    expect(before.every((l) => l.endsWith(' rw'))).toBe(true);
  });
});

describe('after the isolation tests', () => {
  it('no cgroups or mounts of the tests are left behind', () => {
    expect(leakedCgroups()).toEqual([]);
    expect(leakedMounts()).toEqual([]);
  });
});
