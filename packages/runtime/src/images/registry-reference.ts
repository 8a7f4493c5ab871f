import { DockyardError } from '../errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const DOMAIN_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;
const TAG_RE = /^\w[\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** A reference resolved the way Docker does: `busybox` → docker.io/library/busybox:latest. */
export interface RemoteReference {
  /** Registry host (with port), `docker.io` for Docker Hub. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Docker's splitDockerDomain: the first component is a host if it has a dot, a colon, is localhost or has capitals. */
function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  const first = i < 0 ? '' : name.slice(0, i);
  if (
    i < 0 ||
    (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first && !first.startsWith('['))
  ) {
    return { domain: DEFAULT_DOMAIN, path: name };
  }
  return { domain: first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first, path: name.slice(i + 1) };
}

export function parseRemoteReference(ref: string): RemoteReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw new DockyardError(`invalid reference format: ${ref}`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new DockyardError(`invalid reference format: ${ref}`);
  }
  const split = splitDomain(rest);
  const domain = split.domain;
  const path =
    domain === DEFAULT_DOMAIN && !split.path.includes('/') ? OFFICIAL_PREFIX + split.path : split.path;
  if (!DOMAIN_RE.test(domain)) throw new DockyardError(`invalid reference format: ${ref}`);
  if (!PATH_RE.test(path)) {
    throw new DockyardError(
      /[A-Z]/.test(path)
        ? `invalid reference format: repository name must be lowercase`
        : `invalid reference format: ${ref}`,
    );
  }
  return { domain, path, tag, digest };
}

/** Docker's FamiliarName: docker.io/library/x → x, docker.io/u/x → u/x, others keep their host. */
export function familiarName(r: Pick<RemoteReference, 'domain' | 'path'>): string {
  if (r.domain !== DEFAULT_DOMAIN) return `${r.domain}/${r.path}`;
  return r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : r.path;
}

/** The fully qualified name, as `docker pull` prints it last: docker.io/library/busybox:latest. */
export function fullName(r: RemoteReference): string {
  return `${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** familiar name plus tag or digest: the key the local image store uses (busybox:latest, localhost:5000/x:v1). */
export function familiarString(r: RemoteReference): string {
  return `${familiarName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Adds `latest` when neither a tag nor a digest was given (docker's "Using default tag: latest"). */
export function withDefaultTag(r: RemoteReference): RemoteReference {
  return r.tag || r.digest ? r : { ...r, tag: 'latest' };
}

const hostOf = (domain: string) => domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');

function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const toNum = (s: string) => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (!base || !/^\d+\.\d+\.\d+\.\d+$/.test(ip) || !/^\d+\.\d+\.\d+\.\d+$/.test(base)) return false;
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return (toNum(ip) & mask) >>> 0 === (toNum(base) & mask) >>> 0;
}

/**
 * Like dockerd's insecure-registries: loopback (127.0.0.0/8, ::1, localhost) is always plain HTTP, and so is every
 * host:port or CIDR listed in DOCKYARD_INSECURE_REGISTRIES (comma separated). Everything else is HTTPS.
 */
export function isInsecureRegistry(domain: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const host = hostOf(domain);
  if (host === 'localhost' || host === '::1' || ipv4InCidr(host, '127.0.0.0/8')) return true;
  const list = (env.DOCKYARD_INSECURE_REGISTRIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.some((entry) =>
    entry.includes('/') ? ipv4InCidr(host, entry) : entry === domain || entry === host,
  );
}

/**
 * Where the registry API lives, or undefined when it may not be contacted. Docker Hub is off unless
 * DOCKYARD_REGISTRY_MIRROR names a mirror (host:port, like dockerd's registry-mirrors) or DOCKYARD_DOCKER_HUB=1
 * allows registry-1.docker.io itself: lab machines have no internet, and base images come from local recipes.
 */
export function registryBaseUrl(domain: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (domain === DEFAULT_DOMAIN) {
    const mirror = env.DOCKYARD_REGISTRY_MIRROR?.replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (mirror) return `${isInsecureRegistry(mirror, env) ? 'http' : 'https'}://${mirror}`;
    return env.DOCKYARD_DOCKER_HUB === '1' ? 'https://registry-1.docker.io' : undefined;
  }
  return `${isInsecureRegistry(domain, env) ? 'http' : 'https'}://${domain}`;
}
