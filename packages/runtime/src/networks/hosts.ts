import { readFileSync } from 'node:fs';

export interface HostsEntry {
  ip: string;
  names: string[];
}

const header = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * /etc/hosts of a container: Docker's header, its static entries (links, --add-host), the container itself,
 * then its peers on user networks.
 */
export function renderHosts(self: HostsEntry[], peers: HostsEntry[], extra: HostsEntry[] = []): string {
  const lines = [...header];
  for (const e of [...extra, ...self, ...peers]) {
    const names = [...new Set(e.names.filter(Boolean))];
    if (names.length > 0) lines.push(`${e.ip}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf for containers: the host's nameservers, search and options lines, minus loopback nameservers
 * (127.x / ::1 point at the host's own resolver, which a container's netns cannot reach).
 * When nothing usable is left, no nameserver line is written on purpose: names then resolve only through
 * /etc/hosts, and nothing is sent to a resolver off this machine.
 */
export function renderResolvConf(hostResolvConf: string): string {
  const kept: string[] = [];
  for (const raw of hostResolvConf.split('\n')) {
    const line = raw.trim();
    const [key, value] = line.split(/\s+/);
    if (key === 'nameserver' && value && !value.startsWith('127.') && value !== '::1') kept.push(line);
    else if (key === 'search' || key === 'domain' || key === 'options') kept.push(line);
  }
  if (!kept.some((l) => l.startsWith('nameserver'))) {
    kept.unshift('# no non-loopback nameserver on the host: names resolve through /etc/hosts only');
  }
  return `${kept.join('\n')}\n`;
}

export function hostResolvConf(path = '/etc/resolv.conf'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
