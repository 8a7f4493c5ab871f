import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEngine, waitFor } from './helpers.js';

const t = new TestEngine();

beforeAll(() => t.setup());
afterAll(() => t.teardown());

describe('dockyard run', () => {
  it('prints the container output and returns its exit code', async () => {
    const r = await t.dy([
      'run',
      '--rm',
      '--network',
      'none',
      'busybox',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 7',
    ]);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('removes a --rm container when it exits', async () => {
    const name = t.name('rm');
    await t.ok(['run', '--rm', '--name', name, 'busybox', 'true']);
    expect((await t.dy(['inspect', name])).code).toBe(1);
  });

  it('passes env, workdir, user, hostname and labels into the container', async () => {
    const name = t.name('env');
    const out = await t.ok([
      'run',
      '--name',
      name,
      '-e',
      'FOO=bar',
      '--env=BAZ=qux',
      '-w',
      '/tmp/work',
      '-u',
      '1000:1000',
      '--hostname',
      'box1',
      '-l',
      'tier=web',
      'busybox',
      'sh',
      '-c',
      'echo $FOO $BAZ $(pwd) $(id -u):$(id -g) $(hostname)',
    ]);
    expect(out).toBe('bar qux /tmp/work 1000:1000 box1');
    const inspect = JSON.parse(await t.ok(['inspect', name]));
    expect(inspect[0].Config.Labels).toEqual({ tier: 'web' });
    expect(inspect[0].Config.Env).toContain('FOO=bar');
    expect(inspect[0].Name).toBe(`/${name}`);
    expect(inspect[0].Id).toMatch(/^[0-9a-f]{64}$/);
    await t.ok(['rm', name]);
  });

  it('generates adjective_noun names and 64-hex ids', async () => {
    const id = await t.ok(['create', 'busybox', 'true']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const name = await t.ok(['inspect', '-f', '{{.Name}}', id.slice(0, 12)]);
    expect(name).toMatch(/^\/[a-z]+_[a-z]+\d?$/);
    await t.ok(['rm', id]);
  });

  it('runs stdin through with -i', async () => {
    const r = await t.dy(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z'], {
      input: 'hello stdin\n',
    });
    expect(r.stdout).toBe('HELLO STDIN\n');
    expect(r.code).toBe(0);
  });

  it('mounts the image layers with overlayfs as the container root', async () => {
    const name = t.name('ovl');
    await t.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    const pid = Number(await t.ok(['inspect', '-f', '{{.State.Pid}}', name]));
    const mountinfo = await fs.readFile(`/proc/${pid}/mountinfo`, 'utf8');
    const rootLine = mountinfo.split('\n').find((l) => l.split(' ')[4] === '/');
    expect(rootLine).toMatch(/ - overlay overlay .*lowerdir=/);
    expect(rootLine).toContain(path.join(t.root, 'images/layers'));
    expect(rootLine).toContain(`upperdir=${path.join(t.root, 'containers')}`);
    const graph = JSON.parse(await t.ok(['inspect', '-f', '{{json .GraphDriver.Data}}', name]));
    expect(rootLine).toContain(graph.UpperDir);
    await t.ok(['rm', '-f', name]);
    expect(await t.mounts()).toEqual([]);
  });
});

describe('errors leave nothing half-made', () => {
  it('reports an unknown image like docker, exit 125', async () => {
    const before = await t.ok(['ps', '-aq']);
    const r = await t.dy(['run', '--name', t.name('x'), 'nosuchimage']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("Unable to find image 'nosuchimage:latest' locally");
    expect(r.stderr).toContain('pull access denied for nosuchimage');
    expect(await t.ok(['ps', '-aq'])).toBe(before);
  });

  it('refuses a name in use, exit 125', async () => {
    const name = t.name('dup');
    const id = await t.ok(['create', '--name', name, 'busybox', 'true']);
    const r = await t.dy(['run', '--name', name, 'busybox', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(
      `Conflict. The container name "/${name}" is already in use by container "${id}"`,
    );
    expect((await t.ok(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean)).toEqual([id]);
    await t.ok(['rm', name]);
  });

  it('rejects an unknown flag with exit 125', async () => {
    const r = await t.dy(['run', '--bogus', 'busybox', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('unknown flag: --bogus');
    expect(await t.ok(['ps', '-aq'])).toBe('');
  });

  it('returns 127 for a missing command and 126 for a non-executable one, with nothing mounted', async () => {
    const a = await t.dy(['run', '--rm', 'busybox', 'nosuchcmd']);
    expect(a.code).toBe(127);
    expect(a.stderr).toContain('executable file not found in $PATH');
    const b = await t.dy(['run', '--rm', 'busybox', '/etc/passwd']);
    expect(b.code).toBe(126);
    expect(await t.ok(['ps', '-aq'])).toBe('');
    expect(await t.mounts()).toEqual([]);
    expect(t.cgroups()).toEqual([]);
  });

  it('reports a missing container like docker', async () => {
    const r = await t.dy(['stop', 'nope-nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error response from daemon: No such container: nope-nope');
  });

  it('fails on a taken host port and leaves no veth, mount or cgroup behind', async () => {
    const a = t.name('p1');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    await t.ok(['run', '-d', '--name', a, '-p', `${port}:80`, 'busybox', 'sleep', '60']);
    const vethsBefore = await t.veths();
    const b = t.name('p2');
    const r = await t.dy(['run', '-d', '--name', b, '-p', `${port}:80`, 'busybox', 'sleep', '60']);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/port is already allocated/);
    expect(await t.veths()).toBe(vethsBefore);
    expect(await t.ok(['inspect', '-f', '{{.State.Status}}', b])).toBe('created');
    expect((await t.mounts()).filter((m) => m.includes('rootfs')).length).toBe(1);
    expect(new Set(t.cgroups().map((p) => path.basename(p))).size).toBe(1);
    await t.ok(['rm', '-f', a, b]);
  });
});

describe('life cycle verbs', () => {
  it('create, start, pause, unpause, stop, restart, kill, rm', async () => {
    const name = t.name('lc');
    await t.ok([
      'create',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'trap "exit 0" TERM; while true; do sleep 0.1; done',
    ]);
    expect(await t.ok(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}'])).toBe('Created');
    expect(await t.ok(['start', name])).toBe(name);
    expect(await t.ok(['inspect', '-f', '{{.State.Status}}', name])).toBe('running');
    await t.ok(['pause', name]);
    expect(await t.ok(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).toMatch(
      /^Up .* \(Paused\)$/,
    );
    await t.ok(['unpause', name]);
    await t.ok(['stop', name]);
    expect(await t.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).toBe('exited 0');
    await t.ok(['restart', name]);
    expect(await t.ok(['inspect', '-f', '{{.State.Status}}', name])).toBe('running');
    const rmRunning = await t.dy(['rm', name]);
    expect(rmRunning.code).toBe(1);
    expect(rmRunning.stderr).toContain('stop the container before removing or force remove');
    await t.ok(['kill', name]);
    expect(await t.ok(['wait', name])).toBe('137');
    await t.ok(['rm', name]);
    expect(await t.mounts()).toEqual([]);
  });

  it('stop sends SIGKILL after the timeout', async () => {
    const name = t.name('stop');
    await t.ok([
      'run',
      '-d',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'trap "" TERM; while true; do sleep 0.1; done',
    ]);
    await t.ok(['stop', '-t', '1', name]);
    expect(await t.ok(['inspect', '-f', '{{.State.ExitCode}}', name])).toBe('137');
    await t.ok(['rm', name]);
  });

  it('ps shows docker columns, -q, --no-trunc, filters and formats', async () => {
    const name = t.name('ps');
    const id = await t.ok(['run', '-d', '--name', name, '-l', 'app=ps', 'busybox', 'sleep', '60']);
    const table = await t.ok(['ps']);
    const [header, ...rows] = table.split('\n');
    expect(header).toMatch(/^CONTAINER ID\s{3}IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    const row = rows.find((r) => r.endsWith(name));
    expect(row).toMatch(new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sleep 60"\\s+.* ago\\s+Up `));
    expect((await t.ok(['ps', '-q'])).split('\n')).toContain(id.slice(0, 12));
    expect((await t.ok(['ps', '-q', '--no-trunc'])).split('\n')).toContain(id);
    expect(await t.ok(['ps', '--filter', 'label=app=ps', '--format', '{{.Names}} {{.State}}'])).toBe(
      `${name} running`,
    );
    expect(
      await t.ok(['container', 'ls', '--filter', 'status=exited', '--filter', `name=${name}`, '-q']),
    ).toBe('');
    await t.ok(['rm', '-f', name]);
  });

  it('logs reads the json log with --tail and --timestamps, and -f follows until exit', async () => {
    const name = t.name('logs');
    await t.ok([
      'run',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2',
    ]);
    const all = await t.dy(['logs', name]);
    expect(all.stdout).toBe('line1\nline2\nline3\nline4\nline5\n');
    expect(all.stderr).toBe('oops\n');
    expect(
      (await t.dy(['logs', '--tail', '2', name])).stdout + (await t.dy(['logs', '--tail', '2', name])).stderr,
    ).toBe('line5\noops\n');
    expect(await t.ok(['logs', '-t', '--tail', '1', name])).toBe('');
    const stamped = (await t.dy(['logs', '-t', '-n', '2', name])).stdout;
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line5\n$/);
    await t.ok(['rm', name]);

    const f = t.name('follow');
    await t.ok(['run', '-d', '--name', f, 'busybox', 'sh', '-c', 'echo first; sleep 1; echo second']);
    const followed = await t.dy(['logs', '-f', f]);
    expect(followed.stdout).toBe('first\nsecond\n');
    await t.ok(['rm', f]);
  });

  it('exec runs in the container with -e, -u, -w, stdin and exit codes', async () => {
    const name = t.name('exec');
    await t.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    expect(
      await t.ok([
        'exec',
        '-e',
        'X=1',
        '-u',
        '1234',
        '-w',
        '/tmp',
        name,
        'sh',
        '-c',
        'echo $X $(id -u) $(pwd)',
      ]),
    ).toBe('1 1234 /tmp');
    const r = await t.dy(['exec', name, 'sh', '-c', 'exit 42']);
    expect(r.code).toBe(42);
    const i = await t.dy(['exec', '-i', name, 'cat'], { input: 'piped\n' });
    expect(i.stdout).toBe('piped\n');
    const missing = await t.dy(['exec', name, 'nosuch']);
    expect(missing.code).toBe(127);
    await t.ok(['exec', '-d', name, 'sh', '-c', 'echo detached > /tmp/d']);
    await waitFor(async () => (await t.dy(['exec', name, 'cat', '/tmp/d'])).stdout === 'detached\n');
    // exec shares the container's namespaces: it sees the container's pid 1.
    expect(await t.ok(['exec', name, 'cat', '/proc/1/cmdline'])).toBe('sleep\u000060\u0000');
    await t.ok(['stop', '-t', '0', name]);
    const stopped = await t.dy(['exec', name, 'true']);
    expect(stopped.code).toBe(125);
    expect(stopped.stderr).toContain('is not running');
    await t.ok(['rm', name]);
  });

  it('top, stats, port, rename, update and inspect', async () => {
    const name = t.name('misc');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    await t.ok([
      'run',
      '-d',
      '--name',
      name,
      '-p',
      `127.0.0.1:${port}:80`,
      '-m',
      '64m',
      '--cpus',
      '0.5',
      '--pids-limit',
      '50',
      'busybox',
      'sleep',
      '60',
    ]);
    const top = await t.ok(['top', name]);
    expect(top.split('\n')[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(top).toContain('sleep 60');
    const stats = await t.ok(['stats', '--no-stream', name]);
    expect(stats.split('\n')[0]).toMatch(
      /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/,
    );
    expect(stats.split('\n')[1]).toMatch(
      new RegExp(`${name}\\s+\\d+\\.\\d\\d%\\s+[\\d.]+[KMG]?i?B / 64MiB\\s+[\\d.]+%.*\\s1$`),
    );
    expect(await t.ok(['port', name])).toBe(`80/tcp -> 127.0.0.1:${port}`);
    const hc = JSON.parse(await t.ok(['inspect', '-f', '{{json .HostConfig}}', name]));
    expect(hc).toMatchObject({ Memory: 64 * 1024 * 1024, NanoCpus: 5e8, PidsLimit: 50 });
    const renamed = `${name}-new`;
    await t.ok(['rename', name, renamed]);
    await t.ok(['update', '-m', '128m', '--pids-limit', '64', '--restart', 'on-failure:3', renamed]);
    const id = await t.ok(['inspect', '-f', '{{.Id}}', renamed]);
    const cg = t.cgroups().map((p) => path.basename(p));
    expect(new Set(cg)).toEqual(new Set([id]));
    const mem = existsMemoryV1()
      ? await fs.readFile(`/sys/fs/cgroup/memory${t.cgroupParent}/${id}/memory.limit_in_bytes`, 'utf8')
      : await fs.readFile(`/sys/fs/cgroup${t.cgroupParent}/${id}/memory.max`, 'utf8');
    expect(Number(mem)).toBe(128 * 1024 * 1024);
    expect(
      await t.ok([
        'inspect',
        '-f',
        '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}',
        renamed,
      ]),
    ).toBe('on-failure:3');
    await t.ok(['rm', '-f', renamed]);
  });

  it('cp copies both ways, diff lists A/C/D, commit makes a layer, export writes the rootfs', async () => {
    const name = t.name('fs');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dye-cp-'));
    try {
      await t.ok([
        'run',
        '-d',
        '--name',
        name,
        'busybox',
        'sh',
        '-c',
        'echo new > /added; echo changed >> /etc/passwd; rm /bin/vi; sleep 60',
      ]);
      await waitFor(async () => (await t.dy(['exec', name, 'test', '-e', '/added'])).code === 0);
      const diff = (await t.ok(['diff', name])).split('\n');
      expect(diff).toEqual(expect.arrayContaining(['A /added', 'C /etc/passwd', 'C /bin', 'D /bin/vi']));
      await t.ok(['cp', `${name}:/added`, path.join(dir, 'copied')]);
      expect(await fs.readFile(path.join(dir, 'copied'), 'utf8')).toBe('new\n');
      await fs.writeFile(path.join(dir, 'in.txt'), 'from host\n');
      await t.ok(['cp', path.join(dir, 'in.txt'), `${name}:/tmp/`]);
      expect(await t.ok(['exec', name, 'cat', '/tmp/in.txt'])).toBe('from host');
      // A symlink pointing out of the container is resolved inside it, never on the host.
      await t.ok(['exec', name, 'ln', '-s', '/', '/escape']);
      await t.ok(['cp', path.join(dir, 'in.txt'), `${name}:/escape/tmp/escaped.txt`]);
      expect(await t.ok(['exec', name, 'cat', '/tmp/escaped.txt'])).toBe('from host');
      await expect(fs.access('/tmp/escaped.txt')).rejects.toThrow();

      const ref = `${t.name('img')}:v1`;
      const imgId = await t.ok(['commit', name, ref]);
      expect(imgId).toMatch(/^sha256:[0-9a-f]{64}$/);
      const layers = JSON.parse(await t.ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref]));
      expect(layers.length).toBe(2);
      expect(
        await t.ok([
          'run',
          '--rm',
          ref,
          'sh',
          '-c',
          'cat /added; tail -1 /etc/passwd; test -e /bin/vi || echo gone',
        ]),
      ).toBe('new\nchanged\ngone');

      await t.ok(['export', '-o', path.join(dir, 'fs.tar'), name]);
      const { runCmd } = await import('./helpers.js');
      const listing = (await runCmd('tar', ['-tf', path.join(dir, 'fs.tar')])).stdout.split('\n');
      expect(listing).toEqual(expect.arrayContaining(['added', 'bin/busybox']));
      expect(listing).not.toContain('bin/vi');
      await t.ok(['rm', '-f', name]);
      await t.ok(['rmi', ref]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('limits', () => {
  it('-m 64m OOM-kills a memory hog and inspect says OOMKilled', async () => {
    const name = t.name('oom');
    const r = await t.dy([
      'run',
      '--name',
      name,
      '-m',
      '64m',
      '--memory-swap',
      '64m',
      'busybox',
      'tail',
      '/dev/zero',
    ]);
    expect(r.code).toBe(137);
    await waitFor(async () => (await t.ok(['inspect', '-f', '{{.State.OOMKilled}}', name])) === 'true');
    await t.ok(['rm', name]);
  });

  it('--pids-limit 32 stops a fork bomb', async () => {
    const name = t.name('pids');
    await t.ok([
      'run',
      '-d',
      '--name',
      name,
      '--pids-limit',
      '32',
      'busybox',
      'sh',
      '-c',
      '(i=0; while [ $i -lt 200 ]; do sleep 60 & i=$((i+1)); done) 2>/dev/null & exec sleep 60',
    ]);
    const count = await waitFor(async () => {
      const top = await t.dy(['top', name]);
      const n = top.stdout.split('\n').filter((l) => l.includes('sleep')).length;
      return n >= 25 ? n : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    const final = (await t.ok(['top', name])).split('\n').length - 1;
    expect(count).toBeGreaterThanOrEqual(25);
    expect(final).toBeLessThanOrEqual(32);
    // The container survived the bomb: its pid 1 is still there.
    expect(await t.ok(['inspect', '-f', '{{.State.Status}}', name])).toBe('running');
    await t.ok(['rm', '-f', name]);
  });
});

describe('restart policies and engine restart', () => {
  it('on-failure restarts up to the retry count', async () => {
    const name = t.name('rp');
    await t.ok(['run', '-d', '--name', name, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
    await waitFor(
      async () => (await t.ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', name])) === '2 exited',
      30_000,
    );
    expect(await t.ok(['inspect', '-f', '{{.State.ExitCode}}', name])).toBe('3');
    await t.ok(['rm', name]);
  });

  it('always restarts after exit, and stop ends it', async () => {
    const name = t.name('always');
    await t.ok(['run', '-d', '--name', name, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
    await waitFor(async () => Number(await t.ok(['inspect', '-f', '{{.RestartCount}}', name])) >= 2, 30_000);
    await t.ok(['stop', name]);
    const count = await t.ok(['inspect', '-f', '{{.RestartCount}}', name]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await t.ok(['inspect', '-f', '{{.RestartCount}} {{.State.Status}}', name])).toBe(
      `${count} exited`,
    );
    await t.ok(['rm', name]);
  });

  it('container recover restarts an always container whose shim and process died (a crash or reboot)', async () => {
    const name = t.name('recover');
    await t.ok(['run', '-d', '--name', name, '--restart', 'always', 'busybox', 'sleep', '60']);
    const id = await t.ok(['inspect', '-f', '{{.Id}}', name]);
    const pid = Number(await t.ok(['inspect', '-f', '{{.State.Pid}}', name]));
    const shimPid = Number((await fs.readFile(path.join(t.run, 'shim', id, 'shim.pid'), 'utf8')).trim());
    process.kill(shimPid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(await t.ok(['inspect', '-f', '{{.State.Status}}', name])).toBe('exited');
    expect(await t.ok(['container', 'recover'])).toContain(id);
    expect(await t.ok(['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', name])).toBe('running 1');
    expect(Number(await t.ok(['inspect', '-f', '{{.State.Pid}}', name]))).not.toBe(pid);
    await t.ok(['rm', '-f', name]);
  });

  it('a running container survives killing every dockyard process; ps, logs and attach still work', async () => {
    const name = t.name('survive');
    await t.ok([
      'run',
      '-d',
      '--name',
      name,
      '--restart',
      'unless-stopped',
      'busybox',
      'sh',
      '-c',
      'i=0; while true; do echo tick$i; i=$((i+1)); sleep 0.2; done',
    ]);
    const attached = t.spawnCli(['attach', name]);
    const follower = t.spawnCli(['logs', '-f', name]);
    await new Promise((r) => setTimeout(r, 800));
    attached.kill('SIGKILL');
    follower.kill('SIGKILL');
    // Nothing of the engine is left but records on disk and the container's own dyshim.
    expect(await t.ok(['ps', '--filter', `name=${name}`, '--format', '{{.State}}'])).toBe('running');
    expect((await t.ok(['logs', name])).split('\n')[0]).toBe('tick0');
    const again = t.spawnCli(['attach', name]);
    const seen = await new Promise<string>((resolve) => {
      let buf = '';
      again.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (/tick\d+\n/.test(buf)) resolve(buf);
      });
    });
    again.kill('SIGKILL');
    expect(seen).toMatch(/tick\d+/);
    await t.ok(['rm', '-f', name]);
  });
});

function existsMemoryV1(): boolean {
  return !existsSync('/sys/fs/cgroup/cgroup.controllers') && existsSync('/sys/fs/cgroup/memory');
}
