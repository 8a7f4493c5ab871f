// create/start/state/kill/delete, exec, pause/resume, console socket, hooks, update: dyrt against runc and crun.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sealedCopy } from '../../src/util/builtins.js';
import {
  cgroupSetting,
  dyrtPath,
  leakedCgroups,
  leakedMounts,
  prepareHost,
  RUNTIMES,
  type RuntimeName,
  RuntimeSession,
  randomSuffix,
  recvttyPath,
  sh,
  TEST_PREFIX,
} from './helpers.js';

let sessions: Record<RuntimeName, RuntimeSession>;
let scratch: string;
const netnsToRemove: string[] = [];
const receivers: ChildProcess[] = [];

beforeAll(() => {
  prepareHost();
  sessions = {
    dyrt: new RuntimeSession('dyrt'),
    runc: new RuntimeSession('runc'),
    crun: new RuntimeSession('crun'),
  };
  scratch = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-scratch-`));
});

afterEach(async () => {
  for (const rt of RUNTIMES) await sessions[rt].cleanup();
  for (const ns of netnsToRemove.splice(0)) execFileSync('ip', ['netns', 'del', ns]);
  for (const r of receivers.splice(0)) if (r.exitCode === null) r.kill('SIGKILL');
});

afterAll(() => {
  for (const rt of RUNTIMES) sessions[rt]?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

/** Creates and starts a long-running container, returning its id. */
async function startSleeper(s: RuntimeSession, script = 'sleep 60'): Promise<string> {
  const id = s.newId();
  const b = s.bundle(id, sh(script));
  const c = await s.cmd(['create', '--bundle', b.dir, id]);
  expect(c.code, `${s.rt} create: ${c.stderr}`).toBe(0);
  const st = await s.cmd(['start', id]);
  expect(st.code, `${s.rt} start: ${st.stderr}`).toBe(0);
  await s.waitStatus(id, 'running');
  return id;
}

describe('the container life cycle under dyrt matches runc and crun', () => {
  it('goes created → running → stopped → deleted, and refuses to delete a running container', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, sh('sleep 60'));
      expect((await s.cmd(['create', '--bundle', b.dir, id])).code, rt).toBe(0);
      const created = await s.state(id);
      expect(created.status, rt).toBe('created');
      expect(existsSync(`/proc/${created.pid}`), rt).toBe(true);
      expect((await s.cmd(['start', id])).code, rt).toBe(0);
      expect((await s.state(id)).status, rt).toBe('running');
      const refused = await s.cmd(['delete', id]);
      expect(refused.code, rt).not.toBe(0);
      expect((await s.cmd(['kill', id, 'KILL'])).code, rt).toBe(0);
      await s.waitStatus(id, 'stopped');
      expect((await s.cmd(['delete', id])).code, rt).toBe(0);
      expect((await s.cmd(['state', id])).code, rt).not.toBe(0);
      expect(cgroupSetting(id, 'exists'), rt).toBe('false');
    }
  });

  it('forwards a signal through `run` and reports 128+n', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, sh('sleep 60'));
      const running = s.run(id, b);
      await s.waitStatus(id, 'running');
      expect((await s.cmd(['kill', id, '9'])).code, rt).toBe(0);
      expect((await running).code, rt).toBe(137);
    }
  });

  it('execs into a running container, in its namespaces, with its exit code', async () => {
    const seen: Record<string, string> = {};
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = await startSleeper(s);
      const init = (await s.state(id)).pid;
      const r = await s.cmd([
        'exec',
        id,
        'sh',
        '-c',
        'hostname; tr "\\0" " " < /proc/1/cmdline; echo; exit 4',
      ]);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(4);
      seen[rt] = r.stdout;
      const pidFile = join(scratch, `${id}.pid`);
      const d = await s.cmd(['exec', '--detach', '--pid-file', pidFile, id, 'sleep', '30']);
      expect(d.code, `${rt}: ${d.stderr}`).toBe(0);
      const execPid = Number(readFileSync(pidFile, 'utf8'));
      for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc']) {
        expect(readlinkSync(`/proc/${execPid}/ns/${ns}`), `${rt} ${ns}`).toBe(
          readlinkSync(`/proc/${init}/ns/${ns}`),
        );
      }
      const ps = await s.cmd(['ps', '--format', 'json', id]);
      expect(ps.code, `${rt}: ${ps.stderr}`).toBe(0);
      expect(JSON.parse(ps.stdout), rt).toEqual(expect.arrayContaining([init, execPid]));
    }
    expect(seen.dyrt).toBe(seen.runc);
    expect(seen.dyrt).toBe(seen.crun);
    // busybox sh execs its last command in place, so pid 1 is sleep itself.
    expect(seen.dyrt).toBe('dyrtconf\nsleep 60 \n');
  });

  it('gives an exec its own PTY through the console socket', async () => {
    const seen: Record<string, string> = {};
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = await startSleeper(s);
      const sock = join(scratch, `${id}-exec.sock`);
      const outPath = join(scratch, `${id}-exec.out`);
      const receiver = spawn(recvttyPath, [sock], { stdio: ['ignore', openSync(outPath, 'w'), 'inherit'] });
      receivers.push(receiver);
      const received = new Promise<number | null>((r) => receiver.on('exit', r));
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 5));
      // runc only hands out an exec PTY for a detached exec.
      const r = await s.cmd([
        'exec',
        '--detach',
        '--tty',
        '--console-socket',
        sock,
        id,
        'sh',
        '-c',
        '[ -t 0 ] && [ -t 1 ] && echo exec-has-a-tty',
      ]);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      expect(await received, rt).toBe(0);
      seen[rt] = readFileSync(outPath, 'utf8');
    }
    expect(seen.dyrt).toBe(seen.runc);
    expect(seen.dyrt).toBe(seen.crun);
    expect(seen.dyrt).toBe('exec-has-a-tty\r\n');
  });

  it("execs as root of the container's user namespace", async () => {
    const seen: Record<string, string> = {};
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(
        id,
        (c) => {
          c.linux.namespaces.push({ type: 'user' });
          c.linux = {
            ...c.linux,
            uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
            gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
          };
          c.process.args = ['sleep', '60'];
        },
        { chownTo: 100000 },
      );
      expect((await s.cmd(['run', '--detach', '--bundle', b.dir, id])).code, rt).toBe(0);
      const r = await s.cmd([
        'exec',
        id,
        'sh',
        '-c',
        'id -u; cat /proc/self/uid_map; touch /dev/shm/x && stat -c %u /dev/shm/x',
      ]);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      seen[rt] = r.stdout.replace(/ +/g, ' ');
    }
    expect(seen.dyrt).toBe(seen.runc);
    expect(seen.dyrt).toBe(seen.crun);
    expect(seen.dyrt).toBe('0\n 0 100000 65536\n0\n');
  });

  it('pauses and resumes through the freezer', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = await startSleeper(s);
      expect((await s.cmd(['pause', id])).code, rt).toBe(0);
      expect((await s.state(id)).status, rt).toBe('paused');
      expect(cgroupSetting(id, 'frozen'), rt).toBe('true');
      expect((await s.cmd(['resume', id])).code, rt).toBe(0);
      expect((await s.state(id)).status, rt).toBe('running');
      expect(cgroupSetting(id, 'frozen'), rt).toBe('false');
    }
  });

  it('kills every process of the container with kill --all', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid');
        c.process.args = ['sh', '-c', 'sleep 60 & sleep 60 & sleep 60'];
      });
      expect((await s.cmd(['run', '--detach', '--bundle', b.dir, id])).code, rt).toBe(0);
      const pids = () => cgroupSetting(id, 'procs').split('\n');
      for (let i = 0; i < 200 && pids().length < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(pids().length, rt).toBe(3);
      expect((await s.cmd(['kill', '--all', id, 'KILL'])).code, rt).toBe(0);
      await s.waitStatus(id, 'stopped');
    }
  });

  it('updates cgroup limits of a running container', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = await startSleeper(s);
      const r = await s.cmd(['update', '--memory', String(96 * 1024 * 1024), '--pids-limit', '40', id]);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      expect(cgroupSetting(id, 'memory-limit'), rt).toBe(String(96 * 1024 * 1024));
      expect(cgroupSetting(id, 'pids-max'), rt).toBe('40');
    }
  });

  it('joins an existing network namespace by path', async () => {
    const ns = `${TEST_PREFIX}-${randomSuffix()}`;
    execFileSync('ip', ['netns', 'add', ns]);
    netnsToRemove.push(ns);
    const inode = statSync(`/run/netns/${ns}`).ino;
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n) =>
          n.type === 'network' ? { type: 'network', path: `/run/netns/${ns}` } : n,
        );
        c.process.args = ['readlink', '/proc/self/ns/net'];
      });
      const r = await s.run(id, b);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim(), rt).toBe(`net:[${inode}]`);
    }
  });

  it('sends the PTY master to the console socket when process.terminal is set', async () => {
    const seen: Record<string, string> = {};
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.process.terminal = true;
        c.process.args = ['sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty'];
      });
      const sock = join(scratch, `${id}.sock`);
      const outPath = join(scratch, `${id}.out`);
      const receiver = spawn(recvttyPath, [sock], { stdio: ['ignore', openSync(outPath, 'w'), 'inherit'] });
      receivers.push(receiver);
      const received = new Promise<number | null>((r) => receiver.on('exit', r));
      for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 5));
      const c = await s.cmd(['create', '--bundle', b.dir, '--console-socket', sock, id]);
      expect(c.code, `${rt}: ${c.stderr}`).toBe(0);
      expect((await s.cmd(['start', id])).code, rt).toBe(0);
      expect(await received, rt).toBe(0);
      seen[rt] = readFileSync(outPath, 'utf8');
    }
    expect(seen.dyrt).toBe(seen.runc);
    expect(seen.dyrt).toBe(seen.crun);
    expect(seen.dyrt).toBe('/dev/pts/0\r\nstdio-is-a-tty\r\n');
  });

  it('runs prestart, poststart and poststop hooks with the state on stdin', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const out = join(scratch, `${id}-hooks`);
      const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${out}.${name}`] });
      const b = s.bundle(id, (c) => {
        c.process.args = ['true'];
        Object.assign(c, {
          hooks: {
            prestart: [hook('prestart')],
            createRuntime: [hook('createRuntime')],
            poststart: [hook('poststart')],
            poststop: [hook('poststop')],
          },
        });
      });
      expect((await s.cmd(['create', '--bundle', b.dir, id])).code, rt).toBe(0);
      expect((await s.cmd(['start', id])).code, rt).toBe(0);
      await s.waitStatus(id, 'stopped');
      expect((await s.cmd(['delete', id])).code, rt).toBe(0);
      for (const name of ['prestart', 'createRuntime', 'poststart', 'poststop']) {
        const state = JSON.parse(readFileSync(`${out}.${name}`, 'utf8')) as { id: string; bundle: string };
        expect(state.id, `${rt} ${name}`).toBe(id);
        expect(state.bundle, `${rt} ${name}`).toBe(b.dir);
      }
    }
  });

  it('runs createContainer and startContainer hooks inside the container', async () => {
    for (const rt of RUNTIMES) {
      const s = sessions[rt];
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.process.args = ['cat', '/dev/shm/started'];
        c.root.readonly = false;
        Object.assign(c, {
          hooks: {
            // createContainer runs before pivot_root in the container's namespaces: it sees its hostname.
            createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'hostname > /dev/null'] }],
            // startContainer runs in the container after start, just before the process.
            startContainer: [
              { path: '/bin/sh', args: ['sh', '-c', 'echo started-$(hostname) > /dev/shm/started'] },
            ],
          },
        });
      });
      const r = await s.run(id, b);
      expect(r.code, `${rt}: ${r.stderr}`).toBe(0);
      expect(r.stdout, rt).toBe('started-dyrtconf\n');
    }
  });
});

describe('dyrt hardening', () => {
  it('runs from a sealed in-memory copy of itself (CVE-2019-5736)', async () => {
    const s = sessions.dyrt;
    const id = s.newId();
    const b = s.bundle(id, sh('true'));
    expect((await s.cmd(['create', '--bundle', b.dir, id])).code).toBe(0);
    const { pid } = await s.state(id);
    // Until start, the init is still the runtime binary: it must be the memfd copy, not the file on disk.
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:dyrt/);
    expect(() => openSync(`/proc/${pid}/exe`, 'r+')).toThrow();
  });

  it("started from the engine's sealed copy (dyspawn), runs as that copy instead of copying itself again", async () => {
    const s = sessions.dyrt;
    const copy = await sealedCopy(dyrtPath);
    expect(copy).toMatch(/^\/proc\/\d+\/fd\/\d+$/);
    const id = s.newId();
    const b = s.bundle(id, sh('true'));
    // No pipes: the created init keeps its stdio open until started.
    const created = spawnSync(copy as string, ['--root', s.root, 'create', '--bundle', b.dir, id], {
      stdio: 'ignore',
    });
    expect(created.status).toBe(0);
    const { pid } = await s.state(id);
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:dyspawn-sealed/);
    expect(() => openSync(`/proc/${pid}/exe`, 'r+')).toThrow();
    // The re-exec marker alone proves nothing: a dyrt that is not a sealed copy refuses to go on.
    const forged = spawnSync(dyrtPath, ['--root', s.root, 'create', '--bundle', b.dir, s.newId()], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, _DYRT_CLONED: '1' },
    });
    expect(forged.status).not.toBe(0);
    expect(forged.stderr).toMatch(/sealed copy of dyrt did not take/);
  });

  it('refuses a working directory outside the container root (CVE-2024-21626)', async () => {
    const s = sessions.dyrt;
    for (const fd of [3, 4, 5, 6, 7]) {
      const id = s.newId();
      const b = s.bundle(id, (c) => {
        c.process.cwd = `/proc/self/fd/${fd}`;
        c.process.args = ['sh', '-c', 'pwd; ls ../../../'];
      });
      const r = await s.run(id, b);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stdout).toBe('');
    }
  });

  it('leaves nothing behind when create fails inside the container setup', async () => {
    const s = sessions.dyrt;
    const id = s.newId();
    const b = s.bundle(id, (c) => {
      c.mounts.push({
        destination: '/data',
        type: 'bind',
        source: '/nonexistent-dyrtconf',
        options: ['rbind'],
      });
    });
    const r = await s.cmd(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^dyrt: .*nonexistent-dyrtconf.*No such file or directory\n$/);
    expect(existsSync(join(s.root, id))).toBe(false);
    expect(cgroupSetting(id, 'exists')).toBe('false');
  });

  it('proxies a terminal container through its own stdio in a foreground run', async () => {
    const s = sessions.dyrt;
    const id = s.newId();
    const b = s.bundle(id, (c) => {
      c.process.terminal = true;
      c.process.args = ['sh', '-c', 'tty; read line; echo got-$line; exit 7'];
    });
    const r = spawnSync(dyrtPath, ['--root', s.root, 'run', '--bundle', b.dir, id], {
      input: 'hello\n',
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(7);
    // The PTY echoes the input line (whenever it arrives) besides the process' own output, all with CRLF.
    expect(r.stdout.replace('hello\r\n', '')).toBe('/dev/pts/0\r\ngot-hello\r\n');
  });

  it('proxies a foreground exec --tty through its own stdio', async () => {
    const s = sessions.dyrt;
    const id = await startSleeper(s);
    const r = spawnSync(
      dyrtPath,
      ['--root', s.root, 'exec', '--tty', id, 'sh', '-c', 'read line; tty; echo got-$line; exit 3'],
      {
        input: 'hi\n',
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toBe('hi\r\n/dev/pts/0\r\ngot-hi\r\n');
  });

  it('rejects a second container with the same id and leaves the first alone', async () => {
    const s = sessions.dyrt;
    const id = await startSleeper(s);
    const b = s.bundle(id, sh('true'));
    const r = await s.cmd(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`dyrt: container with id ${id} already exists\n`);
    expect((await s.state(id)).status).toBe('running');
  });
});

describe('dyrt on a cgroup v2 hierarchy', () => {
  it('places, freezes, lists and removes the container cgroup with cgroup2 files', async () => {
    const s = sessions.dyrt;
    const id = s.newId();
    const b = s.bundle(id, (c) => {
      c.linux.namespaces.push({ type: 'cgroup' });
      c.process.args = ['sleep', '60'];
    });
    const dyrt = (args: string) => `${dyrtPath} --root ${s.root} ${args}`;
    const script = [
      'set -e',
      // On a hybrid host, a private mount namespace with the v2 hierarchy on /sys/fs/cgroup makes dyrt take its v2 path.
      '[ -f /sys/fs/cgroup/cgroup.controllers ] || mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup',
      `${dyrt(`run --detach --bundle ${b.dir} ${id}`)} > /dev/null`,
      `cat /sys/fs/cgroup/${id}/cgroup.procs | wc -l`,
      dyrt(`pause ${id}`),
      `grep frozen /sys/fs/cgroup/${id}/cgroup.events`,
      `${dyrt(`state ${id}`)} | grep -o '"status": "[a-z]*"'`,
      dyrt(`resume ${id}`),
      `grep frozen /sys/fs/cgroup/${id}/cgroup.events`,
      `${dyrt(`ps ${id}`)} | wc -l`,
      dyrt(`delete --force ${id}`),
      `[ ! -e /sys/fs/cgroup/${id} ] && echo removed`,
    ].join('\n');
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1\nfrozen 1\n"status": "paused"\nfrozen 0\n1\nremoved\n');
  });
});

describe('after the life-cycle tests', () => {
  it('no cgroups or mounts of the tests are left behind', () => {
    expect(leakedCgroups()).toEqual([]);
    expect(leakedMounts()).toEqual([]);
  });
});
