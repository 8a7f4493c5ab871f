import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A one-file layer tar. */
export async function layerTar(file: string, content: string): Promise<Buffer> {
  const pack = tarStream.pack();
  pack.entry({ name: file, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface FakeImage {
  tar: Buffer;
  diffId: string;
  blob: Buffer;
  blobDigest: string;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

/**
 * A layer compressed with zstd (`zstd -19` of a tar holding zstd.txt = "zstd layer\n"), kept as bytes because
 * node 20 has no zstd compressor; `diffId` is the sha256 of the tar it was made from.
 */
export const ZSTD_LAYER = {
  blob: Buffer.from(
    'KLUv/QRoVQIAksMLEaCrA3b7YBOqBiwUEXbvPiMDBSvBoxI1FvtdpzHXm2SzOM8h/puElL/ttYAaiwEJIFC3O/H9SSIFYAigdIDJGzYRvA5O5wgaYCx6',
    'base64',
  ),
  diffId: 'sha256:30c4e8f3fb972ae009482e6365a8155fd3bac69967b6af478d918067d2c3d4fd',
};

export async function fakeImage(content: string, zstd = false): Promise<FakeImage> {
  const tar = zstd ? Buffer.alloc(0) : await layerTar('hello.txt', content);
  const blob = zstd ? ZSTD_LAYER.blob : gzipSync(tar);
  const diffId = zstd ? ZSTD_LAYER.diffId : sha(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['cat', '/hello.txt'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'fake' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(blob), size: blob.length },
      ],
    }),
  );
  return {
    tar,
    diffId,
    blob,
    blobDigest: sha(blob),
    config,
    configDigest: sha(config),
    manifest,
    manifestDigest: sha(manifest),
  };
}

/**
 * A registry written for the test: serves `repo:tag` as an OCI index (arm64 + amd64) behind a Bearer token
 * realm on itself, and can be told to corrupt a blob it serves.
 */
export class FakeRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { type: string; body: Buffer }>();
  readonly tokenScopes: string[] = [];
  corrupt = new Set<string>();
  private server: http.Server | undefined;
  port = 0;
  readonly token = 'fake-token-123';
  /** When set ("user:password"), the token realm hands out tokens only to requests with these Basic credentials. */
  login: string | undefined;
  readonly tokenAuthorizations: (string | undefined)[] = [];
  /** When set ("user:password"), the registry asks for HTTP Basic auth itself instead of Bearer tokens. */
  basic: string | undefined;

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  addImage(repo: string, tag: string, img: FakeImage, arm: FakeImage): void {
    for (const i of [img, arm]) {
      this.blobs.set(i.blobDigest, i.blob);
      this.blobs.set(i.configDigest, i.config);
      this.manifests.set(`${repo}@${i.manifestDigest}`, {
        type: 'application/vnd.oci.image.manifest.v1+json',
        body: i.manifest,
      });
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: arm.manifestDigest,
            size: arm.manifest.length,
            platform: { architecture: 'arm64', os: 'linux' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: img.manifestDigest,
            size: img.manifest.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
    );
    this.manifests.set(`${repo}:${tag}`, { type: 'application/vnd.oci.image.index.v1+json', body: index });
    this.manifests.set(`${repo}@${sha(index)}`, {
      type: 'application/vnd.oci.image.index.v1+json',
      body: index,
    });
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const deny = () => {
      res.writeHead(401, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': `Bearer realm="http://${this.host}/token",service="fake-registry"`,
        'Docker-Distribution-Api-Version': 'registry/2.0',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    };
    if (url.pathname === '/token') {
      this.tokenAuthorizations.push(req.headers.authorization);
      if (this.login && req.headers.authorization !== `Basic ${Buffer.from(this.login).toString('base64')}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }),
        );
        return;
      }
      this.tokenScopes.push(...url.searchParams.getAll('scope'));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: this.token }));
      return;
    }
    if (this.basic) {
      if (req.headers.authorization !== `Basic ${Buffer.from(this.basic).toString('base64')}`) {
        res.writeHead(401, {
          'Content-Type': 'application/json',
          'WWW-Authenticate': 'Basic realm="fake-registry"',
          'Docker-Distribution-Api-Version': 'registry/2.0',
        });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    } else if (req.headers.authorization !== `Bearer ${this.token}`) {
      deny();
      return;
    }
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m?.[2] === 'manifests') {
      const ref = m[3]?.startsWith('sha256:') ? `${m[1]}@${m[3]}` : `${m[1]}:${m[3]}`;
      const found = this.manifests.get(ref);
      if (!found) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': found.type, 'Docker-Content-Digest': sha(found.body) });
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    if (m?.[2] === 'blobs') {
      const digest = m[3] ?? '';
      let body = this.blobs.get(digest);
      if (!body) {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
        return;
      }
      if (this.corrupt.has(digest)) {
        body = Buffer.from(body);
        body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0xff;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404);
    res.end();
  }
}
