import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  familiarName,
  familiarString,
  isInsecureRegistry,
  parseRemoteReference,
} from '../../src/images/registry-reference.js';
import { TestEngine } from '../engine/helpers.js';
import { FakeRegistry, fakeImage } from './fake-registry.js';
import { freePort, TestRegistry } from './helpers.js';

const t = new TestEngine();
const reg = new TestRegistry();
const fake = new FakeRegistry();

beforeAll(async () => {
  await Promise.all([t.setup(), reg.start(), fake.start()]);
});
afterAll(async () => {
  await Promise.allSettled([t.teardown(), reg.teardown(), fake.stop()]);
});

const repoName = (p: string) => `dyreg-${p}-${t.tag}`;
const uploads = () => reg.requests().filter((l) => /"POST \/v2\/.+\/blobs\/uploads\//.test(l)).length;

/** Everything the image store holds: layer dirs, configs, tags, digests. */
async function storeSnapshot(): Promise<string> {
  const dir = path.join(t.root, 'images');
  const list = async (d: string) => (await fs.readdir(path.join(dir, d)).catch(() => [] as string[])).sort();
  const read = async (f: string) => fs.readFile(path.join(dir, f), 'utf8').catch(() => '');
  return JSON.stringify({
    layers: await list('layers'),
    configs: await list('configs'),
    repos: await read('repositories.json'),
    digests: await read('repodigests.json'),
  });
}

describe('reference parsing', () => {
  it('normalises like docker', () => {
    expect(parseRemoteReference('busybox')).toEqual({
      domain: 'docker.io',
      path: 'library/busybox',
      tag: undefined,
      digest: undefined,
    });
    expect(parseRemoteReference('index.docker.io/u/app:1')).toMatchObject({
      domain: 'docker.io',
      path: 'u/app',
      tag: '1',
    });
    expect(parseRemoteReference('localhost:5000/x')).toMatchObject({ domain: 'localhost:5000', path: 'x' });
    expect(parseRemoteReference('localhost/x:v')).toMatchObject({ domain: 'localhost', path: 'x', tag: 'v' });
    expect(parseRemoteReference('127.0.0.1:5000/a/b:c')).toMatchObject({
      domain: '127.0.0.1:5000',
      path: 'a/b',
      tag: 'c',
    });
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseRemoteReference(`x@${d}`)).toMatchObject({ path: 'library/x', digest: d });
    expect(familiarName(parseRemoteReference('docker.io/library/busybox'))).toBe('busybox');
    expect(familiarString(parseRemoteReference('localhost:5000/x:v1'))).toBe('localhost:5000/x:v1');
    expect(() => parseRemoteReference('Busybox')).toThrow(/invalid reference format/);
    expect(() => parseRemoteReference('x@sha256:12')).toThrow(/invalid reference format/);
  });

  it('uses plain HTTP only for loopback and listed registries', () => {
    expect(isInsecureRegistry('127.0.0.1:5000', {})).toBe(true);
    expect(isInsecureRegistry('127.8.9.10:1', {})).toBe(true);
    expect(isInsecureRegistry('localhost:5000', {})).toBe(true);
    expect(isInsecureRegistry('registry.example:5000', {})).toBe(false);
    expect(isInsecureRegistry('10.1.2.3:5000', { DOCKYARD_INSECURE_REGISTRIES: '10.0.0.0/8' })).toBe(true);
    expect(isInsecureRegistry('reg.lab:5000', { DOCKYARD_INSECURE_REGISTRIES: 'x, reg.lab:5000' })).toBe(
      true,
    );
  });
});

describe('registry pull and push (Debian docker-registry on loopback)', () => {
  it('pushes busybox, removes it, pulls it back with the same id and config', async () => {
    const ref = `${reg.host}/${repoName('bb')}:v1`;
    const id = await t.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']);
    const configBefore = await fs.readFile(path.join(t.root, 'images/configs', `${id.slice(7)}.json`));
    await t.ok(['tag', 'busybox', ref]);
    const pushed = await t.ok(['push', ref]);
    const lines = pushed.split('\n');
    expect(lines[0]).toBe(`The push refers to repository [${ref.slice(0, -3)}]`);
    const [layerId] = JSON.parse(await t.ok(['image', 'inspect', 'busybox']))[0].RootFS.Layers as string[];
    expect(lines).toContain(`${layerId?.slice(7, 19)}: Pushed`);
    const digestLine = lines.find((l) => l.startsWith('v1: digest: '));
    const [, digest, size] = /^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(digestLine ?? '') ?? [];
    expect(digest).toBeDefined();
    expect(Number(size)).toBeGreaterThan(0);

    await t.ok(['rmi', ref]);
    await t.ok(['rmi', 'busybox']);
    expect(await t.ok(['images', '-q'])).toBe('');
    expect(await fs.readdir(path.join(t.root, 'images/layers'))).toEqual([]);

    const pulled = await t.ok(['pull', ref]);
    expect(pulled).toMatch(/^v1: Pulling from dyreg-bb-/);
    expect(pulled).toMatch(/^[0-9a-f]{12}: Pull complete$/m);
    expect(pulled).toContain(`Digest: ${digest}`);
    expect(pulled).toContain(`Status: Downloaded newer image for ${ref}`);
    expect(pulled.split('\n').pop()).toBe(ref);
    const row = (await t.ok(['images', '--digests'])).split('\n').find((l) => l.startsWith(ref.slice(0, -3)));
    expect(row?.split(/\s+/).slice(0, 3)).toEqual([ref.slice(0, -3), 'v1', digest]);
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(id);
    const configAfter = await fs.readFile(path.join(t.root, 'images/configs', `${id.slice(7)}.json`));
    expect(configAfter.equals(configBefore)).toBe(true);
    // The layer's content is the same tar it was (diff id = sha256 of the stored tar).
    const layer = (await fs.readdir(path.join(t.root, 'images/layers')))[0] ?? '';
    const tar = await fs.readFile(path.join(t.root, 'images/layers', layer, 'layer.tar'));
    expect(createHash('sha256').update(tar).digest('hex')).toBe(layer);
    // By digest too, and a second pull is a no-op.
    const byDigest = await t.ok(['pull', `${ref.slice(0, -3)}@${digest}`]);
    expect(byDigest).toContain('Status: Image is up to date');
    expect(byDigest).toMatch(/Already exists/);
    await t.ok(['tag', ref, 'busybox']);
    const run = await t.ok(['run', '--rm', ref, 'echo', 'pulled-works']);
    expect(run).toBe('pulled-works');
  });

  it('a second push uploads nothing: the registry already has every blob', async () => {
    const ref = `${reg.host}/${repoName('again')}:v1`;
    await t.ok(['tag', 'busybox', ref]);
    const first = await t.ok(['push', ref]);
    expect(first).toMatch(/: (Pushed|Mounted from .+)$/m);
    const before = uploads();
    const second = await t.ok(['push', ref]);
    expect(second).toMatch(/^[0-9a-f]{12}: Layer already exists$/m);
    expect(second).not.toMatch(/Pushed/);
    expect(uploads()).toBe(before);
    // Same manifest both times.
    const digestOf = (s: string) => /v1: digest: (\S+)/.exec(s)?.[1];
    expect(digestOf(second)).toBe(digestOf(first));
  });

  it('run of an image that is only in the registry pulls it first, like docker run', async () => {
    const ref = `${reg.host}/${repoName('runpull')}:v1`;
    await t.ok(['tag', 'busybox', ref]);
    await t.ok(['push', ref]);
    await t.ok(['rmi', ref]);
    const run = await t.dy(['run', '--rm', ref, 'echo', 'ran-after-pull']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Unable to find image '${ref}' locally`);
    expect(run.stdout.trim()).toBe('ran-after-pull');
    const missing = await t.dy(['run', '--rm', `${reg.host}/${repoName('absent')}:v1`, 'true']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Error response from daemon: manifest for .* not found: manifest unknown/);
  });

  it('mounts a blob from another repository of the same registry instead of uploading it', async () => {
    const ref = `${reg.host}/${repoName('mount')}:v1`;
    await t.ok(['tag', 'busybox', ref]);
    const before = uploads();
    const out = await t.ok(['push', ref]);
    expect(out).toMatch(/^[0-9a-f]{12}: Mounted from dyreg-/m);
    // The layer's bytes never travel again: no PATCH (layer data) to the new repository, only the mount request
    // and the small config blob's monolithic PUT.
    expect(reg.requests().filter((l) => /"PATCH /.test(l) && l.includes(repoName('mount')))).toEqual([]);
    expect(
      reg.requests().filter((l) => l.includes(`"POST /v2/${repoName('mount')}/blobs/uploads/?mount=`)),
    ).toHaveLength(1);
    expect(uploads() - before).toBe(2);
  });

  it("pull of a missing repository or tag fails with docker's messages", async () => {
    const missing = await t.dy(['pull', `${reg.host}/${repoName('nope')}`]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('Using default tag: latest\n');
    expect(missing.stderr.trim()).toBe(
      `Error response from daemon: manifest for ${reg.host}/${repoName('nope')}:latest not found: manifest unknown: manifest unknown`,
    );
    const badTag = await t.dy(['pull', `${reg.host}/${repoName('bb')}:nope`]);
    expect(badTag.code).toBe(1);
    expect(badTag.stderr.trim()).toBe(
      `Error response from daemon: manifest for ${reg.host}/${repoName('bb')}:nope not found: manifest unknown: manifest unknown`,
    );
  });

  it('pull from a loopback port nobody listens on fails at once with the dial error', async () => {
    const port = await freePort();
    const r = await t.dy(['pull', `127.0.0.1:${port}/x:v1`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `Error response from daemon: Get "http://127.0.0.1:${port}/v2/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );
  });

  it("Docker Hub is never contacted: refused in Hub's words, or served by a configured mirror", async () => {
    const hub = await t.dy(['pull', 'nosuchthing']);
    expect(hub.code).toBe(1);
    expect(hub.stderr.trim()).toBe(
      "Error response from daemon: pull access denied for nosuchthing, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
    );
    // A mirror stands in for docker.io, like dockerd's registry-mirrors.
    const path = `${repoName('mirror')}/app`;
    await t.ok(['tag', 'busybox', `${reg.host}/${path}:v1`]);
    await t.ok(['push', `${reg.host}/${path}:v1`]);
    t.env.DOCKYARD_REGISTRY_MIRROR = reg.host;
    try {
      const pulled = await t.ok(['pull', `${path}:v1`]);
      expect(pulled).toContain(`Status: Downloaded newer image for ${path}:v1`);
      expect(pulled.split('\n').pop()).toBe(`docker.io/${path}:v1`);
    } finally {
      delete t.env.DOCKYARD_REGISTRY_MIRROR;
    }
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', `${path}:v1`])).toBe(
      await t.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox']),
    );
  });

  it('the CLI verbs record image events like the daemon does', async () => {
    const text = await fs.readFile(path.join(t.run, 'events.jsonl'), 'utf8');
    const events = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { ID: string } });
    const images = events.filter((e) => e.Type === 'image');
    for (const a of ['pull', 'push', 'tag', 'untag', 'delete'])
      expect(images.map((e) => e.Action)).toContain(a);
    expect(images.find((e) => e.Action === 'push')?.Actor.ID).toMatch(new RegExp(`^${reg.host}/dyreg-`));
  });

  it('push of an image that is not there says so', async () => {
    const r = await t.dy(['push', `${reg.host}/${repoName('absent')}:v1`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `An image does not exist locally with the tag: ${reg.host}/${repoName('absent')}:v1`,
    );
  });

  it('search lists the registry catalog; the docker.io index is a clear error', async () => {
    const out = await t.ok(['search', `${reg.host}/${repoName('bb')}`]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\s+AUTOMATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([`${reg.host}/${repoName('bb')}`]);
    const hub = await t.dy(['search', 'busybox']);
    expect(hub.code).toBe(1);
    expect(hub.stderr).toContain('docker.io search index is not reachable');
  });
});

describe('registry client against a registry written for the test', () => {
  it('gets a Bearer token, picks linux/amd64 from an OCI index and verifies the layer', async () => {
    const img = await fakeImage('amd64 layer\n');
    const arm = await fakeImage('arm64 layer\n');
    fake.addImage('lab/hello', 'v1', img, arm);
    const ref = `${fake.host}/lab/hello:v1`;
    const out = await t.ok(['pull', ref]);
    expect(out).toContain(`${img.blobDigest.slice(7, 19)}: Pull complete`);
    expect(out).not.toContain(arm.blobDigest.slice(7, 19));
    expect(fake.tokenScopes).toContain('repository:lab/hello:pull');
    const id = await t.ok(['image', 'inspect', '-f', '{{.Id}}', ref]);
    expect(id).toBe(img.configDigest);
    expect(JSON.parse(await t.ok(['image', 'inspect', ref]))[0].RootFS.Layers).toEqual([img.diffId]);
    expect(
      await fs.readFile(path.join(t.root, 'images/layers', img.diffId.slice(7), 'diff/hello.txt'), 'utf8'),
    ).toBe('amd64 layer\n');
  });

  it('answers a Basic challenge with the credentials docker login stored in DOCKER_CONFIG', async () => {
    const basic = new FakeRegistry();
    basic.basic = 'lab:pa55';
    await basic.start();
    const config = path.join(path.dirname(t.root), 'docker-config');
    try {
      basic.addImage('lab/basic', 'v1', await fakeImage('basic layer\n'), await fakeImage('basic arm\n'));
      const ref = `${basic.host}/lab/basic:v1`;
      const denied = await t.dy(['pull', ref]);
      expect(denied.code).toBe(1);
      expect(denied.stderr.trim()).toBe(
        `Error response from daemon: pull access denied for ${basic.host}/lab/basic, repository does not exist or may require 'docker login': unauthorized: authentication required`,
      );
      await fs.mkdir(config, { recursive: true });
      const auth = Buffer.from('lab:pa55').toString('base64');
      await fs.writeFile(
        path.join(config, 'config.json'),
        JSON.stringify({ auths: { [basic.host]: { auth } } }),
      );
      t.env.DOCKER_CONFIG = config;
      expect(await t.ok(['pull', ref])).toContain(`Status: Downloaded newer image for ${ref}`);
    } finally {
      delete t.env.DOCKER_CONFIG;
      await basic.stop();
    }
  });

  it('pulls a zstd-compressed layer', async () => {
    const img = await fakeImage('', true);
    fake.addImage('lab/zstd', 'v1', img, await fakeImage('zstd arm\n'));
    const ref = `${fake.host}/lab/zstd:v1`;
    expect(await t.ok(['pull', ref])).toContain(`${img.blobDigest.slice(7, 19)}: Pull complete`);
    expect(JSON.parse(await t.ok(['image', 'inspect', ref]))[0].RootFS.Layers).toEqual([img.diffId]);
    expect(
      await fs.readFile(path.join(t.root, 'images/layers', img.diffId.slice(7), 'diff/zstd.txt'), 'utf8'),
    ).toBe('zstd layer\n');
  });

  it('refuses a blob whose bytes do not match its digest and leaves the store as it was', async () => {
    const img = await fakeImage('tampered layer\n');
    const arm = await fakeImage('tampered arm\n');
    fake.addImage('lab/bad', 'v1', img, arm);
    fake.corrupt.add(img.blobDigest);
    const before = await storeSnapshot();
    const r = await t.dy(['pull', `${fake.host}/lab/bad:v1`]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `Error response from daemon: filesystem layer verification failed for digest ${img.blobDigest}`,
    );
    expect(await storeSnapshot()).toBe(before);
    const tmp = await fs.readdir(path.join(t.root, 'images/tmp')).catch(() => []);
    expect(tmp).toEqual([]);
  });
});
