import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRegistry, fakeImage } from '../registry/fake-registry.js';
import { TestRegistry } from '../registry/helpers.js';
import { ApiTestDaemon, DOCKER, NEW_DOCKER, runProcess } from './helpers.js';

const d = new ApiTestDaemon();
const reg = new TestRegistry();
const fake = new FakeRegistry();

beforeAll(async () => {
  await Promise.all([d.setup(), reg.start(), fake.start()]);
});
afterAll(async () => {
  await Promise.allSettled([d.teardown(), reg.teardown(), fake.stop()]);
});

async function dy(args: string[]): Promise<string> {
  const r = await d.dy(args);
  if (r.code !== 0) throw new Error(`dockyard ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('engine API: images through the docker client', () => {
  it("docker images, image inspect and history show busybox in docker's shapes", async () => {
    const table = (await d.ok(['images'])).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(table.find((l) => l.startsWith('busybox '))).toMatch(
      /^busybox\s+latest\s+[0-9a-f]{12}\s+.+ago\s+[\d.]+MB$/,
    );
    const info = JSON.parse(await d.ok(['image', 'inspect', 'busybox']))[0];
    expect(info.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(info).toMatchObject({
      RepoTags: ['busybox:latest'],
      RepoDigests: [],
      Architecture: 'amd64',
      Os: 'linux',
      Config: { Cmd: ['sh'] },
      RootFS: { Type: 'layers' },
    });
    expect(info.RootFS.Layers).toHaveLength(1);
    expect(info.Size).toBeGreaterThan(1_000_000);
    const hist = (await d.ok(['history', 'busybox'])).split('\n');
    expect(hist[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(hist[1]).toMatch(
      new RegExp(`^${info.Id.slice(7, 19)}\\s+.+ago\\s+infra/images/busybox.sh\\s+[\\d.]+MB`),
    );
    expect(await d.ok(['images', '-q', '--filter', 'reference=busy*'])).toBe(info.Id.slice(7, 19));
    expect(await d.ok(['images', '-q', '--filter', 'reference=nothing*'])).toBe('');
    expect(await d.ok(['images', '-q', '--filter', 'dangling=true'])).toBe('');
    // Base images come from their local recipe, never from Docker Hub.
    const pulled = (await d.ok(['pull', 'busybox'])).split('\n');
    expect(pulled[0]).toBe('Using default tag: latest');
    expect(pulled).toContain('latest: Pulling from library/busybox');
    expect(pulled).toContain('Status: Image is up to date for busybox:latest');
    expect(pulled[pulled.length - 1]).toBe('docker.io/library/busybox:latest');
  });

  // Debian's client (API 1.41) always; a newer one (28.x) too where the machine has it.
  const clients = [DOCKER, ...(existsSync(NEW_DOCKER) ? [NEW_DOCKER] : [])];
  it.each(clients)('%s: docker tag, push, rmi and pull through the local registry', async (bin) => {
    const ok = (args: string[]) => d.ok(args, { bin });
    const ref = `${reg.host}/${d.name('img')}:v1`;
    const id = await ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']);
    await ok(['tag', 'busybox', ref]);
    const pushed = await ok(['push', ref]);
    expect(pushed).toContain(`The push refers to repository [${ref.slice(0, -3)}]`);
    expect(pushed).toMatch(/^[0-9a-f]{12}: (Pushed|Mounted from api-img-[0-9a-f]+)$/m);
    const digest = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed)?.[1];
    expect(digest).toBeDefined();
    expect(await ok(['image', 'inspect', '-f', '{{json .RepoDigests}}', ref])).toBe(
      JSON.stringify([`${ref.slice(0, -3)}@${digest}`]),
    );
    // The repository's last tag goes, and with it its digest reference (as dockerd does).
    expect(await ok(['rmi', ref])).toBe(`Untagged: ${ref}\nUntagged: ${ref.slice(0, -3)}@${digest}`);
    expect(await ok(['rmi', 'busybox'])).toContain(`Deleted: ${id}`);
    const pulled = await ok(['pull', ref]);
    expect(pulled).toMatch(/^[0-9a-f]{12}: Pull complete$/m);
    expect(pulled).toContain(`Digest: ${digest}`);
    expect(pulled).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(await ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(id);
    await ok(['tag', ref, 'busybox']);
    // docker's own distribution inspect (GET /distribution/{name}/json) sees the same manifest.
    const dist = await d.request('GET', `/v1.41/distribution/${ref}/json`);
    expect(dist.status).toBe(200);
    expect(JSON.parse(dist.body)).toMatchObject({
      Descriptor: { digest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' },
      Platforms: [{ architecture: 'amd64', os: 'linux' }],
    });
    const nope = `${reg.host}/${d.name('nope')}:v9`;
    const missing = await d.docker(['pull', nope], { bin });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `Error response from daemon: manifest for ${nope} not found: manifest unknown: manifest unknown`,
    );
    const search = await ok(['search', `${reg.host}/api-img`]);
    expect(search.split('\n')[1]).toMatch(new RegExp(`^${reg.host.replace(/\./g, '\\.')}/api-img-`));
    // Leave busybox as the only name of its image for the next client's round.
    expect(await ok(['rmi', ref])).toBe(`Untagged: ${ref}\nUntagged: ${ref.slice(0, -3)}@${digest}`);
  });

  it('docker pull --all-tags fetches every tag the registry lists', async () => {
    const repo = `${reg.host}/${d.name('alltags')}`;
    for (const tag of ['v1', 'v2']) {
      await d.ok(['tag', 'busybox', `${repo}:${tag}`]);
      await d.ok(['push', `${repo}:${tag}`]);
      await d.ok(['rmi', `${repo}:${tag}`]);
    }
    const out = (await d.ok(['pull', '--all-tags', repo])).split('\n');
    expect(out).toContain(`v1: Pulling from ${repo.slice(reg.host.length + 1)}`);
    expect(out).toContain(`v2: Pulling from ${repo.slice(reg.host.length + 1)}`);
    expect(out.filter((l) => l.startsWith('Status: '))).toEqual([
      `Status: Downloaded newer image for ${repo}`,
    ]);
    expect(out[out.length - 1]).toBe(repo);
    const tags = await d.ok(['images', '--format', '{{.Tag}}', repo]);
    expect(tags.split('\n').sort()).toEqual(['v1', 'v2']);
    const again = await d.ok(['pull', '-a', repo]);
    expect(again).toContain(`Status: Image is up to date for ${repo}`);
    const unknown = await d.docker(['pull', '-a', `${reg.host}/${d.name('none')}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/repository .* not found|not found/);
    await d.ok(['rmi', `${repo}:v1`, `${repo}:v2`]);
  });

  it('docker save | docker load round-trips; docker import makes a one-layer image', async () => {
    const ref = `${d.name('saved')}:v1`;
    await d.ok(['tag', 'busybox', ref]);
    const id = await d.ok(['image', 'inspect', '-f', '{{.Id}}', ref]);
    const tarFile = path.join(d.base, 'saved.tar');
    await d.ok(['save', '-o', tarFile, ref]);
    await d.ok(['rmi', ref]);
    expect(await d.ok(['load', '-i', tarFile])).toBe(`Loaded image: ${ref}`);
    expect(await d.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(id);
    // And as a pipe, the way students type it: one client streams /images/get into the other's /images/load.
    const piped = await runProcess('sh', ['-c', `${DOCKER} save ${ref} busybox | ${DOCKER} load`], {
      env: d.clientEnv,
    });
    expect(piped.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [`Loaded image: ${ref}`, 'Loaded image: busybox:latest'].sort(),
    );
    expect(await d.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(id);

    const src = path.join(d.base, 'import-src');
    await fs.mkdir(path.join(src, 'etc'), { recursive: true });
    await fs.writeFile(path.join(src, 'etc/greeting'), 'hello from import\n');
    const tgz = path.join(d.base, 'import.tgz');
    const made = await runProcess('tar', ['-czf', tgz, '-C', src, '.'], {});
    expect(made.code).toBe(0);
    const importedRef = `${d.name('imported')}:v1`;
    const imported = await d.ok([
      'import',
      '--change',
      'CMD ["cat","/etc/greeting"]',
      '-m',
      'from a tarball',
      tgz,
      importedRef,
    ]);
    expect(imported).toMatch(/^sha256:[0-9a-f]{64}$/);
    const info = JSON.parse(await d.ok(['image', 'inspect', importedRef]))[0];
    expect(info).toMatchObject({
      Id: imported,
      Config: { Cmd: ['cat', '/etc/greeting'] },
      Comment: 'from a tarball',
    });
    expect(info.RootFS.Layers).toHaveLength(1);
    const layer = (info.RootFS.Layers[0] as string).slice(7);
    expect(await fs.readFile(path.join(d.root, 'images/layers', layer, 'diff/etc/greeting'), 'utf8')).toBe(
      'hello from import\n',
    );
  });

  it('docker rmi refuses an image a container uses; docker image prune removes dangling ones only', async () => {
    const ref = `${d.name('used')}:v1`;
    const imported = await d.ok(['import', path.join(d.base, 'import.tgz'), ref]);
    const c = await dy(['create', '--name', d.name('user'), ref, 'true']);
    const refused = await d.docker(['rmi', ref]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Error response from daemon: conflict: unable to remove repository reference "${ref}" (must force) - container ${c.slice(0, 12)} is using its referenced image ${imported.slice(7, 19)}`,
    );
    await dy(['rm', c]);
    // Untagged, it is dangling: prune takes it, and leaves tagged busybox alone.
    expect(await d.ok(['rmi', ref])).toContain(`Untagged: ${ref}`);
    const dangling = await d.ok(['import', path.join(d.base, 'import.tgz')]);
    expect(await d.ok(['images', '-q', '--no-trunc', '--filter', 'dangling=true'])).toBe(dangling);
    const pruned = await d.ok(['image', 'prune', '-f']);
    expect(pruned).toContain(`deleted: ${dangling}`);
    expect(pruned).toMatch(/Total reclaimed space: [\d.]+k?B/);
    expect((await d.docker(['image', 'inspect', dangling])).code).toBe(1);
    expect(await d.ok(['image', 'inspect', '-f', '{{.RepoTags}}', 'busybox'])).toContain('busybox:latest');
  });

  it("docker login credentials reach the registry: X-Registry-Auth becomes the token request's Basic auth", async () => {
    fake.login = 'student:s3cret';
    fake.addImage('lab/private', 'v1', await fakeImage('private layer\n'), await fakeImage('arm\n'));
    const ref = `${fake.host}/lab/private:v1`;
    const denied = await d.docker(['pull', ref]);
    expect(denied.code).toBe(1);
    expect(denied.stderr.trim()).toBe(
      `Error response from daemon: pull access denied for ${fake.host}/lab/private, repository does not exist or may require 'docker login': unauthorized: incorrect username or password`,
    );
    await d.ok(['login', '-u', 'student', '--password-stdin', fake.host], { input: 's3cret\n' });
    const pulled = await d.ok(['pull', ref]);
    expect(pulled).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(fake.tokenAuthorizations).toContain(`Basic ${Buffer.from('student:s3cret').toString('base64')}`);
  });

  it("records image events in docker's shape", async () => {
    const now = Math.ceil(Date.now() / 1000);
    const filters = encodeURIComponent(JSON.stringify({ type: ['image'] }));
    const res = await d.request('GET', `/v1.41/events?since=0&until=${now}&filters=${filters}`);
    expect(res.status).toBe(200);
    const events = res.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string } });
    const actions = new Set(events.map((e) => e.Action));
    for (const a of ['pull', 'push', 'tag', 'untag', 'delete', 'import', 'save', 'load'])
      expect(actions).toContain(a);
    expect(events.every((e) => e.Type === 'image')).toBe(true);
    expect(events.find((e) => e.Action === 'push')?.Actor.ID).toMatch(new RegExp(`^${reg.host}/api-img-`));
  });

  it("answers bad image requests with docker's errors", async () => {
    const missing = await d.request('GET', '/v1.41/images/no-such-image:v1/json');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ message: 'No such image: no-such-image:v1' });
    const badTag = await d.request('POST', '/v1.41/images/busybox/tag?repo=Bad_Name&tag=x');
    expect(badTag.status).toBe(400);
    const badPull = await d.request('POST', '/v1.41/images/create?fromImage=UPPER&tag=x');
    expect(badPull.status).toBe(400);
    const url = await d.request('POST', '/v1.41/images/create?fromSrc=http://example.invalid/x.tar');
    expect(url.status).toBe(400);
    const hub = await d.request('GET', '/v1.41/images/search?term=busybox');
    expect(hub.status).toBe(500);
    expect(JSON.parse(hub.body).message).toContain('docker.io search index is not reachable');
    const badLoad = await d.request('POST', '/v1.41/images/load', Buffer.from('not a tar'), {
      'Content-Type': 'application/x-tar',
    });
    expect(badLoad.status).toBeGreaterThanOrEqual(400);
    // The daemon is still there.
    expect((await d.request('GET', '/_ping')).body).toBe('OK');
  });
});
