import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { allSettledOrThrow } from '../util/all-settled.js';
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
  const r = await tryRun('ip', ['link', 'del', 'dev', name]);
  if (r.code !== 0 && (await linkExists(name))) {
    throw new NetworkError('command_failed', `ip link del ${name}: ${r.stderr.trim()}`);
  }
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

/**
 * veth pair: host end on the bridge (hairpin on, so a container reaches itself through a published port),
 * peer moved into the container's netns, renamed, addressed, up.
 */
export async function createVeth(plan: VethPlan): Promise<void> {
  // The peer is born in the container's netns with its final name and MAC: nothing to rename or move later.
  // One ip process for the host side and one in the namespace: process starts dominate a container's start.
  const host = [
    `link add name ${plan.hostVeth} master ${plan.bridge} type veth peer name ${plan.ifname} address ${plan.mac} netns ${plan.netnsPath}`,
    `link set dev ${plan.hostVeth} up type bridge_slave hairpin on`,
  ];
  await run('ip', ['-batch', '-'], `${host.join('\n')}\n`);
  const inside = [
    `addr add ${plan.cidr} dev ${plan.ifname}`,
    `link set dev ${plan.ifname} up`,
    'link set dev lo up',
  ];
  if (plan.defaultGateway) inside.push(`route replace default via ${plan.defaultGateway} dev ${plan.ifname}`);
  await runInNetns(plan.netnsPath, 'ip', ['-batch', '-'], `${inside.join('\n')}\n`);
}

/**
 * Like createVeth for a pair made ahead of time (a spare namespace): the host end joins the bridge, and the inner
 * end, still down, gets its MAC, address and route.
 */
export async function attachVeth(plan: VethPlan): Promise<void> {
  const host = [
    `link set dev ${plan.hostVeth} master ${plan.bridge}`,
    `link set dev ${plan.hostVeth} up type bridge_slave hairpin on`,
  ];
  const inside = [
    `link set dev ${plan.ifname} address ${plan.mac}`,
    `addr add ${plan.cidr} dev ${plan.ifname}`,
    `link set dev ${plan.ifname} up`,
  ];
  if (plan.defaultGateway) inside.push(`route replace default via ${plan.defaultGateway} dev ${plan.ifname}`);
  // The two ends are configured independently: side by side; wait for both before reporting a failure.
  await allSettledOrThrow([
    run('ip', ['-batch', '-'], `${host.join('\n')}\n`),
    runInNetns(plan.netnsPath, 'ip', ['-batch', '-'], `${inside.join('\n')}\n`),
  ]);
}

/** The lowest `ethN` not yet present in the namespace. */
export async function nextInterfaceName(netnsPath: string): Promise<string> {
  const out = await runInNetns(netnsPath, 'ip', ['-j', 'link', 'show']);
  const names = new Set(ipLinkList.parse(JSON.parse(out || '[]')).map((l) => l.ifname));
  let n = 0;
  while (names.has(`eth${n}`)) n++;
  return `eth${n}`;
}

/** Brings `lo` up in a namespace: all a `--network none` container gets. */
export async function loopbackUp(netnsPath: string): Promise<void> {
  await runInNetns(netnsPath, 'ip', ['link', 'set', 'dev', 'lo', 'up']);
}
