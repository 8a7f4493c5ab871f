import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { runBuiltin } from '../util/builtins.js';
import { NetworkError } from './errors.js';
import { run, runInNetns, tryRun } from './exec.js';

const ipLinkList = z.array(
  z.object({ ifname: z.string(), master: z.string().optional(), link_type: z.string().optional() }).loose(),
);
const ipRouteList = z.array(z.object({ dst: z.string(), dev: z.string().optional() }).loose());

export async function linkExists(name: string): Promise<boolean> {
  return (await tryRun('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Creates (or repairs) a Linux bridge with the gateway address and brings it up. Idempotent. */
export async function ensureBridge(name: string, gatewayCidr: string): Promise<void> {
  if (!(await linkExists(name))) {
    const r = await tryRun('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
    if (r.code !== 0 && !(await linkExists(name)))
      await run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  }
  await run('ip', ['addr', 'replace', gatewayCidr, 'dev', name]);
  await run('ip', ['link', 'set', 'dev', name, 'up']);
}

/** Deletes a link if present (deleting one end of a veth pair removes both). */
export async function deleteLink(name: string): Promise<void> {
  await builtin('link-del', [name]);
}

/** Names of the interfaces enslaved to `bridge`. */
export async function bridgePorts(bridge: string): Promise<string[]> {
  const r = await tryRun('ip', ['-j', 'link', 'show', 'master', bridge]);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  return ipLinkList.parse(JSON.parse(r.stdout)).map((l) => l.ifname);
}

export interface HostRoute {
  dst: string;
  dev?: string;
}

/** IPv4 routes of the host's main table, default route left out. */
export async function hostRoutes(): Promise<HostRoute[]> {
  const out = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'main']);
  return ipRouteList
    .parse(JSON.parse(out || '[]'))
    .filter((r) => r.dst !== 'default')
    .map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, dev: r.dev }));
}

/** Sets a sysctl; a read-only /proc/sys (e.g. inside a lab box) is fine when the value is already right. */
export async function setSysctl(key: string, value: string): Promise<void> {
  const path = `/proc/sys/${key.replaceAll('.', '/')}`;
  try {
    await writeFile(path, value);
  } catch (err) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current.trim() !== value) {
      throw new NetworkError('command_failed', `cannot set ${key}=${value}: ${(err as Error).message}`);
    }
  }
}

export interface VethPlan {
  hostVeth: string;
  bridge: string;
  netnsPath: string;
  ifname: string;
  mac: string;
  cidr: string;
  /** Set for the container's first network only: it becomes the default route. */
  defaultGateway?: string;
}

const vethArgs = (p: VethPlan) => [
  p.hostVeth,
  p.bridge,
  p.netnsPath,
  p.ifname,
  p.mac,
  p.cidr,
  p.defaultGateway ?? '-',
];

/**
 * veth pair: host end on the bridge (hairpin on, so a container reaches itself through a published port), the
 * peer born in the container's netns with its final name and MAC, addressed, up, with lo up and the route.
 */
export async function createVeth(plan: VethPlan): Promise<void> {
  await builtin('veth-create', vethArgs(plan));
}

/**
 * Like createVeth for a pair made ahead of time (a spare namespace): the host end joins the bridge, and the inner
 * end, still down, gets its MAC, address and route.
 */
export async function attachVeth(plan: VethPlan): Promise<void> {
  await builtin('veth-attach', vethArgs(plan));
}

/** A spare's pair: `hostVeth` on the host (on no bridge yet), `eth0` down in the namespace, whose lo comes up. */
export async function createSpareVeth(hostVeth: string, netnsPath: string): Promise<void> {
  await builtin('veth-spare', [hostVeth, netnsPath]);
}

/** The lowest `ethN` not yet present in the namespace. */
export async function nextInterfaceName(netnsPath: string): Promise<string> {
  const out = await runInNetns(netnsPath, 'ip', ['-j', 'link', 'show']);
  const names = new Set(ipLinkList.parse(JSON.parse(out || '[]')).map((l) => l.ifname));
  let n = 0;
  while (names.has(`eth${n}`)) n++;
  return `eth${n}`;
}

/** The rtnetlink steps run inside dyspawn (native/src/dyspawn/netlink.c): no ip process per step. */
async function builtin(name: string, args: string[]): Promise<void> {
  const r = await runBuiltin(name, args);
  if (r.code !== 0) throw new NetworkError('command_failed', r.stderr || `@${name}: exit ${r.code}`);
}
