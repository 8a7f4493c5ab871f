import { run, tryRun } from './exec.js';
import type { PublishedPort } from './types.js';

type Table = 'nat' | 'filter';

export interface FirewallNetwork {
  id: string;
  bridge: string;
  subnet: string;
  internal: boolean;
}

export function containerComment(containerId: string): string {
  return `dockyard:${containerId}`;
}

export function networkComment(networkId: string): string {
  return `dockyard-net:${networkId}`;
}

/**
 * All rules live in our own chains, hooked once from the built-in ones, so removing them is clean:
 *   nat    <P>              DNAT for published ports (from PREROUTING and OUTPUT, destination type LOCAL)
 *   nat    <P>-POSTROUTING  MASQUERADE: egress of each subnet, local sources (127.0.0.1 publishing), hairpin
 *   filter <P>-ISOLATION    drops traffic between different networks (first in FORWARD)
 *   filter <P>-FORWARD      accepts traffic of our bridges
 * Rules about a network carry `-m comment --comment dockyard-net:<network id>`,
 * rules about a container `dockyard:<container id>`, so reconcile() can find leftovers.
 */
export class Firewall {
  readonly dnatChain: string;
  readonly postroutingChain: string;
  readonly forwardChain: string;
  readonly isolationChain: string;

  constructor(
    chainPrefix: string,
    private readonly bridgePrefix: string,
  ) {
    this.dnatChain = chainPrefix;
    this.postroutingChain = `${chainPrefix}-POSTROUTING`;
    this.forwardChain = `${chainPrefix}-FORWARD`;
    this.isolationChain = `${chainPrefix}-ISOLATION`;
  }

  private hooks(): Array<{ table: Table; chain: string; spec: string[] }> {
    return [
      {
        table: 'nat',
        chain: 'PREROUTING',
        spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.dnatChain],
      },
      {
        table: 'nat',
        chain: 'OUTPUT',
        spec: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', this.dnatChain],
      },
      { table: 'nat', chain: 'POSTROUTING', spec: ['-j', this.postroutingChain] },
      { table: 'filter', chain: 'FORWARD', spec: ['-j', this.isolationChain] },
      { table: 'filter', chain: 'FORWARD', spec: ['-j', this.forwardChain] },
    ];
  }

  private ownChains(): Array<{ table: Table; chain: string }> {
    return [
      { table: 'nat', chain: this.dnatChain },
      { table: 'nat', chain: this.postroutingChain },
      { table: 'filter', chain: this.isolationChain },
      { table: 'filter', chain: this.forwardChain },
    ];
  }

  /** Creates our chains and hooks them in, once. Isolation must come before the accepts in FORWARD. */
  async install(): Promise<void> {
    for (const { table, chain } of this.ownChains()) {
      if ((await tryRun('iptables', ['-w', '-t', table, '-S', chain])).code !== 0) {
        await iptables(table, ['-N', chain]).catch(async (err) => {
          if ((await tryRun('iptables', ['-w', '-t', table, '-S', chain])).code !== 0) throw err;
        });
      }
    }
    for (const hook of this.hooks().filter((h) => h.table === 'nat')) {
      if (!(await ruleExists(hook.table, hook.chain, hook.spec)))
        await iptables(hook.table, ['-A', hook.chain, ...hook.spec]);
    }
    const forwardHooks = this.hooks().filter((h) => h.table === 'filter');
    const present = await Promise.all(forwardHooks.map((h) => ruleExists(h.table, h.chain, h.spec)));
    if (!present.every(Boolean)) {
      for (const h of forwardHooks) await deleteAll(h.table, h.chain, h.spec);
      // Inserted in reverse so the isolation chain ends up first.
      for (const h of [...forwardHooks].reverse()) await iptables(h.table, ['-I', h.chain, '1', ...h.spec]);
    }
  }

  /** Removes hooks and chains: the host's tables look as before install(). */
  async uninstall(): Promise<void> {
    for (const hook of this.hooks()) await deleteAll(hook.table, hook.chain, hook.spec);
    for (const { table, chain } of this.ownChains()) {
      await tryRun('iptables', ['-w', '-t', table, '-F', chain]);
      await tryRun('iptables', ['-w', '-t', table, '-X', chain]);
    }
  }

  private networkRules(net: FirewallNetwork): Array<{ table: Table; chain: string; spec: string[] }> {
    const c = ['-m', 'comment', '--comment', networkComment(net.id)];
    const br = net.bridge;
    const rules: Array<{ table: Table; chain: string; spec: string[] }> = [];
    const nat = (spec: string[]) =>
      rules.push({ table: 'nat', chain: this.postroutingChain, spec: [...spec, ...c] });
    const fwd = (spec: string[]) =>
      rules.push({ table: 'filter', chain: this.forwardChain, spec: [...spec, ...c] });
    const iso = (spec: string[]) =>
      rules.push({ table: 'filter', chain: this.isolationChain, spec: [...spec, ...c] });

    if (!net.internal) nat(['-s', net.subnet, '!', '-o', br, '-j', 'MASQUERADE']);
    // Published on 127.0.0.1: the packet leaves with a loopback source the container could not answer.
    nat(['-o', br, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', 'MASQUERADE']);
    // Hairpin: a container reaching a published port that leads back into its own bridge.
    nat(['-s', net.subnet, '-o', br, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'MASQUERADE']);

    // Same bridge passes; any other of our bridges into this one is dropped.
    iso(['-i', br, '-o', br, '-j', 'RETURN']);
    iso(['-i', `${this.bridgePrefix}+`, '-o', br, '-j', 'DROP']);

    fwd(['-i', br, '-o', br, '-j', 'ACCEPT']);
    if (net.internal) {
      fwd(['-i', br, '!', '-o', br, '-j', 'DROP']);
      fwd(['!', '-i', br, '-o', br, '-j', 'DROP']);
    } else {
      fwd(['-o', br, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']);
      fwd(['-o', br, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT']);
      fwd(['-i', br, '!', '-o', br, '-j', 'ACCEPT']);
    }
    return rules;
  }

  /** Adds the network's rules that are missing. Idempotent. */
  async addNetwork(net: FirewallNetwork): Promise<void> {
    for (const r of this.networkRules(net)) {
      if (!(await ruleExists(r.table, r.chain, r.spec))) await iptables(r.table, ['-A', r.chain, ...r.spec]);
    }
  }

  /** Whether the network's rules and our hooks are in place (checks the last rule added and the last hook). */
  async hasNetwork(net: FirewallNetwork): Promise<boolean> {
    const last = this.networkRules(net).at(-1);
    const hook = this.hooks().at(-1);
    if (!last || !hook) return false;
    return (
      (await ruleExists(last.table, last.chain, last.spec)) &&
      (await ruleExists(hook.table, hook.chain, hook.spec))
    );
  }

  async removeNetwork(networkId: string): Promise<void> {
    await this.deleteByComment(networkComment(networkId));
  }

  private dnatSpec(containerId: string, p: PublishedPort): string[] {
    const dst = p.hostIp === '0.0.0.0' ? [] : ['-d', `${p.hostIp}/32`];
    return [
      ...dst,
      '-p',
      p.proto,
      '-m',
      p.proto,
      '--dport',
      String(p.hostPort),
      '-m',
      'comment',
      '--comment',
      containerComment(containerId),
      '-j',
      'DNAT',
      '--to-destination',
      `${p.containerIp}:${p.containerPort}`,
    ];
  }

  async addPort(containerId: string, p: PublishedPort): Promise<void> {
    const spec = this.dnatSpec(containerId, p);
    if (!(await ruleExists('nat', this.dnatChain, spec)))
      await iptables('nat', ['-A', this.dnatChain, ...spec]);
  }

  async removePort(containerId: string, p: PublishedPort): Promise<void> {
    await deleteAll('nat', this.dnatChain, this.dnatSpec(containerId, p));
  }

  async removeContainer(containerId: string): Promise<void> {
    // A container's rules are its DNATs, all in one chain.
    await this.deleteByComment(containerComment(containerId), [{ table: 'nat', chain: this.dnatChain }]);
  }

  /** Every `dockyard:`/`dockyard-net:` comment found in our chains. */
  async comments(): Promise<Set<string>> {
    const found = new Set<string>();
    for (const { table, chain } of this.ownChains()) {
      for (const line of await listRules(table, chain)) {
        const m = /--comment "?(dockyard(?:-net)?:[^"\s]+)"?/.exec(line);
        if (m?.[1]) found.add(m[1]);
      }
    }
    return found;
  }

  private async deleteByComment(comment: string, chains = this.ownChains()): Promise<void> {
    for (const { table, chain } of chains) {
      for (const line of await listRules(table, chain)) {
        const tokens = line.split(/\s+/).map((t) => t.replace(/^"(.*)"$/, '$1'));
        if (tokens[0] !== '-A' || !tokens.includes(comment)) continue;
        await tryRun('iptables', ['-w', '-t', table, '-D', ...tokens.slice(1)]);
      }
    }
  }
}

async function iptables(table: Table, args: string[]): Promise<void> {
  await run('iptables', ['-w', '-t', table, ...args]);
}

async function ruleExists(table: Table, chain: string, spec: string[]): Promise<boolean> {
  return (await tryRun('iptables', ['-w', '-t', table, '-C', chain, ...spec])).code === 0;
}

async function deleteAll(table: Table, chain: string, spec: string[]): Promise<void> {
  while (await ruleExists(table, chain, spec)) await iptables(table, ['-D', chain, ...spec]);
}

async function listRules(table: Table, chain: string): Promise<string[]> {
  const r = await tryRun('iptables', ['-w', '-t', table, '-S', chain]);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').filter((l) => l.startsWith('-A '));
}
