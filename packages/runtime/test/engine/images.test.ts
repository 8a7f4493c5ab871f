import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, TestEngine } from './helpers.js';

const t = new TestEngine();
let tmp = '';

beforeAll(async () => {
  await t.setup();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dye-img-'));
});
afterAll(async () => {
  await t.teardown();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('images', () => {
  it('imports the busybox base image as busybox:latest with a content-addressed layer', async () => {
    const table = (await t.ok(['images'])).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY\s{3}TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(table.find((l) => l.startsWith('busybox '))).toMatch(
      /^busybox\s+latest\s+[0-9a-f]{12}\s+.+ ago\s+[\d.]+MB$/,
    );
    const inspect = JSON.parse(await t.ok(['image', 'inspect', 'busybox']))[0];
    expect(inspect.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inspect.RepoTags).toEqual(['busybox:latest']);
    const [layer] = inspect.RootFS.Layers as string[];
    const hex = (layer as string).slice(7);
    const tarBytes = await fs.readFile(path.join(t.root, 'images/layers', hex, 'layer.tar'));
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(tarBytes).digest('hex')).toBe(hex);
    // Absolute symlinks in the layer are kept as they are (they resolve inside the container).
    expect(await fs.readlink(path.join(t.root, 'images/layers', hex, 'diff/bin/sh'))).toBe('/bin/busybox');
  });

  it('tags, untags and deletes with docker semantics', async () => {
    const ref = `${t.name('tag')}:1.0`;
    await t.ok(['tag', 'busybox', ref]);
    const ids = await t.ok(['images', '-q']);
    expect(new Set(ids.split('\n')).size).toBe(1);
    const untag = await t.ok(['rmi', ref]);
    expect(untag).toBe(`Untagged: ${ref}`);
    expect(await t.ok(['images', '-q'])).toBe(ids.split('\n')[0]);
    const missing = await t.dy(['rmi', 'nope:nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No such image: nope:nope');
  });

  it('refuses to remove an image a container uses unless forced', async () => {
    const ref = `${t.name('used')}:v`;
    await t.ok(['tag', 'busybox', ref]);
    const id = await t.ok(['image', 'inspect', '-f', '{{.Id}}', ref]);
    // A second image (a commit) so the tag is the only name of what the container uses.
    const c = await t.ok(['create', ref, 'true']);
    const single = `${t.name('single')}:v`;
    const imgId = await t.ok(['commit', c, single]);
    const user = await t.ok(['create', single, 'true']);
    const r = await t.dy(['rmi', single]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(must force) - container');
    expect(await t.ok(['rmi', '-f', single])).toBe(`Untagged: ${single}`);
    // Still there, dangling, because the container uses it.
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', imgId])).toBe(imgId);
    await t.ok(['rm', user, c]);
    const pruned = await t.ok(['image', 'prune', '-f']);
    expect(pruned).toContain(`deleted: ${imgId}`);
    expect((await t.dy(['image', 'inspect', imgId])).code).toBe(1);
    await t.ok(['rmi', ref]);
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).toBe(id);
  });

  it('save and load round-trip a docker-archive, keeping the image id', async () => {
    const ref = `${t.name('save')}:v1`;
    const c = await t.ok([
      'run',
      '--name',
      t.name('mk'),
      'busybox',
      'sh',
      '-c',
      'echo saved > /saved.txt; rm /bin/ls',
    ]);
    void c;
    const name = (await t.ok(['ps', '-a', '--format', '{{.Names}}'])).split('\n')[0] as string;
    const id = await t.ok(['commit', '-m', 'a message', name, ref]);
    await t.ok(['rm', name]);
    const archive = path.join(tmp, 'img.tar');
    await t.ok(['save', '-o', archive, ref]);
    const listing = (await runCmd('tar', ['-tf', archive])).stdout.split('\n');
    expect(listing).toContain('manifest.json');
    expect(listing).toContain(`${id.slice(7)}.json`);
    expect(listing.filter((l) => l.endsWith('/layer.tar')).length).toBe(2);
    await t.ok(['rmi', ref]);
    expect(await t.ok(['load', '-i', archive])).toBe(`Loaded image: ${ref}`);
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(id);
    expect(await t.ok(['run', '--rm', ref, 'sh', '-c', 'cat /saved.txt; ls /bin/ls 2>&1 || true'])).toMatch(
      /^saved\n.*No such file/s,
    );
    const history = await t.ok(['history', ref]);
    expect(history.split('\n')[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(history).toContain('a message');
    await t.ok(['rmi', ref]);
  });

  it('loads an OCI image layout', async () => {
    // Build an OCI layout by hand from a tiny rootfs: one gzip layer, config, manifest, index.
    const dir = path.join(tmp, 'oci');
    const rootfs = path.join(tmp, 'ocirootfs');
    await fs.mkdir(path.join(rootfs, 'etc'), { recursive: true });
    await fs.writeFile(path.join(rootfs, 'etc/oci-marker'), 'oci\n');
    await fs.mkdir(path.join(dir, 'blobs/sha256'), { recursive: true });
    const { createHash } = await import('node:crypto');
    const { gzipSync } = await import('node:zlib');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    await runCmd('tar', ['-cf', path.join(tmp, 'l.tar'), '-C', rootfs, '.']);
    const layer = await fs.readFile(path.join(tmp, 'l.tar'));
    const gz = gzipSync(layer);
    const put = async (b: Buffer) => {
      await fs.writeFile(path.join(dir, 'blobs/sha256', sha(b)), b);
      return `sha256:${sha(b)}`;
    };
    const layerDigest = await put(gz);
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] },
      }),
    );
    const configDigest = await put(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: gz.length },
        ],
      }),
    );
    const manifestDigest = await put(manifest);
    const ref = `${t.name('oci')}:1`;
    await fs.writeFile(
      path.join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: manifestDigest,
            size: manifest.length,
            annotations: { 'io.containerd.image.name': ref },
          },
        ],
      }),
    );
    await fs.writeFile(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await runCmd('tar', ['-cf', path.join(tmp, 'oci.tar'), '-C', dir, '.']);
    expect(await t.ok(['load', '-i', path.join(tmp, 'oci.tar')])).toBe(`Loaded image: ${ref}`);
    expect(await t.ok(['image', 'inspect', '-f', '{{.Id}}', ref])).toBe(configDigest);
    await t.ok(['rmi', ref]);
  });

  it('import turns a tarball into a one-layer image', async () => {
    const rootfs = path.join(tmp, 'importfs');
    await fs.mkdir(rootfs, { recursive: true });
    await runCmd('tar', [
      '-xf',
      path.join(
        t.root,
        'images/layers',
        (
          JSON.parse(
            await t.ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'busybox']),
          )[0] as string
        ).slice(7),
        'layer.tar',
      ),
      '-C',
      rootfs,
    ]);
    await fs.writeFile(path.join(rootfs, 'imported'), 'yes\n');
    await runCmd('tar', ['-czf', path.join(tmp, 'fs.tgz'), '-C', rootfs, '.']);
    const ref = `${t.name('imp')}:latest`;
    const id = await t.ok(['import', '-c', 'CMD ["cat", "/imported"]', path.join(tmp, 'fs.tgz'), ref]);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await t.ok(['run', '--rm', ref])).toBe('yes');
    await t.ok(['rmi', ref]);
  });

  it('a layer tar cannot write outside the layer directory, by .. or through a symlink', async () => {
    const { ImageStore } = await import('../../src/images/store.js');
    const { Readable } = await import('node:stream');
    const tarStream = (await import('tar-stream')).default;
    const store = new ImageStore(t.root);
    const evil = async (
      entries: { name: string; type?: 'file' | 'symlink'; linkname?: string; body?: string }[],
    ) => {
      const pack = tarStream.pack();
      for (const e of entries) {
        if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
        else pack.entry({ name: e.name }, e.body ?? 'x');
      }
      pack.finalize();
      return store.addLayer(Readable.from(pack as unknown as AsyncIterable<Buffer>));
    };
    const outside = path.join(tmp, 'pwned');
    // `..` is clamped at the layer root (like chroot), so the file lands inside the layer.
    const clamped = await evil([{ name: `../../../../../../..${outside}` }]);
    expect(await fs.readFile(path.join(store.layerDiff(clamped), outside), 'utf8')).toBe('x');
    await expect(
      evil([{ name: 'link', type: 'symlink', linkname: tmp }, { name: 'link/pwned' }]),
    ).rejects.toThrow(/symlink/);
    await expect(fs.access(outside)).rejects.toThrow();
  });
});
