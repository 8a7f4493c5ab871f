// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${VAR} on purpose
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Engine } from '../../src/engine.js';
import { TestEngine, waitFor } from '../engine/helpers.js';

const te = new TestEngine();
let engine: Engine;

/** Writes a context directory from a map of relative path → content. */
async function context(files: Record<string, string>): Promise<string> {
  const dir = path.join(path.dirname(te.root), `ctx-${Math.random().toString(16).slice(2, 8)}`);
  for (const [rel, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), body);
  }
  return dir;
}

async function imageConfig(ref: string) {
  const id = await engine.images.require(ref);
  return engine.images.getConfig(id);
}

/** Nothing a build made may outlive it: containers, mounts, cgroups, scratch dirs. */
async function expectNoLeftovers(): Promise<void> {
  expect((await te.ok(['ps', '-aq'])).trim()).toBe('');
  expect((await te.mounts()).filter((m) => !m.endsWith('/netns'))).toEqual([]);
  expect(te.cgroups()).toEqual([]);
  expect(await fs.readdir(path.join(te.root, 'builder', 'tmp')).catch(() => [])).toEqual([]);
  expect(await te.veths()).toBe(0);
}

beforeAll(async () => {
  await te.setup();
  engine = new Engine(loadConfig(te.env));
});
afterAll(async () => {
  await te.teardown();
});

describe('dockyard build', () => {
  const multiStage = {
    Dockerfile: [
      'ARG BASE=busybox',
      'FROM ${BASE} AS build',
      'ARG WHO=nobody',
      'ENV GREETING="hello ${WHO}" EXTRA=${UNSET:-fallback}',
      'WORKDIR /src',
      'COPY message.txt lib/ ./',
      'RUN echo "running as ${WHO}" && cat message.txt part.txt > /out.txt && echo "$GREETING $EXTRA" >> /out.txt',
      'FROM busybox',
      'COPY --from=build /out.txt /srv/out.txt',
      'CMD ["cat", "/srv/out.txt"]',
      '',
    ].join('\n'),
    'message.txt': 'first\n',
    'lib/part.txt': 'second\n',
  };
  let dir: string;
  let firstId: string;

  it("builds a multi-stage Dockerfile with ARG/ENV substitution and COPY --from, printing docker's steps", async () => {
    dir = await context(multiStage);
    const r = await te.dy(['build', '-t', 'dyb-multi:1', '--build-arg', 'WHO=student', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('Step 1/10 : ARG BASE=busybox');
    expect(lines).toContain('Step 2/10 : FROM ${BASE} AS build');
    expect(lines).toContain('Step 9/10 : COPY --from=build /out.txt /srv/out.txt');
    expect(lines).toContain('running as student');
    expect(r.stdout).toMatch(
      / ---> Running in [0-9a-f]{12}\nrunning as student\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/,
    );
    const built = /Successfully built ([0-9a-f]{12})\nSuccessfully tagged dyb-multi:1\n$/.exec(r.stdout);
    expect(built).not.toBeNull();
    firstId = built?.[1] as string;
    const run = await te.dy(['run', '--rm', 'dyb-multi:1']);
    expect(run.stdout).toBe('first\nsecond\nhello student fallback\n');
    // Each step's image exists, but like docker, `images` hides those intermediates unless asked for all.
    const ids = async (args: string[]) =>
      (await te.dy(['images', '-q', ...args])).stdout.split('\n').filter(Boolean);
    const visible = await ids([]);
    const all = await ids(['-a']);
    expect(visible).toContain(firstId);
    expect(all.length).toBeGreaterThan(visible.length);
    expect(all).toEqual(expect.arrayContaining(visible));
    await expectNoLeftovers();
  });

  it('uses the cache on a rebuild and misses from the COPY of an edited file on', async () => {
    const again = await te.dy(['build', '-t', 'dyb-multi:1', '--build-arg', 'WHO=student', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/ ---> Using cache/g)?.length).toBe(7);
    expect(again.stdout).toContain(`Successfully built ${firstId}`);
    expect(again.stdout).not.toContain('Running in');

    await fs.writeFile(path.join(dir, 'lib/part.txt'), 'edited\n');
    const edited = await te.dy(['build', '-t', 'dyb-multi:2', '--build-arg', 'WHO=student', dir]);
    expect(edited.code).toBe(0);
    const afterCopy = edited.stdout.split('Step 6/10')[1] ?? '';
    expect(edited.stdout.split('Step 6/10')[0]).toContain('Using cache');
    expect(afterCopy).not.toContain('Using cache');
    expect((await te.dy(['run', '--rm', 'dyb-multi:2'])).stdout).toBe(
      'first\nedited\nhello student fallback\n',
    );

    const changedArg = await te.dy(['build', '--build-arg', 'WHO=other', dir]);
    expect(changedArg.stdout.split('Step 3/10')[1]?.split('Step 4/10')[0]).not.toContain('Using cache');
  });

  it('--target stops at the named stage; -f names the Dockerfile', async () => {
    const d = await context({
      'docker/build.Dockerfile': multiStage.Dockerfile,
      'message.txt': 'm\n',
      'lib/part.txt': 'p\n',
    });
    const r = await te.dy([
      'build',
      '-f',
      path.join(d, 'docker/build.Dockerfile'),
      '--target',
      'build',
      '-t',
      'dyb-stage:1',
      d,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Step 7/7 : RUN');
    expect(r.stdout).not.toContain('COPY --from');
    expect((await te.dy(['run', '--rm', 'dyb-stage:1', 'cat', '/out.txt'])).stdout).toBe(
      'm\np\nhello nobody fallback\n',
    );
    const missing = await te.dy([
      'build',
      '--target',
      'nope',
      d,
      '-f',
      path.join(d, 'docker/build.Dockerfile'),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('failed to reach build target nope in Dockerfile');
  });

  it('records CMD/ENTRYPOINT, HEALTHCHECK, ONBUILD, EXPOSE, USER, LABEL and more in the image config', async () => {
    const d = await context({
      Dockerfile: [
        'FROM busybox',
        'LABEL org.example.course="containers 101" level=1',
        'EXPOSE 8080 53/udp',
        'VOLUME /data',
        'WORKDIR /app',
        'WORKDIR sub',
        'USER nobody',
        'STOPSIGNAL SIGQUIT',
        'HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --retries=4 CMD wget -q -O- localhost || exit 1',
        'ONBUILD RUN echo from-trigger > /tmp/trigger.txt',
        'ENTRYPOINT echo entry',
        '',
      ].join('\n'),
    });
    const r = await te.dy(['build', '-t', 'dyb-config:1', '--label', 'built.by=test', d]);
    expect(r.code).toBe(0);
    const cfg = await imageConfig('dyb-config:1');
    const c = cfg.config as Record<string, unknown>;
    expect(c.Labels).toEqual({ 'org.example.course': 'containers 101', level: '1', 'built.by': 'test' });
    expect(c.ExposedPorts).toEqual({ '8080/tcp': {}, '53/udp': {} });
    expect(c.Volumes).toEqual({ '/data': {} });
    expect(c.WorkingDir).toBe('/app/sub');
    expect(c.User).toBe('nobody');
    expect(c.StopSignal).toBe('SIGQUIT');
    expect(c.Healthcheck).toEqual({
      Test: ['CMD-SHELL', 'wget -q -O- localhost || exit 1'],
      Interval: 5e9,
      Timeout: 2e9,
      StartPeriod: 1e9,
      Retries: 4,
    });
    expect(c.OnBuild).toEqual(['RUN echo from-trigger > /tmp/trigger.txt']);
    // A shell-form ENTRYPOINT is wrapped in /bin/sh -c and drops the CMD inherited from busybox.
    expect(c.Entrypoint).toEqual(['/bin/sh', '-c', 'echo entry']);
    expect(c.Cmd).toBeNull();
    const history = cfg.history ?? [];
    expect(history.at(-1)).toMatchObject({ empty_layer: true });
    expect(cfg.rootfs.diff_ids.length).toBe((await imageConfig('busybox')).rootfs.diff_ids.length);

    const both = await context({ Dockerfile: 'FROM busybox\nCMD ["world"]\nENTRYPOINT ["echo", "hello"]\n' });
    const quiet = await te.dy(['build', '-q', '-t', 'dyb-config:2', both]);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const c2 = (await imageConfig('dyb-config:2')).config;
    expect(c2?.Entrypoint).toEqual(['echo', 'hello']);
    expect(c2?.Cmd).toEqual(['world']);
    expect((await te.dy(['run', '--rm', 'dyb-config:2'])).stdout).toBe('hello world\n');

    // The trigger runs when the image is a base, and is not inherited further.
    const child = await context({ Dockerfile: 'FROM dyb-config:1\nRUN cat /tmp/trigger.txt\n' });
    const cr = await te.dy(['build', '-t', 'dyb-child:1', child]);
    expect(cr.code).toBe(0);
    expect(cr.stdout).toContain('# Executing 1 build trigger\n');
    expect(cr.stdout).toContain('from-trigger\n');
    expect((await imageConfig('dyb-child:1')).config?.OnBuild).toBeNull();
  });

  it('honours .dockerignore, extracts local archives with ADD, refuses URLs and paths outside the context', async () => {
    const d = await context({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort\n',
      '.dockerignore': 'secret.txt\nlogs/*.log\n',
      'secret.txt': 'top secret',
      'keep.txt': 'k',
      'logs/a.log': 'x',
      'logs/readme': 'r',
    });
    const r = await te.dy(['build', d]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/ctx/keep.txt\n/ctx/logs/readme\n');
    expect(r.stdout).not.toContain('secret.txt');
    expect(r.stdout).not.toContain('a.log');

    // Docker's ADD extracts gzip, bzip2 and xz tars; a compressed file that is not a tar is copied as it is.
    const arch = await context({
      Dockerfile: [
        'FROM busybox',
        'ADD files.tar.gz /opt/gz/',
        'ADD files.tar.bz2 /opt/bz2/',
        'ADD files.tar.xz /opt/xz/',
        'ADD note.txt.gz /opt/',
        'RUN cat /opt/gz/inner/f.txt /opt/bz2/inner/f.txt /opt/xz/inner/f.txt && ls /opt/note.txt.gz',
        '',
      ].join('\n'),
    });
    await fs.mkdir(path.join(arch, 'src/inner'), { recursive: true });
    await fs.writeFile(path.join(arch, 'src/inner/f.txt'), 'from the archive\n');
    const { runCmd } = await import('../engine/helpers.js');
    for (const [file, flag] of [
      ['files.tar.gz', '-z'],
      ['files.tar.bz2', '-j'],
      ['files.tar.xz', '-J'],
    ] as const) {
      const tarred = await runCmd('tar', [
        '-c',
        flag,
        '-f',
        path.join(arch, file),
        '-C',
        path.join(arch, 'src'),
        'inner',
      ]);
      expect(tarred.code).toBe(0);
    }
    await fs.writeFile(path.join(arch, 'note.txt.gz'), gzipSync('just a note\n'));
    await fs.rm(path.join(arch, 'src'), { recursive: true });
    const ar = await te.dy(['build', arch]);
    expect(ar.code, ar.stderr).toBe(0);
    expect(ar.stdout).toContain('from the archive\nfrom the archive\nfrom the archive\n/opt/note.txt.gz\n');

    const url = await context({ Dockerfile: 'FROM busybox\nADD http://example.com/x /x\n' });
    const ur = await te.dy(['build', url]);
    expect(ur.code).toBe(1);
    expect(ur.stderr).toContain('without internet access');

    const up = await context({ Dockerfile: 'FROM busybox\nCOPY ../outside /x\n' });
    const upr = await te.dy(['build', up]);
    expect(upr.code).toBe(1);
    expect(upr.stderr).toContain('forbidden path outside the build context: ../outside');

    const link = await context({ Dockerfile: 'FROM busybox\nCOPY etc /x\n' });
    await fs.symlink('/etc', path.join(link, 'etc'));
    const lr = await te.dy(['build', link]);
    expect(lr.code).toBe(1);
    expect(lr.stderr).toContain('symlink etc points outside the context: /etc');
    await expectNoLeftovers();
  });

  it('builds FROM scratch with COPY --from an image and --chown, and keeps !exceptions of .dockerignore', async () => {
    const d = await context({
      Dockerfile: [
        'FROM scratch',
        'COPY --from=busybox /bin/busybox /bin/busybox',
        'COPY --from=busybox /etc/passwd /etc/group /etc/',
        'COPY --chown=nobody:nogroup data/ /data/',
        'COPY --chown=7:8 data/kept.txt /numeric.txt',
        'CMD ["/bin/busybox", "sh", "-c", "/bin/busybox ls -ln /data /numeric.txt"]',
        '',
      ].join('\n'),
      '.dockerignore': 'data\n!data/kept.txt\n',
      'data/kept.txt': 'kept',
      'data/dropped.txt': 'dropped',
    });
    const r = await te.dy(['build', '-t', 'dyb-scratch:1', d]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Step 1/6 : FROM scratch\n ---> \n');
    const cfg = await imageConfig('dyb-scratch:1');
    expect(cfg.rootfs.diff_ids.length).toBe(4);
    const run = await te.dy(['run', '--rm', 'dyb-scratch:1']);
    expect(run.stdout).toMatch(/-rw-r--r-- +1 65534 +65534 .* kept\.txt/);
    expect(run.stdout).not.toContain('dropped');
    expect(run.stdout).toMatch(/-rw-r--r-- +1 7 +8 .* \/numeric\.txt/);
  });

  it('RUN uses the default bridge, or the network given with --network', async () => {
    const d = await context({ Dockerfile: 'FROM busybox\nRUN cat /proc/net/dev\n' });
    const bridged = await te.dy(['build', '--no-cache', d]);
    expect(bridged.code).toBe(0);
    expect(bridged.stdout).toMatch(/^\s*eth0:/m);
    const none = await te.dy(['build', '--no-cache', '--network', 'none', d]);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^\s*lo:/m);
    expect(none.stdout).not.toMatch(/^\s*eth0:/m);
  });

  it('Ctrl-C during a RUN cancels the build and removes its container', async () => {
    const d = await context({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' });
    const child = te.spawnCli(['build', '--no-cache', d]);
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(async () => stdout.includes('started\n'));
      child.kill('SIGINT');
      expect(await exited).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    await expectNoLeftovers();
  });

  it('a later build removes the scratch dirs of a build whose process was killed', async () => {
    const d = await context({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' });
    const child = te.spawnCli(['build', '--no-cache', d]);
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    const exited = new Promise((resolve) => child.on('close', resolve));
    const tmp = path.join(te.root, 'builder', 'tmp');
    try {
      await waitFor(async () => stdout.includes('started\n'));
      child.kill('SIGKILL');
      await exited;
      expect((await fs.readdir(tmp)).some((n) => n.startsWith('ctx-'))).toBe(true);
    } finally {
      child.kill('SIGKILL');
      // Like a killed `docker run`, the killed build's own container stays until removed.
      const left = (await te.ok(['ps', '-aq'])).split('\n').filter(Boolean);
      if (left.length) await te.ok(['rm', '-f', ...left]);
    }
    const next = await context({ Dockerfile: 'FROM busybox\nLABEL after=kill\n' });
    expect((await te.dy(['build', next])).code).toBe(0);
    await expectNoLeftovers();
  });

  it("a failing RUN reports docker's message and exit code and leaves no container behind", async () => {
    const d = await context({ Dockerfile: 'FROM busybox\nRUN echo before\nRUN exit 3\nRUN echo never\n' });
    const r = await te.dy(['build', '-t', 'dyb-fail:1', d]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('before\n');
    expect(r.stdout).not.toContain('never');
    expect(r.stderr).toBe("The command '/bin/sh -c exit 3' returned a non-zero code: 3\n");
    expect((await te.dy(['image', 'inspect', 'dyb-fail:1'])).code).not.toBe(0);
    const parse = await context({ Dockerfile: 'FROM busybox\nBOGUS x\n' });
    const pr = await te.dy(['build', parse]);
    expect(pr.code).toBe(1);
    expect(pr.stderr).toContain('Dockerfile parse error line 2: unknown instruction: BOGUS');
    await expectNoLeftovers();
  });
});
