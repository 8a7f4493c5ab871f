import { run } from './exec.js';
import type { PortBinding } from './types.js';

export interface HostListener {
  ip: string;
  port: number;
}

/** IPv4 (and dual-stack wildcard) listening sockets of the host, from `ss`. */
export async function hostListeners(proto: 'tcp' | 'udp'): Promise<HostListener[]> {
  const out = await run('ss', [proto === 'tcp' ? '-ltnH' : '-lunH']);
  const listeners: HostListener[] = [];
  for (const line of out.split('\n')) {
    const local = line.trim().split(/\s+/)[3];
    if (!local) continue;
    const sep = local.lastIndexOf(':');
    const port = Number(local.slice(sep + 1));
    let host = local.slice(0, sep).replace(/%.*$/, '');
    if (host.startsWith('[')) host = host.slice(1, -1);
    if (host === '*' || host === '::') host = '0.0.0.0';
    if (host.startsWith('::ffff:')) host = host.slice(7);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(host) || !Number.isInteger(port)) continue;
    listeners.push({ ip: host, port });
  }
  return listeners;
}

/** Two bindings clash when ports and protocols match and one address covers the other. */
export function clashes(
  a: Pick<PortBinding, 'hostIp' | 'hostPort'>,
  b: Pick<PortBinding, 'hostIp' | 'hostPort'>,
): boolean {
  if (a.hostPort !== b.hostPort) return false;
  return a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0';
}

/** Where an ephemeral host port is picked from for `-p 80` (no host port given), like Linux's default range. */
export const EPHEMERAL_PORTS = { first: 32768, last: 60999 };
