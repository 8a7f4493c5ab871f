import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { writeFileAtomic } from '../state/files.js';
import { applyDns, type HostEntry, parseExtraHost } from './hostconfig.js';
import { createNetns, netnsPath, removeNetns } from './netns.js';
import type { Networks } from './network.js';
import type { ContainerRecord } from './record.js';

export interface NetworkSetup {
  /** undefined: a fresh netns made by the runtime; 'host'; or a netns path to join. */
  netns: string | undefined;
}

export const etcFiles = (engine: Engine, id: string) => {
  const dir = engine.containers.dir(id);
  return {
    hosts: path.join(dir, 'hosts'),
    hostname: path.join(dir, 'hostname'),
    resolvConf: path.join(dir, 'resolv.conf'),
  };
};

/** Joins the container to its network before it starts; fills rec.networks. Undone by teardownNetworking. */
export async function setupNetworking(
  engine: Engine,
  rec: ContainerRecord,
  linkHosts: HostEntry[] = [],
): Promise<NetworkSetup> {
  const mode = rec.host.networkMode;
  const nets = await engine.networks();
  const files = etcFiles(engine, rec.id);
  // Links, then --add-host entries: kept by networks/ whenever it rewrites this container's hosts file.
  const extraHosts = [...linkHosts, ...(await extraHostEntries(nets, rec))];
  const extraLines = extraHosts.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
  let setup: NetworkSetup;
  rec.networks = {};
  if (mode === 'host') {
    setup = { netns: 'host' };
    await fs
      .copyFile('/etc/hosts', files.hosts)
      .catch(() => fs.writeFile(files.hosts, '127.0.0.1\tlocalhost\n'));
    if (extraLines) await fs.appendFile(files.hosts, extraLines);
  } else if (mode.startsWith('container:')) {
    const other = await engine.containers.get(mode.slice('container:'.length));
    if (!['running', 'paused'].includes(other.state.status) || !other.state.pid) {
      throw new DockyardError(
        `Error response from daemon: cannot join network of a non running container: ${other.id}`,
      );
    }
    setup = { netns: `/proc/${other.state.pid}/ns/net` };
    await fs.copyFile(etcFiles(engine, other.id).hosts, files.hosts).catch(() => {});
  } else if (mode === 'none' || !nets.available) {
    setup = { netns: undefined };
  } else {
    const spare = engine.spareNetns?.take();
    const ns = spare?.netnsPath ?? netnsPath(engine.cfg.run, rec.id);
    if (!spare) await createNetns(ns);
    rec.state.sandboxKey = ns;
    setup = { netns: ns };
    if (mode === 'bridge') await nets.ensureDefaultBridge();
    await fs.writeFile(files.hosts, '');
    const own = (net: string) => (net === 'bridge' ? [] : [rec.name, rec.id.slice(0, 12)]);
    const primary = rec.endpointConfigs?.[mode];
    const att = await nets.connect(
      {
        containerId: rec.id,
        name: rec.name,
        netnsPath: ns,
        aliases: [...new Set([...own(mode), ...(primary?.aliases ?? [])])],
        ip: primary?.ip,
        hostname: rec.config.hostname,
        hostsPath: files.hosts,
        ifname: 'eth0',
        premadeVeth: spare?.hostVeth,
        extraHosts,
      },
      mode,
    );
    rec.networks[mode] = att;
    // Networks the container was connected to while not running (Docker's EndpointsConfig) join it now.
    for (const [net, ep] of Object.entries(rec.endpointConfigs ?? {})) {
      if (net === mode || net === att.network || net === att.networkId) continue;
      const extra = await nets.connect(
        {
          containerId: rec.id,
          name: rec.name,
          netnsPath: ns,
          aliases: [...new Set([...own(net), ...ep.aliases])],
          ip: ep.ip,
          hostname: rec.config.hostname,
          hostsPath: files.hosts,
          ifname: `eth${Object.keys(rec.networks).length}`,
          extraHosts,
        },
        net,
      );
      rec.networks[extra.network] = extra;
    }
    rec.state.ports = [];
    if (rec.host.ports.length)
      rec.state.ports = (await nets.publish(rec.id, att.ip, rec.host.ports)) ?? rec.host.ports;
  }
  await writeFileAtomic(files.hostname, `${rec.config.hostname}\n`, { durable: false });
  await writeFileAtomic(files.resolvConf, applyDns(nets.resolvConf(), rec.host), { durable: false });
  // A connected container's hosts file was written by networks/ (which keeps it up to date in place); one on
  // no network gets the local names and its extra hosts.
  if (setup.netns !== 'host' && !mode.startsWith('container:') && !Object.keys(rec.networks).length) {
    await fs.writeFile(
      files.hosts,
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${extraLines}`,
    );
  }
  return setup;
}

/** --add-host entries; host-gateway is the gateway of the container's network (the host's bridge address). */
async function extraHostEntries(nets: Networks, rec: ContainerRecord): Promise<HostEntry[]> {
  if (!rec.host.extraHosts.length) return [];
  let gateway: string | undefined;
  if (rec.host.extraHosts.some((h) => h.endsWith('host-gateway')) && nets.available) {
    const mode = rec.host.networkMode;
    if (mode === 'bridge') await nets.ensureDefaultBridge();
    const net = await nets.inspect(['host', 'none'].includes(mode) ? 'bridge' : mode).catch(() => undefined);
    const ipam = net?.IPAM as { Config?: { Gateway?: string }[] } | undefined;
    gateway = ipam?.Config?.[0]?.Gateway;
  }
  return rec.host.extraHosts.map((h) => parseExtraHost(h, gateway));
}

/** Idempotent: safe after a partial setup or a crash. */
export async function teardownNetworking(engine: Engine, rec: ContainerRecord): Promise<void> {
  const nets = await engine.networks();
  const ns = containerNetns(engine, rec);
  if (nets.available) {
    // Each call takes the networks lock and may run iptables: only undo what this run set up.
    if (rec.host.ports.length || rec.state.ports.length) await nets.unpublish(rec.id).catch(() => {});
    const opts = { linkInBackground: engine.backgroundCleanup };
    for (const net of Object.keys(rec.networks)) await nets.disconnect(rec.id, net, ns, opts).catch(() => {});
  }
  rec.networks = {};
  rec.state.ports = [];
  await removeNetns(ns);
  rec.state.sandboxKey = undefined;
}

/** The container's network namespace file: a spare taken at start, or the one named after it. */
export const containerNetns = (engine: Engine, rec: ContainerRecord) =>
  rec.state.sandboxKey ?? netnsPath(engine.cfg.run, rec.id);
