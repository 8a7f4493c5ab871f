import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable as ReadableType } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, NEW_DOCKER } from '../api/helpers.js';
import { TestRegistry } from '../registry/helpers.js';

const d = new ApiTestDaemon();

beforeAll(async () => {
  await d.setup();
});
afterAll(async () => {
  await d.teardown();
});

async function context(files: Record<string, string>): Promise<string> {
  const dir = path.join(d.base, `ctx-${Math.random().toString(16).slice(2, 8)}`);
  for (const [rel, body] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), body);
  }
  return dir;
}

async function tarOf(entries: { name: string; body: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const collected = buffer(pack as unknown as ReadableType);
  for (const e of entries) pack.entry({ name: e.name }, e.body);
  pack.finalize();
  return collected;
}

describe('docker build through the Engine API (classic builder)', () => {
  it('builds a multi-stage Dockerfile that docker run then runs', async () => {
    const dir = await context({
      Dockerfile: [
        'FROM busybox AS build',
        'ARG NAME=world',
        'WORKDIR /work',
        'COPY greeting.txt .',
        'RUN echo "$(cat greeting.txt), $NAME" > result.txt',
        'FROM busybox',
        'COPY --from=build /work/result.txt /result.txt',
        'CMD ["cat", "/result.txt"]',
        '',
      ].join('\n'),
      'greeting.txt': 'hello',
    });
    const tag = `${d.name('img')}:v1`;
    const r = await d.docker(['build', '-t', tag, '--build-arg', 'NAME=docker', dir], {
      env: { DOCKER_BUILDKIT: '0' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Step 1/8 : FROM busybox AS build');
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged .*:v1\n$/);
    expect((await d.docker(['run', '--rm', tag])).stdout).toBe('hello, docker\n');

    const again = await d.docker(['build', '-t', tag, '--build-arg', 'NAME=docker', dir]);
    expect(again.stdout.match(/ ---> Using cache/g)?.length).toBe(6);

    // `-f -`: the client adds the Dockerfile from stdin to the context under a generated name.
    const fromStdin = await d.docker(['build', '-f', '-', dir], {
      input: 'FROM busybox\nRUN echo stdin-dockerfile\n',
    });
    expect(fromStdin.stderr).toBe('');
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toContain('stdin-dockerfile\n');

    const q = await d.docker(['build', '-q', dir]);
    expect(q.code).toBe(0);
    expect(q.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('the newer docker client builds with the classic builder too, when it is installed', async () => {
    const clients = existsSync(NEW_DOCKER) ? [NEW_DOCKER] : [];
    for (const bin of clients) {
      const dir = await context({
        Dockerfile: 'FROM busybox\nCOPY a.txt /a.txt\nCMD ["cat", "/a.txt"]\n',
        'a.txt': 'new client\n',
      });
      const tag = `${d.name('new')}:1`;
      const r = await d.docker(['build', '-t', tag, dir], { bin });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Successfully tagged ${tag}`);
      expect((await d.docker(['run', '--rm', tag], { bin })).stdout).toBe('new client\n');
    }
  });

  it('pulls a FROM image that is only in a registry', async () => {
    const registry = new TestRegistry();
    await registry.start();
    try {
      const base = `${registry.host}/${d.name('base')}:1`;
      const baseDir = await context({ Dockerfile: 'FROM busybox\nRUN echo from-registry > /base.txt\n' });
      await d.ok(['build', '-t', base, baseDir]);
      await d.ok(['push', base]);
      await d.ok(['rmi', base]);
      const dir = await context({ Dockerfile: `FROM ${base}\nCMD ["cat", "/base.txt"]\n` });
      const tag = `${d.name('pulled')}:1`;
      const r = await d.docker(['build', '-t', tag, dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((await d.docker(['run', '--rm', tag])).stdout).toBe('from-registry\n');
      const missing = await context({ Dockerfile: `FROM ${registry.host}/not-there:1\n` });
      const m = await d.docker(['build', missing]);
      expect(m.code).toBe(1);
      expect(m.stderr).toContain('not-there');
    } finally {
      await registry.teardown();
    }
  });

  it("a failing RUN fails docker build with docker's message", async () => {
    const dir = await context({ Dockerfile: 'FROM busybox\nRUN echo about to fail && false\n' });
    const r = await d.docker(['build', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('about to fail\n');
    expect(r.stderr).toContain(
      "The command '/bin/sh -c echo about to fail && false' returned a non-zero code: 1",
    );
    expect((await d.dy(['ps', '-aq'])).stdout.trim()).toBe('');
  });

  it('answers a traversal context with an error line and prunes the cache', async () => {
    const body = await tarOf([
      { name: 'Dockerfile', body: 'FROM busybox\n' },
      { name: '../../escape', body: 'x' },
    ]);
    const res = await d.request('POST', '/v1.41/build', body, { 'Content-Type': 'application/x-tar' });
    expect(res.status).toBe(200);
    const last = JSON.parse(res.body.trim().split('\n').at(-1) as string) as { error?: string };
    expect(last.error).toContain('invalid build context: path escapes the context: ../../escape');
    await expect(fs.access(path.join(d.base, '..', 'escape'))).rejects.toThrow();

    const bad = await d.request('POST', '/build?buildargs=notjson', body, {
      'Content-Type': 'application/x-tar',
    });
    expect(bad.status).toBe(400);

    const prune = await d.request('POST', '/build/prune');
    expect(prune.status).toBe(200);
    const parsed = JSON.parse(prune.body) as { CachesDeleted: string[] | null; SpaceReclaimed: number };
    expect(parsed.CachesDeleted?.length).toBeGreaterThan(0);
    expect(parsed.SpaceReclaimed).toBeGreaterThan(0);
    // Tagged results survive a prune; a rebuild then starts from scratch.
    const dir = await context({ Dockerfile: 'FROM busybox\nRUN echo fresh\n' });
    const r = await d.docker(['build', dir]);
    expect(r.stdout).not.toContain('Using cache');
  });
});
