import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, NEW_DOCKER, runProcess, waitFor } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

const inspectField = async (ref: string, tmpl: string) => d.ok(['inspect', '-f', tmpl, ref]);

describe('docker CLI against the engine API: containers', () => {
  it('docker run --rm busybox echo hi, end to end, with the exit code and nothing left behind', async () => {
    const name = d.name('rm');
    const r = await d.docker(['run', '--rm', '--name', name, 'busybox', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    const failing = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo to-err >&2; exit 7']);
    expect(failing.code).toBe(7);
    expect(failing.stderr).toBe('to-err\n');
    expect(await d.ok(['ps', '-aq', '--filter', `name=${name}`])).toBe('');
  });

  it('create, start, ps with filters, stop, start, restart, kill, pause, unpause, rm', async () => {
    const name = d.name('life');
    const id = await d.ok(['create', '--name', name, '--label', 'suite=api', 'busybox', 'sleep', '300']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await inspectField(name, '{{.State.Status}}')).toBe('created');
    expect(await d.ok(['ps', '-q'])).not.toContain(id.slice(0, 12));
    expect(await d.ok(['ps', '-aq', '--filter', 'status=created'])).toContain(id.slice(0, 12));
    expect(await d.ok(['start', name])).toBe(name);
    expect(await inspectField(name, '{{.State.Running}} {{.Name}} {{.Config.Image}}')).toBe(
      `true /${name} busybox`,
    );
    expect(await d.ok(['ps', '--filter', 'label=suite=api', '--format', '{{.Names}} {{.State}}'])).toBe(
      `${name} running`,
    );
    expect(await d.ok(['ps', '-q', '--filter', `id=${id.slice(0, 10)}`])).toBe(id.slice(0, 12));
    expect(await d.ok(['ps', '-q', '--filter', 'ancestor=busybox', '--filter', `name=${name}`])).toBe(
      id.slice(0, 12),
    );
    expect(await d.ok(['ps', '-q', '--filter', 'label=suite=other'])).toBe('');

    await d.ok(['pause', name]);
    expect(await inspectField(name, '{{.State.Status}} {{.State.Paused}}')).toBe('paused true');
    await d.ok(['unpause', name]);
    expect(await inspectField(name, '{{.State.Status}}')).toBe('running');

    await d.ok(['stop', '-t', '1', name]);
    expect(await inspectField(name, '{{.State.Status}}')).toBe('exited');
    await d.ok(['start', name]);
    const pid1 = await inspectField(name, '{{.State.Pid}}');
    await d.ok(['restart', '-t', '1', name]);
    const pid2 = await inspectField(name, '{{.State.Pid}}');
    expect(pid2).not.toBe(pid1);
    expect(await inspectField(name, '{{.State.Running}}')).toBe('true');

    await d.ok(['kill', '-s', 'KILL', name]);
    expect(await d.ok(['wait', name])).toBe('137');
    await d.ok(['rm', name]);
    expect((await d.docker(['inspect', name])).code).toBe(1);
  });

  it('logs (streams, tail, timestamps) and logs -f until the container exits', async () => {
    const name = d.name('logs');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three']);
    await d.ok(['wait', name]);
    const all = await d.docker(['logs', name]);
    expect(all.stdout).toBe('one\nthree\n');
    expect(all.stderr).toBe('two\n');
    // Across both streams the order of lines is the shim's; "three" is among the last two either way.
    expect((await d.docker(['logs', '--tail', '2', name])).stdout).toMatch(/^(one\n)?three\n$/);
    expect((await d.docker(['logs', '--tail', '0', name])).stdout).toBe('');
    expect((await d.docker(['logs', '-t', name])).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);

    const f = d.name('follow');
    await d.ok([
      'run',
      '-d',
      '--name',
      f,
      'busybox',
      'sh',
      '-c',
      'for i in 1 2 3; do echo line$i; sleep 0.3; done',
    ]);
    const followed = await d.docker(['logs', '-f', f]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toBe('line1\nline2\nline3\n');
  });

  it('exec: output streams, exit code, env, workdir, user, detached', async () => {
    const name = d.name('exec');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
    const r = await d.docker(['exec', name, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect(
      await d.ok([
        'exec',
        '-e',
        'GREETING=hey',
        '-w',
        '/tmp',
        '-u',
        'nobody',
        name,
        'sh',
        '-c',
        'echo $GREETING $(pwd) $(id -un)',
      ]),
    ).toBe('hey /tmp nobody');
    expect(await d.ok(['exec', '-i', name, 'cat'], { input: 'piped stdin\n' })).toBe('piped stdin');
    await d.ok(['exec', '-d', name, 'sh', '-c', 'echo done > /tmp/detached']);
    await waitFor(async () => (await d.docker(['exec', name, 'cat', '/tmp/detached'])).stdout === 'done\n');
    const missing = await d.docker(['exec', name, 'nosuchcmd']);
    expect(missing.stdout).toMatch(/executable file not found/);
    expect(missing.code).toBe(127);
  });

  it('attach: stdin goes in, output comes out, stdin EOF ends the container', async () => {
    const name = d.name('attach');
    await d.ok(['run', '-d', '-i', '--name', name, 'busybox', 'sh', '-c', 'cat; echo bye; exit 5']);
    const r = await d.docker(['attach', name], { input: 'through attach\n' });
    expect(r.stdout).toBe('through attach\nbye\n');
    expect(r.code).toBe(5);
  });

  it('docker run -i pipes stdin to the container', async () => {
    const r = await d.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'wc -l'], { input: 'a\nb\nc\n' });
    expect(r.stdout.trim()).toBe('3');
    expect(r.code).toBe(0);
  });

  it('inspect, top, stats --no-stream, port, rename, update', async () => {
    const name = d.name('misc');
    await d.ok(['run', '-d', '--name', name, '-p', '127.0.0.1::80', '-e', 'X=1', 'busybox', 'sleep', '300']);
    const [info] = JSON.parse(await d.ok(['inspect', name]));
    expect(info.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(info.Name).toBe(`/${name}`);
    expect(info.Path).toBe('sleep');
    expect(info.Args).toEqual(['300']);
    expect(info.State).toMatchObject({ Status: 'running', Running: true, Paused: false, ExitCode: 0 });
    expect(info.State.Pid).toBeGreaterThan(0);
    expect(info.Config.Env).toContain('X=1');
    expect(info.NetworkSettings.Networks.bridge.IPAddress).toMatch(/^10\.\d+\.0\.\d+$/);
    expect(info.NetworkSettings.Networks.bridge.Gateway).toMatch(/^10\.\d+\.0\.1$/);

    const top = await d.ok(['top', name]);
    expect(top.split('\n')[0]).toMatch(/PID/);
    expect(top).toContain('sleep 300');

    const stats = await d.ok([
      'stats',
      '--no-stream',
      '--format',
      '{{.Name}}|{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}',
      name,
    ]);
    const [sname, mem, pids, cpu] = stats.split('|');
    expect(sname).toBe(name);
    expect(mem).toMatch(/^[\d.]+[KMG]iB \/ [\d.]+[KMGT]iB$/);
    expect(mem).not.toMatch(/^0B/);
    expect(pids).toBe('1');
    expect(cpu).toMatch(/^\d+\.\d\d%$/);

    const port = await d.ok(['port', name, '80']);
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);

    const renamed = d.name('renamed');
    await d.ok(['rename', name, renamed]);
    expect(await inspectField(renamed, '{{.Name}}')).toBe(`/${renamed}`);

    await d.ok(['update', '--memory', '64m', '--memory-swap', '128m', renamed]);
    expect(await inspectField(renamed, '{{.HostConfig.Memory}}')).toBe(String(64 * 1024 * 1024));
    await d.ok(['rm', '-f', renamed]);
  });

  it('cp both ways, diff, commit, export', async () => {
    const name = d.name('fs');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
    const dir = path.join(d.base, 'cp');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'in.txt'), 'from the host\n');
    await d.ok(['cp', path.join(dir, 'in.txt'), `${name}:/tmp/`]);
    expect(await d.ok(['exec', name, 'cat', '/tmp/in.txt'])).toBe('from the host');
    await d.ok(['exec', name, 'sh', '-c', 'mkdir /data && echo inside > /data/f && rm /bin/vi']);
    await d.ok(['cp', `${name}:/data`, path.join(dir, 'out')]);
    expect(await fs.readFile(path.join(dir, 'out/f'), 'utf8')).toBe('inside\n');
    await d.ok(['cp', `${name}:/data/f`, path.join(dir, 'single.txt')]);
    expect(await fs.readFile(path.join(dir, 'single.txt'), 'utf8')).toBe('inside\n');

    const diff = (await d.ok(['diff', name])).split('\n');
    expect(diff).toEqual(
      expect.arrayContaining(['A /data', 'A /data/f', 'C /tmp', 'A /tmp/in.txt', 'D /bin/vi']),
    );

    const tag = `api-commit-${d.tag}:v1`;
    const bad = await d.docker(['commit', '-c', 'RUN rm -rf /', name, `${tag}-bad`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('RUN is not a valid change command');
    const imageId = await d.ok([
      'commit',
      ...['-c', 'CMD ["cat", "/data/f"]'],
      ...['-c', 'ENV GREETING="hello there"'],
      ...['-c', 'ENV SHOUT="$GREETING!"'],
      ...['-c', 'EXPOSE 8080-8081/udp'],
      ...['-c', 'HEALTHCHECK --interval=5s --retries=2 CMD test -f /data/f'],
      ...['-c', 'STOPSIGNAL SIGINT'],
      ...['-c', 'VOLUME /cache'],
      name,
      tag,
    ]);
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await d.docker(['run', '--rm', tag])).stdout).toBe('inside\n');
    const cfg = JSON.parse(await d.ok(['image', 'inspect', '-f', '{{json .Config}}', tag]));
    expect(cfg.Env).toEqual(expect.arrayContaining(['GREETING=hello there', 'SHOUT=hello there!']));
    expect(cfg).toMatchObject({
      ExposedPorts: { '8080/udp': {}, '8081/udp': {} },
      Healthcheck: { Test: ['CMD-SHELL', 'test -f /data/f'], Interval: 5e9, Retries: 2 },
      StopSignal: 'SIGINT',
      Volumes: { '/cache': {} },
    });

    const exported = path.join(dir, 'fs.tar');
    await d.ok(['export', '-o', exported, name]);
    const listing = await runProcess('tar', ['-tf', exported], {});
    expect(listing.stdout.split('\n')).toEqual(
      expect.arrayContaining(['data/f', 'tmp/in.txt', 'bin/busybox']),
    );
    expect(listing.stdout.split('\n')).not.toContain('bin/vi');
  });

  it('docker run -it and docker exec -it under a real PTY', async () => {
    const script = (cmd: string, lines: string[]) => {
      // script(1) gives the client a PTY; input is fed with pauses, as a person would type.
      const feed = lines.map((l) => `sleep 0.6; printf '%s\\n' '${l}'`).join('; ');
      return runProcess('sh', ['-c', `(${feed}; sleep 0.5) | script -qec "${cmd}" /dev/null`], {
        env: d.clientEnv,
        timeoutMs: 30_000,
      });
    };
    const run = await script('/usr/bin/docker run -it --rm busybox sh', [
      'echo pty-$((40+2)); tty',
      'exit 3',
    ]);
    expect(run.stdout).toContain('pty-42');
    expect(run.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(run.code).toBe(3);

    const name = d.name('pty');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
    const ex = await script(`/usr/bin/docker exec -it ${name} sh`, ['echo ex-$((40+2)); tty', 'exit 4']);
    expect(ex.stdout).toContain('ex-42');
    expect(ex.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(ex.code).toBe(4);
  });

  it('docker events --since --until shows what the verbs did', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = d.name('ev');
    await d.ok(['run', '--name', name, 'busybox', 'true']);
    await d.ok(['rm', name]);
    const until = Math.ceil(Date.now() / 1000) + 1;
    const out = await d.ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      `container=${name}`,
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    const lines = out.split('\n');
    for (const action of ['create', 'attach', 'start', 'die', 'destroy'])
      expect(lines).toContain(`container ${action} ${name}`);
    expect(lines.indexOf(`container create ${name}`)).toBeLessThan(
      lines.indexOf(`container destroy ${name}`),
    );
    const filtered = await d.ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'event=die',
      '--filter',
      `container=${name}`,
    ]);
    expect(filtered.split('\n')).toHaveLength(1);
    // The CLI reads the same stored events.
    const cli = await d.dy([
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      `container=${name}`,
    ]);
    expect(cli.stdout).toMatch(new RegExp(`container destroy [0-9a-f]{64} \\(.*name=${name}`));
  });

  it('docker events follows live, docker start -a attaches, container prune removes stopped ones', async () => {
    const name = d.name('live');
    const events = d.spawnDocker(['events', '--filter', `container=${name}`, '--format', '{{.Action}}']);
    let seen = '';
    events.stdout?.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    try {
      // The stream is open once the daemon answered; events recorded after that must arrive.
      await new Promise((r) => setTimeout(r, 1000));
      await d.ok(['create', '--name', name, 'busybox', 'sh', '-c', 'echo attached-out; exit 6']);
      const started = await d.docker(['start', '-a', name]);
      expect(started).toMatchObject({ code: 6, stdout: 'attached-out\n' });
      await waitFor(async () => seen.includes('die'));
      expect(seen.split('\n')).toEqual(expect.arrayContaining(['create', 'attach', 'start', 'die']));
    } finally {
      events.kill('SIGKILL');
    }
    const id = await d.ok(['inspect', '-f', '{{.Id}}', name]);
    const pruned = await d.ok(['container', 'prune', '-f']);
    expect(pruned).toContain(id);
    expect((await d.docker(['inspect', name])).code).toBe(1);
  });

  it.runIf(existsSync(NEW_DOCKER))('a newer docker client (API 1.50) works too: ps, run, exec', async () => {
    const bin = NEW_DOCKER;
    expect((await d.docker(['ps'], { bin })).code).toBe(0);
    const r = await d.docker(['run', '--rm', 'busybox', 'echo', 'new-client'], { bin });
    expect(r).toMatchObject({ code: 0, stdout: 'new-client\n' });
    const name = d.name('new');
    expect((await d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '300'], { bin })).code).toBe(0);
    const ex = await d.docker(['exec', name, 'sh', '-c', 'echo e; exit 2'], { bin });
    expect(ex).toMatchObject({ code: 2, stdout: 'e\n' });
  });
});
