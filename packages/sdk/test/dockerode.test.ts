import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, drain, waitFor } from './helpers.js';

/** The same scenarios as the sdk's, through dockerode 5 (docker-modem) against the engine. */
const d = new ApiTestDaemon();
let docker: Docker;
const made: Docker.Container[] = [];

beforeAll(async () => {
  await d.setup();
  docker = new Docker({ socketPath: d.socket });
});
afterAll(async () => {
  for (const c of made) await c.remove({ force: true }).catch(() => undefined);
  await d.teardown();
});

async function statusOf(p: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof Error) || !('statusCode' in e) || typeof e.statusCode !== 'number') {
    throw new Error(`expected a dockerode error with a statusCode, got ${String(e)}`);
  }
  return { statusCode: e.statusCode, message: e.message };
}

async function demuxed(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(stream, out, err);
  await new Promise((resolve) => stream.once('end', resolve).once('close', resolve));
  out.end();
  err.end();
  return { stdout: (await drain(out)).toString(), stderr: (await drain(err)).toString() };
}

describe('dockerode against the engine', () => {
  it('ping, version, info', async () => {
    expect(String(await docker.ping())).toBe('OK');
    expect((await docker.version()).ApiVersion).toBe('1.47');
    expect((await docker.info()).OSType).toBe('linux');
  });

  it('container lifecycle, logs, top, wait, remove', async () => {
    const name = d.name('ode');
    const c = await docker.createContainer({
      name,
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo out; echo err >&2; sleep 300'],
      Labels: { via: 'dockerode' },
    });
    made.push(c);
    await c.start();
    const info = await c.inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Name).toBe(`/${name}`);
    const list = await docker.listContainers({ filters: { label: ['via=dockerode'] } });
    expect(list.map((x) => x.Id)).toEqual([c.id]);
    const top = await c.top();
    expect(JSON.stringify(top.Processes)).toContain('sleep 300');

    await waitFor(async () => (await c.logs({ stdout: true, stderr: true })).length > 0);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const logs = await c.logs({ stdout: true, stderr: true, follow: true });
    docker.modem.demuxStream(logs, stdout, stderr);
    let out = '';
    let err = '';
    stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    await waitFor(async () => out === 'out\n' && err === 'err\n');
    (logs as Readable).destroy();

    await c.pause();
    expect((await c.inspect()).State.Paused).toBe(true);
    await c.unpause();
    const waited = c.wait();
    await c.stop({ t: 1 });
    expect((await waited).StatusCode).toBe(137);
    await c.remove();
    expect((await statusOf(c.inspect())).statusCode).toBe(404);
  });

  it('exec with demuxStream, and exec inspect', async () => {
    const c = await docker.createContainer({ name: d.name('odex'), Image: 'busybox', Cmd: ['sleep', '300'] });
    made.push(c);
    await c.start();
    const ex = await c.exec({
      Cmd: ['sh', '-c', 'echo hello-ode; echo oops >&2; exit 4'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await ex.start({ hijack: true, stdin: false });
    expect(await demuxed(stream)).toEqual({ stdout: 'hello-ode\n', stderr: 'oops\n' });
    const info = await waitFor(async () => {
      const i = await ex.inspect();
      return i.Running ? undefined : i;
    });
    expect(info.ExitCode).toBe(4);

    const cat = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true });
    const duplex = await cat.start({ hijack: true, stdin: true });
    duplex.write('through stdin\n');
    duplex.end();
    expect((await demuxed(duplex)).stdout).toBe('through stdin\n');
    await c.remove({ force: true });
  });

  it('attach to the output before start', async () => {
    const c = await docker.createContainer({
      name: d.name('odat'),
      Image: 'busybox',
      Cmd: ['sh', '-c', 'sleep 1; echo ode-attached; echo ode-err >&2'],
      AttachStdout: true,
      AttachStderr: true,
    });
    made.push(c);
    const stream = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
    await c.start();
    expect(await demuxed(stream)).toEqual({ stdout: 'ode-attached\n', stderr: 'ode-err\n' });
    expect((await c.wait()).StatusCode).toBe(0);
  });

  it('attach with stdin: the options body is not taken for input', async () => {
    const c = await docker.createContainer({
      name: d.name('odin'),
      Image: 'busybox',
      Cmd: ['sh', '-c', 'read line; echo "got:$line"'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
    });
    made.push(c);
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, hijack: true });
    await c.start();
    stream.write('typed\n');
    stream.end();
    expect((await demuxed(stream)).stdout).toBe('got:typed\n');
    expect((await c.wait()).StatusCode).toBe(0);
  });

  it('networks and volumes', async () => {
    const netName = d.name('odnet');
    const net = await docker.createNetwork({
      Name: netName,
      CheckDuplicate: true,
      Labels: { via: 'dockerode' },
    });
    const netInfo = await net.inspect();
    expect(netInfo.Name).toBe(netName);
    const nets = await docker.listNetworks({ filters: { label: ['via=dockerode'] } });
    expect(nets.map((n) => n.Name)).toEqual([netName]);
    const c = await docker.createContainer({
      name: d.name('odn'),
      Image: 'busybox',
      Cmd: ['sleep', '300'],
    });
    made.push(c);
    await c.start();
    await net.connect({ Container: c.id, EndpointConfig: { Aliases: ['ode-alias'] } });
    expect(Object.keys((await net.inspect()).Containers ?? {})).toEqual([c.id]);
    expect((await statusOf(net.remove())).statusCode).toBe(403);
    await net.disconnect({ Container: c.id });
    await net.remove();
    await c.remove({ force: true });

    const volName = d.name('odvol');
    await docker.createVolume({ Name: volName, Labels: { via: 'dockerode' } });
    const vols = await docker.listVolumes({ filters: { label: ['via=dockerode'] } });
    expect(vols.Volumes.map((v) => v.Name)).toEqual([volName]);
    expect((await docker.getVolume(volName).inspect()).Driver).toBe('local');
    await docker.getVolume(volName).remove();
    const gone = await statusOf(docker.getVolume(volName).inspect());
    expect(gone.statusCode).toBe(404);
  });

  it('images: list, tag, build with followProgress, remove', async () => {
    const images = await docker.listImages();
    expect(images.some((i) => (i.RepoTags ?? []).includes('busybox:latest'))).toBe(true);
    const tag = `ode-${d.tag}`;
    await docker.getImage('busybox').tag({ repo: tag, tag: 'v1' });
    expect((await docker.getImage(`${tag}:v1`).inspect()).RepoTags).toContain(`${tag}:v1`);
    await docker.getImage(`${tag}:v1`).remove();

    const p = pack();
    p.entry({ name: 'Dockerfile' }, 'FROM busybox\nLABEL via=dockerode\n');
    p.finalize();
    const stream = await docker.buildImage(p as unknown as NodeJS.ReadableStream, { t: `${tag}:built` });
    const output = await new Promise<{ stream?: string }[]>((resolve, reject) =>
      docker.modem.followProgress(stream, (e: Error | null, res: { stream?: string }[]) =>
        e ? reject(e) : resolve(res),
      ),
    );
    expect(output.map((o) => o.stream ?? '').join('')).toContain('Successfully tagged');
    expect((await docker.getImage(`${tag}:built`).inspect()).Config.Labels).toEqual({ via: 'dockerode' });
    await docker.getImage(`${tag}:built`).remove();
  });

  it('errors come back as dockerode errors with Docker status codes', async () => {
    const missing = await statusOf(docker.getContainer('ode-missing').start());
    expect(missing.statusCode).toBe(404);
    expect(missing.message).toContain('No such container: ode-missing');
    const noImage = await statusOf(docker.getImage('ode-missing:1').inspect());
    expect(noImage.statusCode).toBe(404);
  });
});
