import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DockyardError } from '../errors.js';
import type { PortBinding } from './network.js';
import type { MountSpec, RestartPolicy } from './record.js';

const invalid = (msg: string) => new DockyardError(msg, 125);

/** `-p [ip:][hostPort:]containerPort[/proto]` (docker's forms; a missing host port means "pick one"). */
export function parsePublish(spec: string): PortBinding {
  const [addr = '', protoRaw = 'tcp'] = spec.split('/');
  const proto = protoRaw.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') throw invalid(`invalid proto: ${protoRaw}`);
  const parts = addr.split(':');
  let hostIp = '0.0.0.0';
  let hostPort = '';
  let containerPort = '';
  if (parts.length === 1) containerPort = parts[0] ?? '';
  else if (parts.length === 2) [hostPort = '', containerPort = ''] = parts;
  else if (parts.length === 3) [hostIp = '', hostPort = '', containerPort = ''] = parts;
  else throw invalid(`invalid publish opts format (should be name=value but no '=' sign): ${spec}`);
  if (!hostIp) hostIp = '0.0.0.0';
  const port = (s: string, allowEmpty: boolean) => {
    if (s === '' && allowEmpty) return 0;
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw invalid(`invalid containerPort: ${s}`);
    return Number(s);
  };
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp)) throw invalid(`invalid IP address: ${hostIp}`);
  return { hostIp, hostPort: port(hostPort, true), containerPort: port(containerPort, false), proto };
}

/** `-v name:/dst[:ro]`, `-v /host:/dst[:ro]`, `-v /dst` (anonymous volume). */
export interface VolumeRequest {
  type: 'bind' | 'volume';
  source: string; // host path for bind, volume name ('' = anonymous) for volume
  destination: string;
  rw: boolean;
}

export function parseVolume(spec: string): VolumeRequest {
  const parts = spec.split(':');
  let source = '';
  let destination: string;
  let mode = 'rw';
  if (parts.length === 1) destination = parts[0] ?? '';
  else if (parts.length === 2) {
    if (parts[1] === 'ro' || parts[1] === 'rw') throw invalid(`invalid volume specification: '${spec}'`);
    [source = '', destination = ''] = parts;
  } else if (parts.length === 3) [source = '', destination = '', mode = ''] = parts;
  else throw invalid(`invalid volume specification: '${spec}'`);
  const modes = mode.split(',');
  if (
    !modes.every((m) =>
      ['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(m),
    )
  ) {
    throw invalid(`invalid mode: ${mode}`);
  }
  if (!destination.startsWith('/'))
    throw invalid(
      `invalid volume specification: '${spec}': invalid mount config for type "volume": invalid mount path: '${destination}' mount path must be absolute`,
    );
  if (destination === '/')
    throw invalid(`invalid volume specification: '${spec}': invalid mount config: destination can't be '/'`);
  const isBind = source.startsWith('/') || source.startsWith('.');
  return {
    type: isBind ? 'bind' : 'volume',
    source: isBind ? path.resolve(source) : source,
    destination: path.posix.normalize(destination),
    rw: !modes.includes('ro'),
  };
}

export function parseRestart(spec: string | undefined): RestartPolicy {
  if (!spec || spec === 'no') return { name: 'no', maximumRetryCount: 0 };
  const [name = '', count] = spec.split(':');
  if (name === 'on-failure') {
    if (count !== undefined && !/^\d+$/.test(count))
      throw invalid(`invalid restart policy format: maximum retry count must be an integer`);
    return { name, maximumRetryCount: count ? Number(count) : 0 };
  }
  if ((name === 'always' || name === 'unless-stopped') && count === undefined)
    return { name, maximumRetryCount: 0 };
  if (count !== undefined && (name === 'always' || name === 'unless-stopped')) {
    throw invalid(
      `invalid restart policy format: maximum retry count cannot be used with restart policy '${name}'`,
    );
  }
  throw invalid(`invalid restart policy format: unknown policy '${name}'`);
}

/** docker's RAMInBytes: 64m, 1g, 512k, plain bytes; -1 = unlimited (swap). */
export function parseBytes(v: string | undefined, flag: string, allowUnlimited = false): number {
  if (v === undefined || v === '') return 0;
  if (allowUnlimited && v === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw invalid(`invalid argument "${v}" for "${flag}" flag: invalid size: '${v}'`);
  const mult: Record<string, number> = {
    '': 1,
    k: 1024,
    m: 1024 ** 2,
    g: 1024 ** 3,
    t: 1024 ** 4,
    p: 1024 ** 5,
  };
  return Math.floor(Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1));
}

export function parseCpus(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw invalid(`invalid argument "${v}" for "--cpus" flag: failed to parse ${v} as a rational number`);
  return Math.round(n * 1e9);
}

/** -e K=V / -e K (from the caller's environment) / --env-file: later wins, like docker. */
export async function buildEnv(imageEnv: string[], envFiles: string[], envs: string[]): Promise<string[]> {
  const map = new Map<string, string>();
  const put = (kv: string) => {
    const eq = kv.indexOf('=');
    if (eq === -1) {
      const host = process.env[kv];
      if (host !== undefined) map.set(kv, `${kv}=${host}`);
    } else map.set(kv.slice(0, eq), kv);
  };
  for (const e of imageEnv) put(e);
  for (const f of envFiles) {
    const text = await fs.readFile(f, 'utf8').catch(() => {
      throw invalid(`open ${f}: no such file or directory`);
    });
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t && !t.startsWith('#')) put(t);
    }
  }
  for (const e of envs) put(e);
  return [...map.values()];
}

export function parseLabels(labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) {
    const eq = l.indexOf('=');
    if (eq === -1) out[l] = '';
    else out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

export type { MountSpec };
