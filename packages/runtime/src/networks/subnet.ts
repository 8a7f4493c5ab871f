import { isIPv4 } from 'node:net';
import { NetworkError } from './errors.js';

/** An IPv4 subnet as integers: `base` is the network address, `prefixLen` 0..32. */
export interface Subnet {
  base: number;
  prefixLen: number;
}

export function ipToInt(ip: string): number {
  if (!isIPv4(ip)) throw new NetworkError('invalid_address', `invalid IPv4 address: ${ip}`);
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits must be zero, as Docker requires. */
export function parseCidr(cidr: string): Subnet {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!match?.[1] || match[2] === undefined)
    throw new NetworkError('invalid_subnet', `invalid CIDR address: ${cidr}`);
  const prefixLen = Number(match[2]);
  if (prefixLen > 32) throw new NetworkError('invalid_subnet', `invalid CIDR address: ${cidr}`);
  const addr = ipToInt(match[1]);
  const base = (addr & mask(prefixLen)) >>> 0;
  if (base !== addr) {
    throw new NetworkError(
      'invalid_subnet',
      `invalid subnet ${cidr}: it should be ${intToIp(base)}/${prefixLen} (host bits must be zero)`,
    );
  }
  return { base, prefixLen };
}

export function formatCidr(s: Subnet): string {
  return `${intToIp(s.base)}/${s.prefixLen}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefixLen);
}

export function broadcast(s: Subnet): number {
  return s.base + size(s) - 1;
}

export function contains(s: Subnet, ip: number): boolean {
  return ip >= s.base && ip <= broadcast(s);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base <= broadcast(b) && b.base <= broadcast(a);
}

/** True if `ip` is usable by a host in `s` (not the network or broadcast address of a /30 or larger). */
export function isHostAddress(s: Subnet, ip: number): boolean {
  if (!contains(s, ip)) return false;
  if (s.prefixLen >= 31) return true;
  return ip !== s.base && ip !== broadcast(s);
}
