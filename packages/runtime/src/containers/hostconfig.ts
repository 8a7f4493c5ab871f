import { isIP } from 'node:net';
import { z } from 'zod';
import { DockyardError } from '../errors.js';
import { ALL_CAPS } from '../oci/capabilities.js';

/**
 * HostConfig settings that shape a container's capabilities, name resolution and links, with Docker's
 * parsing, validation messages and semantics (daemon/oci caps, libnetwork resolv.conf and hosts, legacy links).
 */

/** Docker answers these with 400 (InvalidParameter); a 404 would make clients go looking for the image. */
export const invalidParameter = (msg: string) =>
  new DockyardError(`Error response from daemon: ${msg}`, 125, 'invalid-parameter');
const daemonError = invalidParameter;

/** Docker's NormalizeLegacyCapabilities: upper-cased, CAP_ prefixed, "ALL" kept; unknown names are an error. */
export function normalizeCaps(caps: string[], field: 'CapAdd' | 'CapDrop'): string[] {
  return caps.map((raw) => {
    const c = raw.toUpperCase();
    if (c === 'ALL') return c;
    const name = c.startsWith('CAP_') ? c : `CAP_${c}`;
    if (!(ALL_CAPS as readonly string[]).includes(name))
      throw daemonError(`invalid ${field}: unknown capability: "${name}"`);
    return name;
  });
}

/** Capabilities in this process's bounding set: what "ALL" can give a container on this kernel. */
function hostBoundingCaps(status: string): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1];
  if (!hex) return [...ALL_CAPS];
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPS.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Docker's TweakCapabilities: the default set with CapDrop removed and CapAdd added ("ALL" on either side). */
export function effectiveCaps(
  defaults: readonly string[],
  capAdd: string[],
  capDrop: string[],
  procStatus = '',
): string[] {
  const adds = normalizeCaps(capAdd, 'CapAdd');
  const drops = normalizeCaps(capDrop, 'CapDrop');
  if (!adds.length && !drops.length) return [...defaults];
  let caps: string[];
  if (adds.includes('ALL')) caps = hostBoundingCaps(procStatus).filter((c) => !drops.includes(c));
  else if (drops.includes('ALL')) caps = adds;
  else caps = [...defaults.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)];
}

export interface HostEntry {
  ip: string;
  names: string[];
}

/** `name:ip` (Docker's form; IPv6 after the first colon) or `name=ip` (newer clients); host-gateway is the bridge gateway. */
export function parseExtraHost(spec: string, hostGateway?: string): HostEntry {
  const eq = spec.indexOf('=');
  const colon = spec.indexOf(':');
  const cut = eq > 0 && (colon === -1 || eq < colon) ? eq : colon;
  const name = cut > 0 ? spec.slice(0, cut) : '';
  let ip = cut > 0 ? spec.slice(cut + 1) : '';
  if (!name || !ip) throw daemonError(`bad format for add-host: "${spec}"`);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip === 'host-gateway') {
    if (!hostGateway) throw daemonError(`unable to derive the IP value for host-gateway`);
    ip = hostGateway;
  }
  if (!isIP(ip)) throw daemonError(`invalid IP address in add-host: "${ip}"`);
  return { ip, names: [name] };
}

/** Checks ExtraHosts at create time (host-gateway is resolved when the container starts). */
export function validateExtraHosts(specs: string[]): void {
  for (const s of specs) parseExtraHost(s, '0.0.0.0');
}

/** Docker's opts.ParseLink: `name:alias` or `name` (alias = name); a leading slash is dropped. */
export function parseLink(spec: string): { name: string; alias: string } {
  const parts = spec.split(':');
  const name = (parts[0] ?? '').replace(/^\//, '');
  if (parts.length > 2 || !name || (parts.length === 2 && !parts[1]))
    throw daemonError(`invalid link format: ${spec}`);
  return { name, alias: (parts[1] ?? name).replace(/^\//, '') };
}

/** The legacy link environment Docker gives a container on the default bridge (daemon/links). */
export function linkEnv(o: {
  parentName: string;
  alias: string;
  childIp: string;
  childEnv: string[];
  exposedPorts: string[];
}): string[] {
  const alias = o.alias.toUpperCase().replaceAll('-', '_');
  const ports = o.exposedPorts
    .map((p) => {
      const [num = '', proto = 'tcp'] = p.split('/');
      return { num: Number(num), proto: proto.toLowerCase() };
    })
    .filter((p) => Number.isInteger(p.num) && p.num > 0)
    .sort((a, b) =>
      a.proto === b.proto
        ? a.num - b.num
        : a.proto === 'tcp'
          ? -1
          : b.proto === 'tcp'
            ? 1
            : a.proto.localeCompare(b.proto),
    );
  const env: string[] = [];
  let start = ports[0];
  let end = ports[0];
  ports.forEach((p, i) => {
    if (i === 0) env.push(`${alias}_PORT=${p.proto}://${o.childIp}:${p.num}`);
    const prefix = `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`;
    env.push(
      `${prefix}=${p.proto}://${o.childIp}:${p.num}`,
      `${prefix}_ADDR=${o.childIp}`,
      `${prefix}_PORT=${p.num}`,
      `${prefix}_PROTO=${p.proto}`,
    );
    if (end && p.num === end.num + 1 && p.proto === end.proto) {
      end = p;
      if (i < ports.length - 1) return;
    }
    if (start && end && (start.num !== end.num || start.proto !== end.proto)) {
      const rp = `${alias}_PORT_${start.num}_${start.proto.toUpperCase()}`;
      env.push(
        `${rp}_START=${start.proto}://${o.childIp}:${start.num}`,
        `${rp}_PORT_START=${start.num}`,
        `${rp}_END=${end.proto}://${o.childIp}:${end.num}`,
        `${rp}_PORT_END=${end.num}`,
      );
    }
    start = p;
    end = p;
  });
  env.push(`${alias}_NAME=/${o.parentName}/${o.alias}`);
  for (const kv of o.childEnv) {
    const eq = kv.indexOf('=');
    if (eq === -1) continue;
    const key = kv.slice(0, eq);
    if (key === 'HOME' || key === 'PATH') continue;
    env.push(`${alias}_ENV_${key}=${kv.slice(eq + 1)}`);
  }
  return env;
}

export interface DnsSettings {
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export function validateDns(dns: string[]): void {
  for (const ip of dns) {
    if (!isIP(ip)) throw daemonError(`${ip} is not an ip address`);
  }
}

/**
 * libnetwork's rule: each of --dns, --dns-search, --dns-option given replaces the host's nameserver, search
 * or options lines; the others are kept. A search of "." means no search domains.
 */
export function applyDns(base: string, s: DnsSettings): string {
  if (!s.dns.length && !s.dnsSearch.length && !s.dnsOptions.length) return base;
  const lines = base.split('\n').filter((l) => l.trim() !== '');
  const key = (l: string) => l.trim().split(/\s+/)[0];
  const keep = lines.filter((l) => {
    const k = key(l);
    if (s.dns.length && (k === 'nameserver' || l.startsWith('# no non-loopback nameserver'))) return false;
    if (s.dnsSearch.length && (k === 'search' || k === 'domain')) return false;
    if (s.dnsOptions.length && k === 'options') return false;
    return true;
  });
  const out = [...keep];
  for (const ns of s.dns) out.push(`nameserver ${ns}`);
  const search = s.dnsSearch.filter((d) => d !== '.');
  if (search.length) out.push(`search ${search.join(' ')}`);
  if (s.dnsOptions.length) out.push(`options ${s.dnsOptions.join(' ')}`);
  return `${out.join('\n')}\n`;
}

/** A link as stored in the container record: the linked container's id and the alias it is known by. */
export const StoredLinkSchema = z.object({ id: z.string(), alias: z.string() });
export type StoredLink = z.infer<typeof StoredLinkSchema>;

/** Docker's cpu.shares bounds (the kernel's); the v2 runtime converts them to cpu.weight. */
export function validateCpuShares(shares: number): number {
  if (!Number.isInteger(shares)) throw daemonError(`invalid CPU shares: ${shares}`);
  if (shares < 0) throw daemonError(`Invalid CPUShares value: ${shares}. Must be positive`);
  if (shares === 0) return 0;
  return Math.min(262144, Math.max(2, shares));
}
