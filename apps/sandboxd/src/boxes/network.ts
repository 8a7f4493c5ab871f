import { run } from '../util/exec.js';

/**
 * Box networking: each box's eth0 is a veth into one host bridge. Bridge ports are isolated (boxes cannot reach
 * each other even at layer 2), and iptables drops everything a box sends to the host or beyond, except replies
 * to connections sandboxd opened (checks, previews). Nothing a box sends leaves this machine.
 */
export interface LabNetworkConfig {
  bridge: string;
  /** e.g. 10.231.0.0/16; the bridge takes .0.1, boxes get the rest. */
  subnet: string;
  chain: string;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function subnetInfo(subnet: string) {
  const [base, prefixText] = subnet.split('/');
  const prefix = Number(prefixText);
  if (!base || !/^\d+\.\d+\.\d+\.\d+$/.test(base) || !(prefix >= 8 && prefix <= 30)) {
    throw new Error(`invalid lab subnet: ${subnet}`);
  }
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(base) / size) * size;
  return { prefix, gateway: intToIp(network + 1), first: network + 2, last: network + size - 2, network };
}

/** The n-th box address (n from 0), or null when the subnet is full. */
export function boxAddress(subnet: string, index: number): string | null {
  const info = subnetInfo(subnet);
  const n = info.first + index;
  return n > info.last ? null : intToIp(n);
}

async function iptables(args: string[]) {
  return run(['iptables', '-w', '5', ...args]);
}

async function ruleExists(args: string[]) {
  try {
    await iptables(['-C', ...args]);
    return true;
  } catch {
    return false;
  }
}

async function ensureRule(chain: string, rule: string[], position: 'append' | 'insert' = 'append') {
  if (!(await ruleExists([chain, ...rule]))) {
    await iptables(position === 'insert' ? ['-I', chain, '1', ...rule] : ['-A', chain, ...rule]);
  }
}

export async function ensureLabNetwork(config: LabNetworkConfig) {
  const info = subnetInfo(config.subnet);
  const links = await run(['ip', '-o', 'link', 'show', 'dev', config.bridge]).catch(() => '');
  if (!links) {
    await run(['ip', 'link', 'add', config.bridge, 'type', 'bridge']);
    await run(['ip', 'addr', 'add', `${info.gateway}/${info.prefix}`, 'dev', config.bridge]);
  }
  // No IPv6 on the lab bridge: its link-local addresses would be a way around the IPv4 rules.
  await run(['sysctl', '-qw', `net.ipv6.conf.${config.bridge}.disable_ipv6=1`]).catch(() => undefined);
  await run(['ip', 'link', 'set', config.bridge, 'up']);
  await run(['modprobe', 'br_netfilter']).catch(() => undefined);
  const chains = await iptables(['-S']);
  if (!chains.split('\n').includes(`-N ${config.chain}`)) await iptables(['-N', config.chain]);
  await iptables(['-F', config.chain]);
  await iptables(['-A', config.chain, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']);
  await iptables(['-A', config.chain, '-j', 'DROP']);
  await ensureRule('INPUT', ['-i', config.bridge, '-j', config.chain], 'insert');
  await ensureRule('FORWARD', ['-i', config.bridge, '-j', config.chain], 'insert');
  await ensureRule('FORWARD', ['-o', config.bridge, '-j', 'DROP'], 'insert');
}

export async function removeLabNetwork(config: LabNetworkConfig) {
  for (const [chain, rule] of [
    ['INPUT', ['-i', config.bridge, '-j', config.chain]],
    ['FORWARD', ['-i', config.bridge, '-j', config.chain]],
    ['FORWARD', ['-o', config.bridge, '-j', 'DROP']],
  ] as const) {
    while (await ruleExists([chain, ...rule])) await iptables(['-D', chain, ...rule]);
  }
  await iptables(['-F', config.chain]).catch(() => undefined);
  await iptables(['-X', config.chain]).catch(() => undefined);
  await run(['ip', 'link', 'del', config.bridge]).catch(() => undefined);
}

/**
 * A box's MAC derived from its address (02:42 + the four octets, as Docker does for containers): addresses are
 * reused by later boxes, and a fixed MAC keeps the host's neighbour entry for an address right, where a new random
 * MAC would leave connections to the new box going to the old one's MAC until the entry expires.
 */
export function boxMac(address: string): string {
  const octets = address.split('.').map((o) => Number.parseInt(o, 10));
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new Error(`not an IPv4 address: ${address}`);
  }
  return ['02', '42', ...octets.map((o) => o.toString(16).padStart(2, '0'))].join(':');
}

/** Gives a created (not yet started) box its eth0 in the bridge. */
export async function attachBox(
  config: LabNetworkConfig,
  opts: { pid: number; hostIf: string; address: string },
) {
  const info = subnetInfo(config.subnet);
  const peer = `${opts.hostIf}p`;
  await run([
    'ip',
    'link',
    'add',
    opts.hostIf,
    'type',
    'veth',
    'peer',
    'name',
    peer,
    'address',
    boxMac(opts.address),
  ]);
  try {
    await run(['sysctl', '-qw', `net.ipv6.conf.${opts.hostIf}.disable_ipv6=1`]).catch(() => undefined);
    await run(['ip', 'link', 'set', opts.hostIf, 'master', config.bridge]);
    await run(['bridge', 'link', 'set', 'dev', opts.hostIf, 'isolated', 'on']);
    await run(['ip', 'link', 'set', opts.hostIf, 'up']);
    await run(['ip', 'link', 'set', peer, 'netns', String(opts.pid)]);
    const inBox = (args: string[]) => run(['nsenter', '-t', String(opts.pid), '-n', '--', 'ip', ...args]);
    await inBox(['link', 'set', peer, 'name', 'eth0']);
    await inBox(['addr', 'add', `${opts.address}/${info.prefix}`, 'dev', 'eth0']);
    await inBox(['link', 'set', 'lo', 'up']);
    await inBox(['link', 'set', 'eth0', 'up']);
    await inBox(['route', 'add', 'default', 'via', info.gateway]);
  } catch (error) {
    await run(['ip', 'link', 'del', opts.hostIf]).catch(() => undefined);
    throw error;
  }
}

export async function detachBox(hostIf: string) {
  // The veth usually died with the box's netns already.
  await run(['ip', 'link', 'del', hostIf]).catch(() => undefined);
}
