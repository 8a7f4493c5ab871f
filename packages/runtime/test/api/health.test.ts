import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, runProcess, waitFor } from './helpers.js';

const d = new ApiTestDaemon();
const image = `health-img-${d.tag}`;

beforeAll(() => d.setup());
afterAll(async () => {
  await d.docker(['rmi', '-f', image]).catch(() => {});
  await d.teardown();
});

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

async function health(ref: string): Promise<Health | null> {
  return JSON.parse(await d.ok(['inspect', '--format', '{{json .State.Health}}', ref])) as Health | null;
}

/** Polls (generously: checks run every second or so) until the container's health is `status`. */
async function waitHealth(ref: string, status: string): Promise<Health> {
  let last: Health | null = null;
  try {
    await waitFor(async () => {
      last = await health(ref);
      return last?.Status === status;
    }, 60_000);
  } catch {
    throw new Error(`${ref} never became ${status}; last health: ${JSON.stringify(last)}`);
  }
  return last as unknown as Health;
}

describe('docker health checks against the engine API', () => {
  it('starting → unhealthy → healthy, shown by inspect, ps, ps --filter health= and events', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = d.name('hc');
    const id = await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'test -f /tmp/ok',
      '--health-interval',
      '1s',
      '--health-retries',
      '2',
      'busybox',
      'sleep',
      '300',
    ]);
    const config = JSON.parse(await d.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', name]));
    expect(config).toEqual({ Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1e9, Retries: 2 });

    const sick = await waitHealth(name, 'unhealthy');
    expect(sick.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(sick.Log.length).toBeGreaterThanOrEqual(2);
    expect(sick.Log.length).toBeLessThanOrEqual(5);
    for (const r of sick.Log) {
      expect(r.ExitCode).toBe(1);
      expect(Date.parse(r.End)).toBeGreaterThanOrEqual(Date.parse(r.Start));
    }
    expect(await d.ok(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).toMatch(
      /^Up .* \(unhealthy\)$/,
    );
    expect(await d.ok(['ps', '-q', '--no-trunc', '--filter', 'health=unhealthy'])).toContain(id);

    await d.ok(['exec', name, 'touch', '/tmp/ok']);
    const well = await waitHealth(name, 'healthy');
    expect(well.FailingStreak).toBe(0);
    expect(well.Log.at(-1)?.ExitCode).toBe(0);
    expect(await d.ok(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}'])).toMatch(
      /^Up .* \(healthy\)$/,
    );
    const table = await d.ok(['ps', '--filter', `name=${name}`]);
    expect(table).toContain('(healthy)');
    expect(await d.ok(['ps', '-q', '--no-trunc', '--filter', 'health=healthy'])).toContain(id);
    expect(await d.ok(['ps', '-q', '--no-trunc', '--filter', 'health=unhealthy'])).not.toContain(id);

    // Everything recorded for the container since the test began, one line per event in `format`.
    const eventLines = async (format: string, ...filters: string[]) =>
      (
        await d.ok([
          'events',
          '--since',
          String(since),
          '--until',
          String(Math.ceil(Date.now() / 1000) + 1),
          ...filters.flatMap((f) => ['--filter', f]),
          '--filter',
          `container=${name}`,
          '--format',
          format,
        ])
      ).split('\n');
    expect(await eventLines('{{.Action}}', 'event=health_status')).toEqual([
      'health_status: unhealthy',
      'health_status: healthy',
    ]);
    // Each probe is an exec, as dockerd shows it: create, start and die with the probe's exit code.
    const execs = await eventLines('{{.Action}} {{index .Actor.Attributes "exitCode"}}');
    expect(execs).toContain('exec_create: /bin/sh -c test -f /tmp/ok ');
    expect(execs).toContain('exec_start: /bin/sh -c test -f /tmp/ok ');
    expect(execs).toContain('exec_die 1');
    expect(execs).toContain('exec_die 0');

    // Stopped: checks end with the run, the last health stays recorded.
    await d.ok(['stop', '-t', '1', name]);
    const after = await health(name);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await health(name)).toEqual(after);
  });

  it('a check not yet run reads "health: starting"; --filter health=none lists containers without one', async () => {
    const slow = d.name('slow');
    const plain = d.name('plain');
    const slowId = await d.ok([
      'run',
      '-d',
      '--name',
      slow,
      '--health-cmd',
      'true',
      '--health-interval',
      '1h',
      'busybox',
      'sleep',
      '300',
    ]);
    const plainId = await d.ok(['run', '-d', '--name', plain, 'busybox', 'sleep', '300']);
    expect((await health(slow))?.Status).toBe('starting');
    expect(await d.ok(['ps', '--filter', `name=${slow}`, '--format', '{{.Status}}'])).toMatch(
      /^Up .* \(health: starting\)$/,
    );
    expect(await d.ok(['ps', '--filter', `name=${plain}`, '--format', '{{.Status}}'])).toMatch(/^Up [^(]*$/);
    expect(await health(plain)).toBeNull();
    const starting = await d.ok(['ps', '-q', '--no-trunc', '--filter', 'health=starting']);
    expect(starting).toContain(slowId);
    expect(starting).not.toContain(plainId);
    const none = await d.ok(['ps', '-q', '--no-trunc', '--filter', 'health=none']);
    expect(none).toContain(plainId);
    expect(none).not.toContain(slowId);
    const bad = await d.docker(['ps', '--filter', 'health=fine']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('Unrecognised filter value for health: fine');
    await d.ok(['rm', '-f', slow, plain]);
  });

  it('a check that outlives its timeout is killed and counts as a failure', async () => {
    const name = d.name('slowcheck');
    await d.ok([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'sleep 30',
      '--health-timeout',
      '300ms',
      '--health-interval',
      '500ms',
      '--health-retries',
      '1',
      'busybox',
      'sleep',
      '300',
    ]);
    const h = await waitHealth(name, 'unhealthy');
    expect(h.Log[0]?.ExitCode).toBe(-1);
    expect(h.Log[0]?.Output).toBe('Health check exceeded timeout (300ms)');
    // The killed checks do not pile up inside the container.
    await waitFor(async () => {
      const ps = await d.ok(['exec', name, 'ps', '-o', 'args']);
      return ps.split('\n').filter((l) => l.trim() === 'sleep 30').length <= 1;
    }, 30_000);
    await d.ok(['rm', '-f', name]);
  });

  it('HEALTHCHECK from a classic build is honoured; --no-healthcheck and run flags override it', async () => {
    const ctx = path.join(d.base, 'hc-build');
    await fs.mkdir(ctx, { recursive: true });
    await fs.writeFile(
      path.join(ctx, 'Dockerfile'),
      'FROM busybox\nHEALTHCHECK --interval=1s --retries=1 CMD echo checked-from-image && test -f /etc/passwd\n',
    );
    await d.ok(['build', '-q', '-t', image, ctx], { env: { DOCKER_BUILDKIT: '0' } });

    const built = d.name('built');
    await d.ok(['run', '-d', '--name', built, image, 'sleep', '300']);
    expect(JSON.parse(await d.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', built]))).toEqual({
      Test: ['CMD-SHELL', 'echo checked-from-image && test -f /etc/passwd'],
      Interval: 1e9,
      Retries: 1,
    });
    const h = await waitHealth(built, 'healthy');
    expect(h.Log.at(-1)?.Output).toBe('checked-from-image\n');

    // The request's fields override the image's one by one: a new command, the image's interval.
    const overridden = d.name('override');
    await d.ok(['run', '-d', '--name', overridden, '--health-cmd', 'exit 3', image, 'sleep', '300']);
    const bad = await waitHealth(overridden, 'unhealthy');
    expect(bad.Log[0]?.ExitCode).toBe(3);

    const disabled = d.name('nohc');
    await d.ok(['run', '-d', '--name', disabled, '--no-healthcheck', image, 'sleep', '300']);
    // As dockerd merges it: NONE replaces the command, the other fields still come from the image.
    expect(JSON.parse(await d.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', disabled]))).toEqual(
      {
        Test: ['NONE'],
        Interval: 1e9,
        Retries: 1,
      },
    );
    await new Promise((r) => setTimeout(r, 2500));
    expect(await health(disabled)).toBeNull();
    expect(await d.ok(['ps', '--filter', `name=${disabled}`, '--format', '{{.Status}}'])).toMatch(
      /^Up [^(]*$/,
    );
    // docker commit keeps the container's merged check in the new image.
    const committed = `${image}-committed`;
    await d.ok(['commit', overridden, committed]);
    expect(
      JSON.parse(await d.ok(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', committed])),
    ).toEqual({
      Test: ['CMD-SHELL', 'exit 3'],
      Interval: 1e9,
      Retries: 1,
    });
    await d.ok(['rmi', committed]);
    await d.ok(['rm', '-f', built, overridden, disabled]);
  });

  it('the dockyard CLI takes the same flags; the daemon checks containers it did not start, and again after a restart', async () => {
    const name = d.name('cli');
    const run = await d.dy([
      'run',
      '-d',
      '--name',
      name,
      '--health-cmd',
      'test -f /tmp/ok',
      '--health-interval',
      '500ms',
      '--health-retries',
      '1',
      '--health-timeout',
      '5s',
      '--health-start-period',
      '1ms',
      'busybox',
      'sleep',
      '300',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(await d.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', name]))).toEqual({
      Test: ['CMD-SHELL', 'test -f /tmp/ok'],
      Interval: 5e8,
      Timeout: 5e9,
      StartPeriod: 1e6,
      Retries: 1,
    });
    await waitHealth(name, 'unhealthy');
    const ps = await d.dy(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}']);
    expect(ps.stdout).toMatch(new RegExp(`^${name} Up .* \\(unhealthy\\)$`, 'm'));

    await d.restartDaemon();
    await d.ok(['exec', name, 'touch', '/tmp/ok']);
    await waitHealth(name, 'healthy');

    const conflict = await d.dy(['run', '--no-healthcheck', '--health-retries', '2', 'busybox', 'true']);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toContain('--no-healthcheck conflicts with --health-* options');
    const badDuration = await d.dy(['run', '--health-interval', 'soon', 'busybox', 'true']);
    expect(badDuration.code).toBe(125);
    expect(badDuration.stderr).toContain('invalid argument "soon" for "--health-interval" flag');
    await d.ok(['rm', '-f', name]);
  });

  it('docker-compose waits for depends_on: condition: service_healthy', async () => {
    const dir = path.join(d.base, 'compose-health');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'docker-compose.yml'),
      [
        'services:',
        '  db:',
        '    image: busybox',
        '    command: sh -c "sleep 2; touch /tmp/ready; exec sleep 300"',
        '    healthcheck:',
        '      test: ["CMD", "test", "-f", "/tmp/ready"]',
        '      interval: 1s',
        '      retries: 60',
        '  app:',
        '    image: busybox',
        '    command: sleep 300',
        '    depends_on:',
        '      db:',
        '        condition: service_healthy',
        '',
      ].join('\n'),
    );
    const project = `hc${d.tag}`;
    const compose = (args: string[]) =>
      runProcess('docker-compose', ['-f', path.join(dir, 'docker-compose.yml'), '-p', project, ...args], {
        env: { ...d.clientEnv, COMPOSE_INTERACTIVE_NO_CLI: '1' },
      });
    try {
      const up = await compose(['up', '-d']);
      expect(up.code, up.stderr).toBe(0);
      const db = `${project}_db_1`;
      expect((await health(db))?.Status).toBe('healthy');
      const app = `${project}_app_1`;
      expect(await d.ok(['inspect', '--format', '{{.State.Status}}', app])).toBe('running');
      // app was created only once db had passed a check.
      const passed = (await health(db))?.Log.find((r) => r.ExitCode === 0);
      const created = await d.ok(['inspect', '--format', '{{.Created}}', app]);
      expect(Date.parse(created)).toBeGreaterThanOrEqual(Date.parse(passed?.End ?? ''));
    } finally {
      await compose(['down', '-t', '1']);
    }
  });

  it('refuses durations below 1ms with dockerd 400 text', async () => {
    const r = await d.docker([
      'run',
      '--health-cmd',
      'true',
      '--health-interval',
      '100us',
      'busybox',
      'true',
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('Interval in Healthcheck cannot be less than 1ms');
    const raw = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({ Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], Timeout: 5 } }),
    );
    expect(raw.status).toBe(400);
    expect(JSON.parse(raw.body).message).toBe('Timeout in Healthcheck cannot be less than 1ms');
    const typed = await d.request(
      'POST',
      '/v1.41/containers/create',
      JSON.stringify({
        Image: 'busybox',
        Cmd: ['true'],
        Healthcheck: { Test: ['CMD', 'true'], Interval: '1s' },
      }),
    );
    expect(typed.status).toBe(400);
  });
});
