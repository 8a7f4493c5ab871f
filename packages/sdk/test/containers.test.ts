import { PassThrough, type Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtImageId,
  type Container,
  DockerApiError,
  DockerProgressError,
  demuxBuffer,
  demuxStream,
} from '../src/index.js';
import { ApiTestDaemon, clientFor, drain, waitFor } from './helpers.js';

const d = new ApiTestDaemon();
const docker = clientFor(d);
const made: Container[] = [];

beforeAll(() => d.setup());
afterAll(async () => {
  for (const c of made) await c.remove({ force: true }).catch(() => undefined);
  await d.teardown();
});

async function apiError(p: Promise<unknown>): Promise<DockerApiError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof DockerApiError)) throw new Error(`expected a DockerApiError, got ${String(e)}`);
  return e;
}

async function run(name: string, cmd: string[], extra: { Tty?: boolean } = {}): Promise<Container> {
  const c = await docker.createContainer({ name, Image: 'busybox', Cmd: cmd, ...extra });
  made.push(c);
  await c.start();
  return c;
}

function tarOf(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  return drain(p);
}

async function untar(stream: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, body, next) => {
      drain(body).then((b) => {
        out[header.name] = b.toString();
        next();
      }, reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  stream.pipe(ex);
  await done;
  return out;
}

/** Output of a multiplexed stream, split by demuxStream, once the stream ends. */
async function demuxed(stream: Readable) {
  const out = new PassThrough();
  const err = new PassThrough();
  demuxStream(stream, out, err);
  await new Promise((resolve) => stream.once('end', resolve).once('close', resolve));
  out.end();
  err.end();
  return { stdout: (await drain(out)).toString(), stderr: (await drain(err)).toString() };
}

describe('sdk: containers', () => {
  it('create, start, inspect, list, top, stats, pause/unpause, kill, wait, remove', async () => {
    const name = d.name('life');
    const c = await docker.createContainer({
      name,
      Image: 'busybox',
      Cmd: ['sleep', '300'],
      Env: ['GREETING=hi'],
      Labels: { sdk: 'life' },
    });
    made.push(c);
    expect(c.id).toMatch(/^[0-9a-f]{64}$/);
    expect((await c.inspect()).State.Status).toBe('created');
    await c.start();
    const info = await c.inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Name).toBe(`/${name}`);
    expect(info.Config.Env).toContain('GREETING=hi');
    const listed = await docker.listContainers({ filters: { label: ['sdk=life'] } });
    expect(listed.map((x) => x.Id)).toEqual([c.id]);
    expect(listed[0]?.State).toBe('running');

    const top = await c.top();
    expect(top.Titles).toContain('PID');
    expect(top.Processes?.some((p) => p.join(' ').includes('sleep 300'))).toBe(true);
    const stats = await c.stats();
    expect(stats.memory_stats.usage).toBeGreaterThan(0);

    await c.pause();
    expect((await c.inspect()).State.Status).toBe('paused');
    await c.unpause();
    expect((await c.inspect()).State.Status).toBe('running');
    const again = await apiError(c.start());
    expect(again.statusCode).toBe(304);

    const busy = await apiError(c.remove());
    expect(busy.statusCode).toBe(409);
    const waiting = c.wait();
    await c.kill({ signal: 'SIGKILL' });
    expect((await waiting).StatusCode).toBe(137);
    await c.remove();
    expect((await apiError(c.inspect())).statusCode).toBe(404);
  });

  it('logs: whole (demultiplexed) and followed, stdout and stderr apart', async () => {
    const c = await run(d.name('logs'), ['sh', '-c', 'echo out-1; echo err-1 >&2; sleep 1; echo out-2']);
    await c.wait();
    const { stdout, stderr } = demuxBuffer(await c.logs());
    expect(stdout.toString()).toBe('out-1\nout-2\n');
    expect(stderr.toString()).toBe('err-1\n');
    expect(demuxBuffer(await c.logs({ stderr: false, tail: 1 })).stdout.toString()).toBe('out-2\n');

    const f = await run(d.name('follow'), ['sh', '-c', 'echo first; sleep 2; echo second; sleep 600']);
    const stream = await f.logs({ follow: true });
    const out = new PassThrough();
    let seen = '';
    out.on('data', (b: Buffer) => {
      seen += b.toString();
    });
    demuxStream(stream, out, new PassThrough());
    await waitFor(async () => seen.includes('second'));
    expect(seen).toBe('first\nsecond\n');
    stream.destroy();
    await f.remove({ force: true });
  });

  it('exec: demultiplexed output, exit code, stdin through the hijacked connection, TTY', async () => {
    const c = await run(d.name('exec'), ['sleep', '300']);
    const ex = await c.exec({
      Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const out = await demuxed(await ex.start());
    expect(out).toEqual({ stdout: 'to-out\n', stderr: 'to-err\n' });
    const info = await waitFor(async () => {
      const i = await ex.inspect();
      return i.Running ? undefined : i;
    });
    expect(info.ExitCode).toBe(3);
    expect(info.ProcessConfig.entrypoint).toBe('sh');

    const cat = await c.exec({
      Cmd: ['sh', '-c', 'read line; echo "got $line"'],
      AttachStdin: true,
      AttachStdout: true,
    });
    const sock = await cat.start();
    sock.write('hello\n');
    expect((await demuxed(sock)).stdout).toBe('got hello\n');

    const tty = await c.exec({
      Cmd: ['sh', '-c', 'tty >/dev/null && echo is-a-tty'],
      AttachStdout: true,
      Tty: true,
    });
    const raw = (await drain(await tty.start({ Tty: true }))).toString();
    expect(raw).toContain('is-a-tty\r\n');
    await c.remove({ force: true });
  });

  it('attach: stdin in, output out, on the hijacked connection', async () => {
    const c = await docker.createContainer({
      name: d.name('attach'),
      Image: 'busybox',
      Cmd: ['sh', '-c', 'read x; echo "attached $x"; echo bye >&2'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    made.push(c);
    const sock = await c.attach({ stdin: true, stdout: true, stderr: true });
    await c.start();
    sock.write('in\n');
    const out = await demuxed(sock);
    expect(out).toEqual({ stdout: 'attached in\n', stderr: 'bye\n' });
    expect((await c.wait()).StatusCode).toBe(0);
  });

  it('archive in and out, changes, export, commit, rename, update, restart, stop', async () => {
    const c = await run(d.name('files'), ['sleep', '300']);
    await c.putArchive(await tarOf({ 'note.txt': 'from the sdk\n' }), { path: '/tmp' });
    const { stream, stat } = await c.getArchive({ path: '/tmp/note.txt' });
    expect(stat).toMatchObject({ name: 'note.txt', size: 13 });
    expect(await untar(stream)).toEqual({ 'note.txt': 'from the sdk\n' });
    const changes = await c.changes();
    expect(changes).toEqual(expect.arrayContaining([{ Path: '/tmp/note.txt', Kind: 1 }]));

    const exported = await untar(await c.export());
    expect(exported['tmp/note.txt']).toBe('from the sdk\n');

    const repo = `sdk-commit-${d.tag}`;
    const { Id } = await c.commit({ repo, tag: 'v1', comment: 'with a note' });
    const image = await docker.getImage(`${repo}:v1`).inspect();
    expect(image.Id).toBe(Id);

    const newName = d.name('renamed');
    await c.rename({ name: newName });
    expect((await c.inspect()).Name).toBe(`/${newName}`);
    await c.update({ Memory: 64 * 1024 * 1024, MemorySwap: 128 * 1024 * 1024 });
    expect((await c.inspect()).HostConfig.Memory).toBe(64 * 1024 * 1024);

    const started = (await c.inspect()).State.StartedAt;
    await c.restart({ t: 1 });
    const after = await c.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(started);
    await c.stop({ t: 1 });
    expect((await c.inspect()).State.Running).toBe(false);
    expect((await apiError(c.stop())).statusCode).toBe(304);
    await c.remove();
    await docker.getImage(`${repo}:v1`).remove();
  });

  it('images: list, inspect, tag, history, save and load, build, remove, prune', async () => {
    const images = await docker.listImages();
    expect(images.some((i) => i.RepoTags.includes('busybox:latest'))).toBe(true);
    const busybox = await docker.getImage('busybox').inspect();
    expect(busybox.Os).toBe('linux');
    const history = await docker.getImage('busybox').history();
    expect(history.length).toBeGreaterThan(0);

    const tag = `sdk-tag-${d.tag}`;
    await docker.getImage('busybox').tag({ repo: tag, tag: 'x' });
    expect((await docker.getImage(`${tag}:x`).inspect()).Id).toBe(busybox.Id);

    const saved = await drain(await docker.getImage(`${tag}:x`).get());
    expect(saved.length).toBeGreaterThan(1024);
    const untagged = await docker.getImage(`${tag}:x`).remove();
    expect(untagged).toEqual([{ Untagged: `${tag}:x` }]);
    await (await docker.loadImage(saved)).done();
    expect((await docker.getImage(`${tag}:x`).inspect()).Id).toBe(busybox.Id);
    await docker.getImage(`${tag}:x`).remove();

    const context = await tarOf({
      Dockerfile: 'FROM busybox\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n',
    });
    const built = await (await docker.buildImage(context, { t: `${tag}:built` })).done();
    const id = builtImageId(built);
    expect(id).toBeDefined();
    const fromBuild = await docker.createContainer({ name: d.name('frombuild'), Image: `${tag}:built` });
    made.push(fromBuild);
    await fromBuild.start();
    await fromBuild.wait();
    expect(demuxBuffer(await fromBuild.logs()).stdout.toString()).toBe('built\n');
    await fromBuild.remove();
    const failed = await (await docker.buildImage(await tarOf({ Dockerfile: 'FROM busybox\nRUN exit 7\n' })))
      .done()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(DockerProgressError);
    await docker.getImage(`${tag}:built`).remove({ force: true });
    // A registry nobody answers on (loopback, refused): Docker's message, at once.
    const unreachable = await apiError(docker.pull('127.0.0.1:1/sdk-nothing:1'));
    expect(unreachable.message).toContain('connection refused');
    const pruned = await docker.pruneImages();
    expect(Array.isArray(pruned.ImagesDeleted)).toBe(true);
  });

  it('errors carry Docker status codes and messages', async () => {
    const missing = await apiError(docker.getContainer('sdk-nothing-here').start());
    expect(missing.statusCode).toBe(404);
    expect(missing.message).toBe('No such container: sdk-nothing-here');
    const noImage = await apiError(docker.createContainer({ Image: 'sdk-no-such-image:1' }));
    expect(noImage.statusCode).toBe(404);
    const name = d.name('dup');
    const first = await docker.createContainer({ name, Image: 'busybox', Cmd: ['true'] });
    made.push(first);
    const dup = await apiError(docker.createContainer({ name, Image: 'busybox', Cmd: ['true'] }));
    expect(dup.statusCode).toBe(409);
    expect(dup.message).toContain('is already in use');
    await first.remove();
  });
});
