import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

/** A tar built entry by entry, so it can hold what no honest client would send. */
async function tarOf(
  entries: { name: string; type?: 'file' | 'symlink' | 'directory'; body?: string; linkname?: string }[],
): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname ?? '' });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('engine API: bad input gets Docker-shaped errors and the server keeps serving', () => {
  it('unknown containers: No such container, client exit code 1', async () => {
    for (const args of [
      ['stop', 'nope-x'],
      ['logs', 'nope-x'],
      ['rm', 'nope-x'],
      ['exec', 'nope-x', 'true'],
    ]) {
      const r = await d.docker(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/No such container: nope-x/);
    }
    const raw = await d.request('GET', '/v1.41/containers/nope-x/json');
    expect(raw.status).toBe(404);
    expect(JSON.parse(raw.body)).toEqual({ message: 'No such container: nope-x' });
  });

  it('malformed JSON is a 400 and the server keeps serving', async () => {
    const r = await d.request('POST', '/v1.41/containers/create', '{"Image": "busybox",');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/invalid JSON/);
    const wrongType = await d.request('POST', '/v1.41/containers/create', '{"Image": 5}');
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.body).message).toMatch(/Image/);
    expect((await d.request('GET', '/_ping')).status).toBe(200);
  });

  it('an oversize body is a 413', async () => {
    const body = JSON.stringify({ Image: 'busybox', Env: ['X='.padEnd(5 * 1024 * 1024, 'x')] });
    const r = await d.request('POST', '/v1.41/containers/create', body);
    expect(r.status).toBe(413);
    expect((await d.request('GET', '/_ping')).status).toBe(200);
  });

  it('unknown images are 404 No such image (the client pulls on it)', async () => {
    const r = await d.request('POST', '/v1.41/containers/create', JSON.stringify({ Image: 'nosuch/img:1' }));
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).message).toBe('No such image: nosuch/img:1');
  });

  it('invalid names, duplicate names and privileged containers are refused', async () => {
    const bad = await d.docker(['create', '--name', 'bad name!', 'busybox', 'true']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Invalid container name \(bad name!\)/);
    const name = d.name('dup');
    await d.ok(['create', '--name', name, 'busybox', 'true']);
    const dup = await d.docker(['create', '--name', name, 'busybox', 'true']);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/Conflict. The container name "\/.*" is already in use/);
    const priv = await d.docker(['run', '--rm', '--privileged', 'busybox', 'true']);
    expect(priv.code).not.toBe(0);
    expect(priv.stderr).toMatch(/privileged containers are not supported/);
    expect(await d.ok(['ps', '-aq', '--filter', 'status=created', '--filter', `name=${name}`])).not.toBe('');
  });

  it('archive PUT refuses path traversal and symlink escapes, writing nothing outside', async () => {
    const name = d.name('cp');
    await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '300']);
    const outside = path.join(d.base, 'outside');
    await fs.mkdir(outside, { recursive: true });
    const put = async (tar: Buffer, dest = '/tmp') =>
      d.request('PUT', `/v1.41/containers/${name}/archive?path=${encodeURIComponent(dest)}`, tar, {
        'Content-Type': 'application/x-tar',
      });

    const dotdot = await put(await tarOf([{ name: `../../../../../../../..${outside}/dotdot`, body: 'x' }]));
    expect(dotdot.status).toBe(400);
    const viaLink = await put(
      await tarOf([
        { name: 'esc', type: 'symlink', linkname: `../../../../../../../..${outside}` },
        { name: 'esc/through-link', body: 'x' },
      ]),
    );
    expect(viaLink.status).toBe(400);
    expect(JSON.parse(viaLink.body).message).toMatch(/symlink/);
    expect(await fs.readdir(outside)).toEqual([]);

    // A symlink inside the container pointing at / resolves inside the container, never to the host's root.
    await d.ok(['exec', name, 'ln', '-s', '/', '/tmp/rootlink']);
    const ok = await put(await tarOf([{ name: 'landed', body: 'inside\n' }]), '/tmp/rootlink/etc');
    expect(ok.status).toBe(200);
    expect(await d.ok(['exec', name, 'cat', '/etc/landed'])).toBe('inside');
    expect(existsSync('/etc/landed')).toBe(false);

    // The docker client's own cp: a "../" path in the container stays in the container.
    const host = path.join(d.base, 'hostfile');
    await fs.writeFile(host, 'copied\n');
    await d.ok(['cp', host, `${name}:/../../../../tmp/`]);
    expect(await d.ok(['exec', name, 'cat', '/tmp/hostfile'])).toBe('copied');
    expect((await d.request('GET', '/_ping')).status).toBe(200);
  });

  it('archive GET of a missing path is a 404 and HEAD gives the stat header', async () => {
    const name = d.name('stat');
    await d.ok(['create', '--name', name, 'busybox', 'true']);
    const missing = await d.request('GET', `/v1.41/containers/${name}/archive?path=/no/such`);
    expect(missing.status).toBe(404);
    const head = await d.request('HEAD', `/v1.41/containers/${name}/archive?path=/etc`);
    expect(head.status).toBe(200);
    const stat = JSON.parse(
      Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString(),
    );
    expect(stat.name).toBe('etc');
    // Go's os.ModeDir bit, which the client tests with IsDir().
    expect(stat.mode >= 2 ** 31).toBe(true);
  });
});
