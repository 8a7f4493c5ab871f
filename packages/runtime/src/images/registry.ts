import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { type Readable, Transform } from 'node:stream';
import { z } from 'zod';
import { registryBaseUrl } from './registry-reference.js';

/** Docker's media types for the manifests and blobs a v2 registry serves. */
export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

const MANIFEST_ACCEPT = [
  MediaTypes.dockerManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.ociManifest,
  MediaTypes.ociIndex,
].join(', ');

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

const DescriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(DIGEST_RE),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  platform: z
    .object({ architecture: z.string(), os: z.string(), variant: z.string().optional() })
    .passthrough()
    .optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

const ImageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

const IndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(DescriptorSchema),
});

const ErrorBodySchema = z.object({
  errors: z
    .array(z.object({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() }))
    .min(1),
});

const TokenSchema = z.object({ token: z.string().optional(), access_token: z.string().optional() });

/** Credentials as the Engine API's X-Registry-Auth header (or a docker config.json) carries them. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/**
 * A failure talking to a registry, worded like dockerd's. `code` is the registry's error code
 * (MANIFEST_UNKNOWN, DENIED, …) when it sent one; `status` is what the Engine API answers with.
 */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status = 500,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** Go's errcode text: "<code in lower case with spaces>: <message>", e.g. "manifest unknown: manifest unknown". */
function errcodeText(code: string, message: string | undefined): string {
  return `${code.toLowerCase().replace(/_/g, ' ')}: ${message ?? ''}`;
}

const goMethod = (m: string) => m.charAt(0) + m.slice(1).toLowerCase();

/** Node's socket errors in the words of Go's net package, as dockerd prints them. */
function goNetError(e: NodeJS.ErrnoException & { address?: string; port?: number }, url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const addr = `${e.address ?? url.hostname}:${e.port ?? port}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'DY_CONNECT_TIMEOUT':
      return `dial tcp ${url.hostname}:${port}: i/o timeout`;
    case 'ECONNRESET':
      return 'connection reset by peer';
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'http: server gave HTTP response to HTTPS client';
    default:
      return e.message;
  }
}

async function readBody(res: IncomingMessage, limit = MAX_MANIFEST_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) {
      res.destroy();
      throw new RegistryError(`registry response is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Parses `Bearer realm="…",service="…",scope="…"` (or Basic) into a scheme and its parameters. */
export function parseChallenge(
  header: string | undefined,
): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m?.[1]) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    if (p[1]) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: m[1].toLowerCase(), params };
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Authorization scopes this request needs (Bearer tokens are fetched per scope set). */
  scopes?: string[];
  /** Follow 3xx (blob downloads may be redirected to storage). */
  followRedirects?: boolean;
}

export interface ResolvedManifest {
  manifest: ImageManifest;
  bytes: Buffer;
  mediaType: string;
  /** Digest of the manifest the tag or digest pointed at (the index's, for a multi-platform image). */
  digest: string;
  /** Descriptor of what the reference resolved to (for /distribution). */
  descriptor: Descriptor;
  platforms: { architecture: string; os: string; variant?: string }[];
}

/** A Docker Registry HTTP API v2 client for one registry host. */
export class RegistryClient {
  readonly baseUrl: string;
  private challenge: { scheme: string; params: Record<string, string> } | undefined;
  private pinged = false;
  /** Docker Hub without a mirror or permission: answered like Hub answers an anonymous client it refuses. */
  private readonly offline: boolean;
  private readonly tokens = new Map<string, string>();
  private readonly agent: http.Agent;

  constructor(
    readonly domain: string,
    private readonly opts: { auth?: RegistryAuth; env?: NodeJS.ProcessEnv; connectTimeoutMs?: number } = {},
  ) {
    const env = opts.env ?? process.env;
    const base = registryBaseUrl(domain, env);
    this.offline = base === undefined;
    this.baseUrl = base ?? 'https://registry-1.docker.io';
    this.agent = this.baseUrl.startsWith('https:')
      ? new https.Agent({ keepAlive: true, maxSockets: 8 })
      : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  close(): void {
    this.agent.destroy();
  }

  private get connectTimeoutMs(): number {
    const env = this.opts.env ?? process.env;
    return this.opts.connectTimeoutMs ?? (Number(env.DOCKYARD_REGISTRY_CONNECT_TIMEOUT_MS) || 5000);
  }

  /** One HTTP exchange; network failures become Go-worded RegistryErrors (`Get "url": dial tcp …`). */
  private send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: Buffer | Readable,
  ): Promise<IncomingMessage> {
    const mod = url.protocol === 'https:' ? https : http;
    const sameHost = url.origin === new URL(this.baseUrl).origin;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new RegistryError(`${goMethod(method)} "${url.href}": ${goNetError(e, url)}`));
      };
      const req = mod.request(url, {
        method,
        headers: { 'User-Agent': 'dockyard', ...headers },
        agent: sameHost ? this.agent : undefined,
      });
      const timer = setTimeout(() => {
        const e: NodeJS.ErrnoException = new Error('connect timeout');
        e.code = 'DY_CONNECT_TIMEOUT';
        fail(e);
        req.destroy();
      }, this.connectTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(timer);
        else socket.once('connect', () => clearTimeout(timer));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        if (settled) {
          res.resume();
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(res);
      });
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      }
    });
  }

  /** GET /v2/: checks the registry speaks v2 and learns how it wants to be authenticated. */
  async ping(): Promise<void> {
    if (this.pinged) return;
    if (this.offline)
      throw new RegistryError('denied: requested access to the resource is denied', 404, 'DENIED');
    const url = new URL('/v2/', this.baseUrl);
    const res = await this.send('GET', url, {});
    await readBody(res).catch(() => Buffer.alloc(0));
    if (res.statusCode === 401) this.challenge = parseChallenge(res.headers['www-authenticate']);
    else if ((res.statusCode ?? 0) >= 300 && res.statusCode !== 404) {
      // Docker accepts any answer with the API version header; a 5xx means the registry is not usable.
      if (!res.headers['docker-distribution-api-version']) {
        throw new RegistryError(
          `Get "${url.href}": received unexpected HTTP status: ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
        );
      }
    }
    this.pinged = true;
  }

  private basicHeader(): string | undefined {
    const a = this.opts.auth;
    if (!a?.username) return undefined;
    return `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`;
  }

  /** The Authorization header for these scopes, fetching a Bearer token from the challenge's realm if needed. */
  private async authorization(scopes: string[]): Promise<string | undefined> {
    if (this.opts.auth?.registrytoken) return `Bearer ${this.opts.auth.registrytoken}`;
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return this.basicHeader();
    if (ch.scheme !== 'bearer' || !ch.params.realm) return undefined;
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached) return `Bearer ${cached}`;
    const realm = new URL(ch.params.realm);
    if (ch.params.service) realm.searchParams.set('service', ch.params.service);
    for (const s of scopes) realm.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const basic = this.basicHeader();
    if (basic) headers.Authorization = basic;
    let res: IncomingMessage;
    if (this.opts.auth?.identitytoken) {
      // OAuth2 refresh token flow, as docker does after `docker login` gave an identity token.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.opts.auth.identitytoken,
        service: ch.params.service ?? '',
        scope: scopes.join(' '),
        client_id: 'dockyard',
      });
      res = await this.send(
        'POST',
        new URL(ch.params.realm),
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        Buffer.from(form.toString()),
      );
    } else {
      res = await this.send('GET', realm, headers);
    }
    const body = await readBody(res);
    if (res.statusCode !== 200) {
      const parsed = parseErrorBody(body);
      throw new RegistryError(
        parsed
          ? errcodeText(parsed.code, parsed.message)
          : `unauthorized: ${res.statusCode === 401 ? 'incorrect username or password' : `token server answered ${res.statusCode}`}`,
        401,
        parsed?.code ?? 'UNAUTHORIZED',
      );
    }
    const tok = TokenSchema.safeParse(JSON.parse(body.toString() || '{}'));
    const token = tok.success ? (tok.data.token ?? tok.data.access_token) : undefined;
    if (!token) throw new RegistryError('unauthorized: the token server sent no token', 401, 'UNAUTHORIZED');
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }

  /** A request to /v2/…, authenticated for `scopes`, following redirects when asked. */
  async request(method: string, pathOrUrl: string, o: RequestOptions = {}): Promise<IncomingMessage> {
    await this.ping();
    let url = new URL(pathOrUrl, this.baseUrl);
    const auth = await this.authorization(o.scopes ?? []);
    for (let hops = 0; ; hops++) {
      const headers = { ...o.headers };
      // Credentials go only to the registry itself, never to the storage it redirects to.
      if (auth && url.origin === new URL(this.baseUrl).origin) headers.Authorization = auth;
      const res = await this.send(method, url, headers, o.body);
      const loc = res.headers.location;
      if (o.followRedirects && loc && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && hops < 5) {
        res.resume();
        url = new URL(loc, url);
        continue;
      }
      return res;
    }
  }

  /** Throws the registry's own error for a failed response, in Docker's errcode wording. */
  async fail(res: IncomingMessage, what: string): Promise<never> {
    const body = await readBody(res).catch(() => Buffer.alloc(0));
    const parsed = parseErrorBody(body);
    const status = res.statusCode ?? 500;
    if (parsed) throw new RegistryError(errcodeText(parsed.code, parsed.message), status, parsed.code);
    if (status === 401) throw new RegistryError('unauthorized: authentication required', 401, 'UNAUTHORIZED');
    if (status === 404) throw new RegistryError(`${what}: not found`, 404, 'NOT_FOUND');
    throw new RegistryError(
      `${what}: received unexpected HTTP status: ${status} ${res.statusMessage ?? ''}`.trim(),
      status,
    );
  }

  /** GET a manifest by tag or digest; verifies a digest reference against the bytes. */
  async getManifest(
    repo: string,
    reference: string,
  ): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${reference}`, {
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${repo}:pull`],
    });
    if (res.statusCode !== 200) return this.fail(res, `manifest ${reference}`);
    const bytes = await readBody(res);
    const digest = sha256(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(`manifest verification failed for digest ${reference}`);
    }
    const header =
      String(res.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    let mediaType = header;
    try {
      const body = JSON.parse(bytes.toString()) as { mediaType?: unknown; manifests?: unknown };
      if (typeof body.mediaType === 'string') mediaType = body.mediaType;
      else if (!mediaType || mediaType === 'application/json')
        mediaType = Array.isArray(body.manifests) ? MediaTypes.ociIndex : MediaTypes.ociManifest;
    } catch {
      throw new RegistryError(`invalid manifest ${reference}: not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** Resolves a tag or digest to one image manifest, choosing the platform from a manifest list / OCI index. */
  async resolveManifest(
    repo: string,
    reference: string,
    platform = { os: 'linux', architecture: 'amd64' },
  ): Promise<ResolvedManifest> {
    const top = await this.getManifest(repo, reference);
    const descriptor: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
    if (top.mediaType === MediaTypes.dockerManifestList || top.mediaType === MediaTypes.ociIndex) {
      const index = IndexSchema.safeParse(JSON.parse(top.bytes.toString()));
      if (!index.success) throw new RegistryError(`invalid manifest list ${reference}`);
      const platforms = index.data.manifests.flatMap((m) => (m.platform ? [m.platform] : []));
      const pick = index.data.manifests.find(
        (m) => m.platform?.os === platform.os && m.platform.architecture === platform.architecture,
      );
      if (!pick) {
        throw new RegistryError(
          `no matching manifest for ${platform.os}/${platform.architecture} in the manifest list entries`,
          404,
        );
      }
      const one = await this.getManifest(repo, pick.digest);
      return { ...parseImageManifest(one), digest: top.digest, descriptor, platforms };
    }
    return { ...parseImageManifest(top), digest: top.digest, descriptor, platforms: [] };
  }

  /** GET a blob as a stream (caller verifies the digest while reading). */
  async getBlob(repo: string, digest: string): Promise<IncomingMessage> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`, {
      scopes: [`repository:${repo}:pull`],
      followRedirects: true,
    });
    if (res.statusCode !== 200) return this.fail(res, `blob ${digest}`);
    return res;
  }

  /** GET a small blob (an image config) and verify its digest. */
  async getBlobBytes(repo: string, digest: string): Promise<Buffer> {
    const bytes = await readBody(await this.getBlob(repo, digest));
    if (sha256(bytes) !== digest)
      throw new RegistryError(`image config verification failed for digest ${digest}`);
    return bytes;
  }

  /** HEAD a blob: its size if the repository has it. */
  async blobSize(repo: string, digest: string, push = false): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, {
      scopes: [`repository:${repo}:${push ? 'pull,push' : 'pull'}`],
      followRedirects: true,
    });
    res.resume();
    if (res.statusCode === 200) return Number(res.headers['content-length'] ?? 0);
    if (res.statusCode === 404) return undefined;
    return this.fail(res, `blob ${digest}`);
  }

  /** Cross-repository blob mount (same registry): true when the registry linked it without an upload. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${q}`, {
      scopes: [`repository:${repo}:pull,push`, `repository:${from}:pull`],
    });
    res.resume();
    if (res.statusCode === 201) return true;
    if (res.statusCode === 202) {
      // The registry opened an upload instead; cancel it.
      const loc = res.headers.location;
      if (loc) {
        const del = await this.request('DELETE', loc, { scopes: [`repository:${repo}:pull,push`] });
        del.resume();
      }
      return false;
    }
    return false;
  }

  /**
   * Uploads a blob streamed from `source` (POST to open the session, PATCH the bytes chunked, PUT ?digest= to
   * commit), hashing on the way so the content need not be buffered. Returns its digest and size.
   */
  async uploadBlob(repo: string, source: Readable, onBytes?: (n: number) => void): Promise<Descriptor> {
    const scopes = [`repository:${repo}:pull,push`];
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { scopes });
    if (start.statusCode !== 202) return this.fail(start, 'blob upload');
    start.resume();
    const loc = start.headers.location;
    if (!loc) throw new RegistryError('blob upload: the registry sent no upload location');
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _e, done) {
        hash.update(chunk);
        size += chunk.length;
        onBytes?.(size);
        done(null, chunk);
      },
    });
    source.on('error', (e) => tap.destroy(e));
    source.pipe(tap);
    const patch = await this.request('PATCH', loc, {
      scopes,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: tap,
    });
    if (patch.statusCode !== 202 && patch.statusCode !== 204) return this.fail(patch, 'blob upload');
    patch.resume();
    const digest = `sha256:${hash.digest('hex')}`;
    const next = new URL(patch.headers.location ?? loc, new URL(loc, this.baseUrl));
    next.searchParams.set('digest', digest);
    const put = await this.request('PUT', next.href, { scopes, headers: { 'Content-Length': '0' } });
    if (put.statusCode !== 201) return this.fail(put, 'blob upload');
    put.resume();
    return { digest, size };
  }

  /** Uploads a small blob held in memory (an image config) in one PUT. */
  async uploadBytes(repo: string, bytes: Buffer): Promise<Descriptor> {
    const scopes = [`repository:${repo}:pull,push`];
    const digest = sha256(bytes);
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { scopes });
    if (start.statusCode !== 202) return this.fail(start, 'blob upload');
    start.resume();
    const loc = start.headers.location;
    if (!loc) throw new RegistryError('blob upload: the registry sent no upload location');
    const url = new URL(loc, this.baseUrl);
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.href, {
      scopes,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) },
      body: bytes,
    });
    if (put.statusCode !== 201) return this.fail(put, 'blob upload');
    put.resume();
    return { digest, size: bytes.length };
  }

  /** PUT a manifest under a tag; returns the digest the registry computed. */
  async putManifest(repo: string, tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${tag}`, {
      scopes: [`repository:${repo}:pull,push`],
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
      body: bytes,
    });
    if (res.statusCode !== 201) return this.fail(res, `manifest ${tag}`);
    res.resume();
    const digest = String(res.headers['docker-content-digest'] ?? '');
    return DIGEST_RE.test(digest) ? digest : sha256(bytes);
  }

  /** GET /v2/<repo>/tags/list, following the registry's `Link` pages. */
  async tags(repo: string): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; next && page < 100; page++) {
      const res = await this.request('GET', next, { scopes: [`repository:${repo}:pull`] });
      if (res.statusCode !== 200) return this.fail(res, 'tags');
      const link = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
      const body = z
        .object({ tags: z.array(z.string()).nullish() })
        .safeParse(JSON.parse((await readBody(res)).toString() || '{}'));
      if (body.success) out.push(...(body.data.tags ?? []));
      next = link;
    }
    return out;
  }

  /** GET /v2/_catalog: repository names (the registry decides how many; `n` asks for at most that many). */
  async catalog(n = 1000): Promise<string[]> {
    const res = await this.request('GET', `/v2/_catalog?n=${n}`, { scopes: ['registry:catalog:*'] });
    if (res.statusCode !== 200) return this.fail(res, 'catalog');
    const body = z
      .object({ repositories: z.array(z.string()).nullish() })
      .safeParse(JSON.parse((await readBody(res)).toString() || '{}'));
    return body.success ? (body.data.repositories ?? []) : [];
  }
}

function parseErrorBody(body: Buffer): { code: string; message?: string } | undefined {
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(body.toString()));
    return parsed.success ? parsed.data.errors[0] : undefined;
  } catch {
    return undefined;
  }
}

function parseImageManifest(m: { bytes: Buffer; mediaType: string }): {
  manifest: ImageManifest;
  bytes: Buffer;
  mediaType: string;
} {
  if (m.mediaType !== MediaTypes.dockerManifest && m.mediaType !== MediaTypes.ociManifest) {
    throw new RegistryError(`unsupported manifest media type ${m.mediaType || '(none)'}`);
  }
  const parsed = ImageManifestSchema.safeParse(JSON.parse(m.bytes.toString()));
  if (!parsed.success) throw new RegistryError('invalid image manifest');
  return { manifest: parsed.data, bytes: m.bytes, mediaType: m.mediaType };
}

/** Decodes the Engine API's X-Registry-Auth header (base64url JSON); malformed or empty means anonymous. */
export function decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (!header) return undefined;
  try {
    const json = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>;
    const str = (k: string) => (typeof json[k] === 'string' && json[k] ? (json[k] as string) : undefined);
    const auth: RegistryAuth = {
      username: str('username'),
      password: str('password'),
      identitytoken: str('identitytoken'),
      registrytoken: str('registrytoken'),
    };
    const basic = str('auth');
    if (!auth.username && basic) {
      const [u, ...p] = Buffer.from(basic, 'base64').toString().split(':');
      auth.username = u;
      auth.password = p.join(':');
    }
    return auth.username || auth.identitytoken || auth.registrytoken ? auth : undefined;
  } catch {
    return undefined;
  }
}

/** Credentials `docker login` stored for a registry in $DOCKER_CONFIG/config.json (plain `auth` entries only). */
export async function authFromDockerConfig(
  domain: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryAuth | undefined> {
  const dir = env.DOCKER_CONFIG || (env.HOME ? `${env.HOME}/.docker` : undefined);
  if (!dir) return undefined;
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`${dir}/config.json`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = z
    .object({
      auths: z.record(z.string(), z.object({ auth: z.string().optional() }).passthrough()).optional(),
    })
    .passthrough()
    .safeParse(json);
  if (!parsed.success) return undefined;
  const auths = parsed.data.auths ?? {};
  const keys =
    domain === 'docker.io'
      ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
      : [domain, `https://${domain}`, `http://${domain}`];
  for (const k of keys) {
    const entry = auths[k];
    if (entry?.auth)
      return decodeRegistryAuth(Buffer.from(JSON.stringify({ auth: entry.auth })).toString('base64url'));
  }
  return undefined;
}
