import { createHash, randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { NetworkError } from './errors.js';
import { tryRun } from './exec.js';
import { Firewall } from './firewall.js';
import { type HostsEntry, hostResolvConf, renderHosts, renderResolvConf } from './hosts.js';
import { allocateAddress, releaseAddress } from './ipam.js';
import {
  attachVeth,
  bridgePorts,
  createVeth,
  deleteLink,
  ensureBridge,
  hostRoutes,
  linkExists,
  nextInterfaceName,
  setSysctl,
} from './links.js';
import { clashes, EPHEMERAL_PORTS, hostListeners } from './ports.js';
import { NetworkStore } from './store.js';
import { formatCidr, intToIp, ipToInt, isHostAddress, overlaps, parseCidr, type Subnet } from './subnet.js';
import {
  BRIDGE_NAME_OPTION,
  type EndpointRecord,
  type NetworkAttachment,
  type NetworkRecord,
  type PortBinding,
  type PublishedPort,
  portBindingSchema,
  type StoredAttachment,
} from './types.js';

export const DEFAULT_NETWORK = 'bridge';
const PREDEFINED = new Set([DEFAULT_NETWORK, 'host', 'none']);
const HOST_READY_TRUST_MS = 5_000;

const optionsSchema = z.object({
  stateRoot: z.string().min(1),
  runRoot: z.string().min(1),
  /** Bridge devices are `<prefix>0` (default network) and `<prefix>-<id>`; also matched as `<prefix>+` for isolation. */
  bridgePrefix: z
    .string()
    .regex(/^[a-z][a-z0-9]{1,9}$/)
    .default(() => process.env.DOCKYARD_BRIDGE_PREFIX ?? 'dy'),
  /** Names our iptables chains: `<P>`, `<P>-POSTROUTING`, `<P>-FORWARD`, `<P>-ISOLATION`. */
  chainPrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,15}$/)
    .default(() => process.env.DOCKYARD_CHAIN_PREFIX ?? 'DOCKYARD'),
  defaultSubnet: z.string().default(() => process.env.DOCKYARD_DEFAULT_SUBNET ?? '10.88.0.0/16'),
  /** User networks without --subnet get the first free /24 of this range. */
  userSubnetPool: z.string().default(() => process.env.DOCKYARD_USER_SUBNET_POOL ?? '10.89.0.0/16'),
});
export type NetworkManagerOptions = z.input<typeof optionsSchema>;

const networkNameSchema = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'invalid network name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
const containerIdSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/);

const createSchema = z.object({
  name: z.string(),
  subnet: z.string().optional(),
  gateway: z.string().optional(),
  internal: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const connectSchema = z.object({
  containerId: containerIdSchema,
  name: z.string().min(1),
  netnsPath: z.string().startsWith('/'),
  aliases: z.array(z.string().min(1)).optional(),
  ip: z.ipv4().optional(),
  /** Written next to the container's name in its own hosts entry (default: the short id, like Docker). */
  hostname: z.string().min(1).optional(),
  /** The container's bind-mounted /etc/hosts; rewritten in place when the network's membership changes. */
  hostsPath: z.string().startsWith('/').optional(),
  /** The interface's name when the caller knows the namespace (a fresh one: eth0, eth1, …); else the lowest free ethN. */
  ifname: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,14}$/)
    .optional(),
  /** The host end of a veth pair made ahead of time whose inner end is `ifname` in the namespace: used instead of a new pair. */
  premadeVeth: z
    .string()
    .regex(/^veth[0-9a-f]{8}$/)
    .optional(),
  /** Static entries of the container's /etc/hosts (legacy links, --add-host); replace the stored ones when given. */
  extraHosts: z
    .array(z.object({ ip: z.ipv4().or(z.ipv6()), names: z.array(z.string().min(1)).min(1) }))
    .optional(),
});
export type ConnectRequest = z.input<typeof connectSchema>;

export interface ReconcileOptions {
  /** Whether a container still exists; by default its recorded netns is checked (same inode as when connected). */
  isAlive?: (containerId: string) => boolean | Promise<boolean>;
}

/**
 * The bridge network driver: networks, IPAM, veths, NAT and published ports, /etc/hosts of containers.
 * Daemonless: every method takes the store lock, so concurrent `dockyard` processes are safe.
 */
export class NetworkManager {
  private readonly opts: z.output<typeof optionsSchema>;
  private readonly store: NetworkStore;
  private readonly firewall: Firewall;

  constructor(options: NetworkManagerOptions) {
    this.opts = optionsSchema.parse(options);
    this.store = new NetworkStore(this.opts.stateRoot);
    this.firewall = new Firewall(this.opts.chainPrefix, this.opts.bridgePrefix);
    parseCidr(this.opts.defaultSubnet);
    parseCidr(this.opts.userSubnetPool);
  }

  get defaultBridgeName(): string {
    return `${this.opts.bridgePrefix}0`;
  }

  private userBridgeName(id: string): string {
    return `${this.opts.bridgePrefix}-${id.slice(0, 15 - this.opts.bridgePrefix.length - 1)}`;
  }

  // ---- networks ----

  async ensureDefaultBridge(): Promise<void> {
    // Asked on every start: while the bridge is known to be ready, skip the lock and the network records.
    if (this.defaultBridgeId && (this.readyUntil.get(this.defaultBridgeId) ?? 0) > Date.now()) return;
    await this.store.withLock(async () => {
      let rec = (await this.store.listNetworks()).find((n) => n.Name === DEFAULT_NETWORK);
      if (!rec) {
        const subnet = parseCidr(this.opts.defaultSubnet);
        await this.assertNoHostRouteOverlap(subnet, this.defaultBridgeName);
        rec = newRecord({
          name: DEFAULT_NETWORK,
          subnet: formatCidr(subnet),
          gateway: intToIp(subnet.base + 1),
          internal: false,
          labels: {},
          bridge: this.defaultBridgeName,
        });
        rec.Options['com.docker.network.bridge.default_bridge'] = 'true';
        await this.store.writeNetwork(rec);
      }
      this.defaultBridgeId = rec.Id;
      if (await this.hostLooksReady(rec)) return; // reconcile() does the full repair
      await this.ensureHost(rec);
    });
  }

  private defaultBridgeId: string | undefined;

  /**
   * Whether the network's bridge and firewall rules are in place. Every container start asks (twice on the
   * default bridge), and asking costs an ip and two iptables processes: a yes is trusted for a few seconds.
   */
  private async hostLooksReady(rec: NetworkRecord): Promise<boolean> {
    if ((this.readyUntil.get(rec.Id) ?? 0) > Date.now()) return true;
    const ready =
      (await linkExists(bridgeOf(rec))) && (await this.firewall.hasNetwork(this.firewallNetwork(rec)));
    if (ready) this.markReady(rec.Id);
    return ready;
  }

  private readonly readyUntil = new Map<string, number>();

  private markReady(networkId: string) {
    this.readyUntil.set(networkId, Date.now() + HOST_READY_TRUST_MS);
  }

  private firewallNetwork(rec: NetworkRecord) {
    return { id: rec.Id, bridge: bridgeOf(rec), subnet: networkSubnet(rec), internal: rec.Internal };
  }

  async create(o: z.input<typeof createSchema>): Promise<NetworkRecord> {
    const req = createSchema.parse(o);
    const name = networkNameSchema.safeParse(req.name);
    if (!name.success) {
      throw new NetworkError(
        'invalid_name',
        `invalid network name "${req.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    return this.store.withLock(async () => {
      const existing = await this.store.listNetworks();
      if (PREDEFINED.has(req.name) || existing.some((n) => n.Name === req.name)) {
        throw new NetworkError('name_conflict', `network with name ${req.name} already exists`);
      }
      const taken = existing.map((n) => parseCidr(networkSubnet(n)));
      let subnet: Subnet;
      if (req.subnet !== undefined) {
        subnet = parseCidr(req.subnet);
        if (subnet.prefixLen > 30)
          throw new NetworkError('invalid_subnet', `subnet ${req.subnet} is too small`);
        if (taken.some((t) => overlaps(t, subnet))) {
          throw new NetworkError('pool_overlap', 'Pool overlaps with other one on this address space');
        }
        await this.assertNoHostRouteOverlap(subnet);
      } else {
        if (req.gateway !== undefined) {
          throw new NetworkError('invalid_subnet', 'a gateway needs a subnet: pass --subnet as well');
        }
        subnet = await this.pickFreeSubnet(taken);
      }
      let gateway = subnet.base + 1;
      if (req.gateway !== undefined) {
        gateway = ipToInt(req.gateway);
        if (!isHostAddress(subnet, gateway)) {
          throw new NetworkError('invalid_address', `no matching subnet for gateway ${req.gateway}`);
        }
      }
      const rec = newRecord({
        name: req.name,
        subnet: formatCidr(subnet),
        gateway: intToIp(gateway),
        internal: req.internal ?? false,
        labels: req.labels ?? {},
        bridge: '',
      });
      rec.Options[BRIDGE_NAME_OPTION] = this.userBridgeName(rec.Id);
      await this.store.writeNetwork(rec);
      try {
        await this.ensureHost(rec);
      } catch (err) {
        await this.removeHost(rec).catch(() => {});
        await this.store.deleteNetwork(rec.Id);
        throw err;
      }
      return rec;
    });
  }

  async remove(nameOrId: string): Promise<void> {
    await this.store.withLock(async () => {
      const rec = await this.resolve(nameOrId);
      if (PREDEFINED.has(rec.Name)) {
        throw new NetworkError('predefined', `${rec.Name} is a pre-defined network and cannot be removed`);
      }
      const endpoints = await this.store.listEndpoints();
      if (endpoints.some((e) => e.attachments.some((a) => a.networkId === rec.Id))) {
        throw new NetworkError(
          'active_endpoints',
          `error while removing network: network ${rec.Name} id ${rec.Id} has active endpoints`,
        );
      }
      await this.removeHost(rec);
      await this.store.deleteNetwork(rec.Id);
    });
  }

  async list(): Promise<NetworkRecord[]> {
    const [records, endpoints] = await Promise.all([this.store.listNetworks(), this.store.listEndpoints()]);
    return [
      ...records.map((r) => withContainers(r, endpoints)),
      predefinedRecord('host'),
      predefinedRecord('none'),
    ];
  }

  async inspect(nameOrId: string): Promise<NetworkRecord> {
    const rec = await this.resolve(nameOrId);
    return withContainers(rec, await this.store.listEndpoints());
  }

  /** Exact name, exact id, or a unique id prefix — like Docker. */
  private async resolve(nameOrId: string): Promise<NetworkRecord> {
    const all = [...(await this.store.listNetworks()), predefinedRecord('host'), predefinedRecord('none')];
    const hit =
      all.find((n) => n.Name === nameOrId) ??
      all.find((n) => n.Id === nameOrId) ??
      (() => {
        const byPrefix = nameOrId.length > 0 ? all.filter((n) => n.Id.startsWith(nameOrId)) : [];
        return byPrefix.length === 1 ? byPrefix[0] : undefined;
      })();
    if (!hit) throw new NetworkError('not_found', `network ${nameOrId} not found`);
    return hit;
  }

  private async pickFreeSubnet(taken: Subnet[]): Promise<Subnet> {
    const pool = parseCidr(this.opts.userSubnetPool);
    const routes = (await hostRoutes()).map((r) => parseCidr(normalizeRoute(r.dst)));
    const step = 2 ** 8;
    const prefixLen = Math.max(24, pool.prefixLen);
    for (let base = pool.base; base + step - 1 <= pool.base + 2 ** (32 - pool.prefixLen) - 1; base += step) {
      const candidate = { base, prefixLen };
      if (taken.some((t) => overlaps(t, candidate)) || routes.some((r) => overlaps(r, candidate))) continue;
      return candidate;
    }
    throw new NetworkError(
      'pool_exhausted',
      'could not find an available, non-overlapping IPv4 address pool',
    );
  }

  private async assertNoHostRouteOverlap(subnet: Subnet, ownDevice?: string): Promise<void> {
    for (const r of await hostRoutes()) {
      if (ownDevice && r.dev === ownDevice) continue;
      if (overlaps(parseCidr(normalizeRoute(r.dst)), subnet)) {
        throw new NetworkError(
          'pool_overlap',
          `Pool overlaps with other one on this address space: ${formatCidr(subnet)} overlaps the host route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`,
        );
      }
    }
  }

  /** Bridge, addresses, forwarding and the network's rules. Idempotent; also repairs after a reboot. */
  private async ensureHost(rec: NetworkRecord): Promise<void> {
    if (rec.Driver !== 'bridge') return;
    const bridge = bridgeOf(rec);
    const subnet = parseCidr(networkSubnet(rec));
    await this.firewall.install();
    await ensureBridge(bridge, `${networkGateway(rec)}/${subnet.prefixLen}`);
    // Routing between the bridge and the rest of the host (egress, published ports from outside) needs it.
    await setSysctl('net.ipv4.ip_forward', '1');
    await this.firewall.addNetwork({
      id: rec.Id,
      bridge,
      subnet: formatCidr(subnet),
      internal: rec.Internal,
    });
    this.markReady(rec.Id);
  }

  private async removeHost(rec: NetworkRecord): Promise<void> {
    this.readyUntil.delete(rec.Id);
    await this.firewall.removeNetwork(rec.Id);
    await deleteLink(bridgeOf(rec));
  }

  // ---- containers ----

  async connect(c: ConnectRequest, network: string): Promise<NetworkAttachment> {
    const req = connectSchema.parse(c);
    // A restarting container may ask for the address its previous run still holds until its veth is gone.
    await this.settle(req.containerId);
    return this.store.withLock(async () => {
      const rec = await this.resolve(network);
      if (rec.Driver !== 'bridge') {
        throw new NetworkError(
          'unsupported',
          `container cannot be connected to the ${rec.Name} network: the engine sets up ${rec.Name} mode itself`,
        );
      }
      const netnsId = await netnsIdentity(req.netnsPath);
      if (!netnsId) throw new NetworkError('not_found', `network namespace ${req.netnsPath} does not exist`);
      let ep = await this.store.readEndpoint(req.containerId);
      if (ep && ep.netnsId !== netnsId) {
        // The container got a new netns (restarted) without a clean disconnect: drop what belonged to the old one.
        await this.dropEndpoint(ep);
        ep = undefined;
      }
      ep ??= {
        containerId: req.containerId,
        name: req.name,
        netnsPath: req.netnsPath,
        netnsId,
        attachments: [],
        ports: [],
      };
      ep.name = req.name;
      ep.netnsPath = req.netnsPath;
      if (req.hostsPath) ep.hostsPath = req.hostsPath;
      if (req.hostname) ep.hostname = req.hostname;
      if (req.extraHosts) ep.extraHosts = req.extraHosts;
      if (ep.attachments.some((a) => a.networkId === rec.Id)) {
        throw new NetworkError(
          'already_connected',
          `endpoint with name ${req.name} already exists in network ${rec.Name}`,
        );
      }

      const bridge = bridgeOf(rec);
      if (!(await this.hostLooksReady(rec))) await this.ensureHost(rec);
      const subnet = parseCidr(networkSubnet(rec));
      const ip = await allocateAddress(
        this.store,
        { networkId: rec.Id, subnet: networkSubnet(rec), gateway: networkGateway(rec) },
        req.containerId,
        req.ip,
      );
      const att: StoredAttachment = {
        network: rec.Name,
        networkId: rec.Id,
        endpointId: randomBytes(32).toString('hex'),
        ip,
        prefixLen: subnet.prefixLen,
        gateway: networkGateway(rec),
        mac: macFor(ip),
        ifname: req.ifname ?? (await nextInterfaceName(req.netnsPath)),
        aliases: req.aliases ?? [],
        hostVeth: req.premadeVeth ?? `veth${randomBytes(4).toString('hex')}`,
        bridge,
      };
      // Like Docker: the first network the container joins provides its default route; an internal one none.
      const firstNetwork = ep.attachments.length === 0 && !rec.Internal;
      // Recorded before the veth exists, so a crash in between leaves something reconcile() can find.
      ep.attachments.push(att);
      await this.store.writeEndpoint(ep);
      try {
        await (req.premadeVeth ? attachVeth : createVeth)({
          hostVeth: att.hostVeth,
          bridge,
          netnsPath: req.netnsPath,
          ifname: att.ifname,
          mac: att.mac,
          cidr: `${ip}/${subnet.prefixLen}`,
          defaultGateway: firstNetwork ? att.gateway : undefined,
        });
      } catch (err) {
        await deleteLink(att.hostVeth).catch(() => {});
        await releaseAddress(this.store, rec.Id, ip);
        ep.attachments = ep.attachments.filter((a) => a !== att);
        await this.store.writeEndpoint(ep);
        throw err;
      }
      await this.refreshHostsFiles([rec.Id], [ep.containerId]);
      return publicAttachment(att);
    });
  }

  /**
   * With `linkInBackground` (a container being torn down, its netns going away) the host veth is deleted after
   * this returns: the kernel takes 20-40 ms to delete one. Its address stays allocated until then, so no new
   * container meets the old interface; settle() waits for what is still going on.
   */
  async disconnect(
    containerId: string,
    network: string,
    netnsPath?: string,
    opts: { linkInBackground?: boolean } = {},
  ): Promise<void> {
    containerIdSchema.parse(containerId);
    await this.store.withLock(async () => {
      const ep = await this.store.readEndpoint(containerId);
      // The caller may name the network by name, id or id prefix, as the user typed it.
      const resolvedId = await this.resolve(network).then(
        (n) => n.Id,
        () => undefined,
      );
      const att = ep?.attachments.find(
        (a) => a.network === network || a.networkId === network || a.networkId === resolvedId,
      );
      if (!ep || !att) {
        throw new NetworkError(
          'not_connected',
          `container ${containerId} is not connected to network ${network}`,
        );
      }
      if (opts.linkInBackground) {
        ep.attachments = ep.attachments.filter((a) => a !== att);
        await this.store.writeEndpoint(ep);
        await this.refreshHostsFiles([att.networkId], ep.hostsPath ? [containerId] : []);
        this.inBackground(containerId, async () => {
          await deleteLink(att.hostVeth).catch(() => {});
          await this.store.withLock(() => releaseAddress(this.store, att.networkId, att.ip));
        });
        return;
      }
      // Deleting the host end removes the pair; when it is gone already, the peer may still be in the netns.
      const deleted = await tryRun('ip', ['link', 'del', 'dev', att.hostVeth]);
      if (deleted.code !== 0 && (await linkExists(att.hostVeth))) {
        await deleteLink(att.hostVeth);
      } else if (deleted.code !== 0 && netnsPath) {
        await tryRun('nsenter', [`--net=${netnsPath}`, '--', 'ip', 'link', 'del', 'dev', att.ifname]);
      }
      await releaseAddress(this.store, att.networkId, att.ip);
      ep.attachments = ep.attachments.filter((a) => a !== att);
      await this.store.writeEndpoint(ep);
      await this.refreshHostsFiles([att.networkId], ep.hostsPath ? [containerId] : []);
    });
  }

  /** Background removals by container id. */
  private readonly background = new Map<string, Promise<void>>();

  // A crash before it finishes leaves an unknown bridge port and a stale allocation: reconcile() removes both.
  private inBackground(containerId: string, work: () => Promise<void>) {
    const before = this.background.get(containerId) ?? Promise.resolve();
    // Started under the networks lock, but runs after it is released: it must take the lock itself.
    const running: Promise<void> = this.store
      .outsideLock(() => before.then(work))
      .catch(() => {})
      .finally(() => {
        if (this.background.get(containerId) === running) this.background.delete(containerId);
      });
    this.background.set(containerId, running);
  }

  /** Resolves once the background removals started so far (of one container, or all) are done. */
  async settle(containerId?: string): Promise<void> {
    if (containerId !== undefined) {
      await this.background.get(containerId);
      return;
    }
    while (this.background.size) await Promise.all([...this.background.values()]);
  }

  /**
   * DNAT `hostIp:hostPort` → `containerIp:containerPort`. Fails with Docker's message, changing nothing,
   * when a host port is taken by another container or a listening socket. A hostPort of 0 picks a free one.
   * Resolves with the bindings as applied.
   */
  async publish(containerId: string, containerIp: string, ports: PortBinding[]): Promise<PortBinding[]> {
    containerIdSchema.parse(containerId);
    z.ipv4().parse(containerIp);
    const wanted = z.array(portBindingSchema).parse(ports);
    return this.store.withLock(async () => {
      const ep = await this.store.readEndpoint(containerId);
      if (!ep)
        throw new NetworkError('not_connected', `container ${containerId} is not connected to any network`);
      const endpoints = await this.store.listEndpoints();
      const inUse = endpoints.flatMap((e) => (e.containerId === containerId ? [] : e.ports));
      inUse.push(...ep.ports);
      const listeners = { tcp: await hostListeners('tcp'), udp: await hostListeners('udp') };
      const taken = (p: Omit<PortBinding, 'containerPort'>) =>
        inUse.some((u) => u.proto === p.proto && clashes(u, p)) ||
        listeners[p.proto].some((l) => clashes({ hostIp: l.ip, hostPort: l.port }, p));

      const applied: PublishedPort[] = [];
      for (const p of wanted) {
        let hostPort = p.hostPort;
        if (hostPort === 0) {
          hostPort = EPHEMERAL_PORTS.first;
          while (hostPort <= EPHEMERAL_PORTS.last && taken({ ...p, hostPort })) hostPort++;
        }
        if (hostPort > EPHEMERAL_PORTS.last || taken({ ...p, hostPort })) {
          throw new NetworkError(
            'port_allocated',
            `Bind for ${p.hostIp}:${hostPort} failed: port is already allocated`,
          );
        }
        const pub = { ...p, hostPort, containerIp };
        applied.push(pub);
        inUse.push(pub);
      }

      const own = ep.attachments.filter((a) => a.ip === containerIp);
      const bridges = new Set((own.length > 0 ? own : ep.attachments).map((a) => a.bridge));
      try {
        for (const p of applied) {
          await this.firewall.addPort(containerId, p);
          if (p.hostIp === '0.0.0.0' || p.hostIp.startsWith('127.')) {
            // Lets packets with a 127.0.0.1 source leave through the bridge (they get masqueraded there).
            for (const b of bridges) await setSysctl(`net.ipv4.conf.${b}.route_localnet`, '1');
          }
        }
      } catch (err) {
        for (const p of applied) await this.firewall.removePort(containerId, p).catch(() => {});
        throw err;
      }
      ep.ports.push(...applied);
      await this.store.writeEndpoint(ep);
      return applied.map(({ containerIp: _, ...binding }) => binding);
    });
  }

  async unpublish(containerId: string): Promise<void> {
    containerIdSchema.parse(containerId);
    await this.store.withLock(async () => {
      await this.firewall.removeContainer(containerId);
      const ep = await this.store.readEndpoint(containerId);
      if (ep) {
        ep.ports = [];
        await this.store.writeEndpoint(ep);
      }
    });
  }

  resolvConf(): string {
    return renderResolvConf(hostResolvConf());
  }

  async hostsFile(containerId: string): Promise<string> {
    containerIdSchema.parse(containerId);
    const endpoints = await this.store.listEndpoints();
    return hostsFor(containerId, endpoints);
  }

  /** Rewrites the hosts files of every container on the given networks (plus `alsoContainers`) in place. */
  private async refreshHostsFiles(networkIds: string[], alsoContainers: string[]): Promise<void> {
    const endpoints = await this.store.listEndpoints();
    const affected = endpoints.filter(
      (e) =>
        alsoContainers.includes(e.containerId) || e.attachments.some((a) => networkIds.includes(a.networkId)),
    );
    for (const e of affected) {
      if (!e.hostsPath) continue;
      // Truncate and write the same inode: a rename would not reach the file bind-mounted into the container.
      await writeFile(e.hostsPath, hostsFor(e.containerId, endpoints)).catch(() => {});
    }
  }

  // ---- recovery ----

  /**
   * After a crash or reboot: recreate bridges and rules of existing networks, then remove what belongs to
   * containers that no longer exist (veths, rules, IP allocations, records) and anything of ours no record explains.
   */
  async reconcile(opts: ReconcileOptions = {}): Promise<void> {
    await this.store.withLock(async () => {
      const networks = await this.store.listNetworks();
      for (const n of networks) await this.ensureHost(n);

      const touched = new Set<string>();
      for (const ep of await this.store.listEndpoints()) {
        const alive = opts.isAlive
          ? await opts.isAlive(ep.containerId)
          : (await netnsIdentity(ep.netnsPath)) === ep.netnsId;
        if (!alive) {
          for (const a of ep.attachments) touched.add(a.networkId);
          await this.dropEndpoint(ep);
          continue;
        }
        const gone = ep.attachments.filter((a) => !networks.some((n) => n.Id === a.networkId));
        if (gone.length > 0) {
          for (const a of gone) await deleteLink(a.hostVeth).catch(() => {});
          ep.attachments = ep.attachments.filter((a) => !gone.includes(a));
          await this.store.writeEndpoint(ep);
        }
      }

      const endpoints = await this.store.listEndpoints();
      const liveIds = new Set(endpoints.map((e) => e.containerId));
      for (const comment of await this.firewall.comments()) {
        const [kind, id = ''] = comment.split(/:(.*)/s);
        if (kind === 'dockyard' && !liveIds.has(id)) await this.firewall.removeContainer(id);
        if (kind === 'dockyard-net' && !networks.some((n) => n.Id === id))
          await this.firewall.removeNetwork(id);
      }

      for (const n of networks) {
        const ipam = await this.store.readIpam(n.Id);
        const stale = Object.entries(ipam.allocations).filter(
          ([ip, cid]) =>
            !endpoints.some(
              (e) => e.containerId === cid && e.attachments.some((a) => a.networkId === n.Id && a.ip === ip),
            ),
        );
        for (const [ip] of stale) await releaseAddress(this.store, n.Id, ip);
        if (stale.length > 0) touched.add(n.Id);

        const known = new Set(endpoints.flatMap((e) => e.attachments.map((a) => a.hostVeth)));
        for (const port of await bridgePorts(bridgeOf(n))) {
          if (!known.has(port)) await deleteLink(port).catch(() => {});
        }
      }

      await this.removeOrphanBridges(networks);
      await this.refreshHostsFiles([...touched], []);
    });
  }

  /** Bridges named like ours that belong to no network record (a removal interrupted by a crash). */
  private async removeOrphanBridges(networks: NetworkRecord[]): Promise<void> {
    const r = await tryRun('ip', ['-j', 'link', 'show', 'type', 'bridge']);
    if (r.code !== 0) return;
    const names = z
      .array(z.object({ ifname: z.string() }).loose())
      .parse(JSON.parse(r.stdout || '[]'))
      .map((l) => l.ifname);
    const ours = new Set(networks.map(bridgeOf));
    const pattern = new RegExp(`^${this.opts.bridgePrefix}(0|-[0-9a-f]+)$`);
    for (const name of names) {
      if (pattern.test(name) && !ours.has(name)) await deleteLink(name).catch(() => {});
    }
  }

  /** Everything of one container: veths, published ports, addresses, its record. */
  private async dropEndpoint(ep: EndpointRecord): Promise<void> {
    for (const a of ep.attachments) {
      await deleteLink(a.hostVeth).catch(() => {});
      await releaseAddress(this.store, a.networkId, a.ip);
    }
    await this.firewall.removeContainer(ep.containerId);
    await this.store.writeEndpoint({ ...ep, attachments: [], ports: [] });
  }

  /**
   * Undoes every host change of this manager — veths, bridges, rules, chains and their hooks — keeping the
   * records on disk (ensureDefaultBridge()/reconcile() bring the host state back). For uninstalling and tests.
   */
  async teardownHost(): Promise<void> {
    await this.store.withLock(async () => {
      this.readyUntil.clear();
      for (const ep of await this.store.listEndpoints()) {
        for (const a of ep.attachments) await deleteLink(a.hostVeth).catch(() => {});
      }
      await this.firewall.uninstall();
      for (const n of await this.store.listNetworks()) {
        if (n.Driver === 'bridge') await deleteLink(bridgeOf(n)).catch(() => {});
      }
    });
  }
}

function newRecord(o: {
  name: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  bridge: string;
}): NetworkRecord {
  return {
    Name: o.name,
    Id: randomBytes(32).toString('hex'),
    Created: new Date().toISOString(),
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: o.subnet, Gateway: o.gateway }] },
    Internal: o.internal,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    Containers: {},
    Options: o.bridge ? { [BRIDGE_NAME_OPTION]: o.bridge } : {},
    Labels: o.labels,
  };
}

function predefinedRecord(name: 'host' | 'none'): NetworkRecord {
  return {
    Name: name,
    Id: createHash('sha256').update(`dockyard-network:${name}`).digest('hex'),
    Created: new Date(0).toISOString(),
    Scope: 'local',
    Driver: name === 'host' ? 'host' : 'null',
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
  };
}

function withContainers(rec: NetworkRecord, endpoints: EndpointRecord[]): NetworkRecord {
  const containers: NetworkRecord['Containers'] = {};
  for (const e of endpoints) {
    for (const a of e.attachments) {
      if (a.networkId !== rec.Id) continue;
      containers[e.containerId] = {
        Name: e.name,
        EndpointID: a.endpointId,
        MacAddress: a.mac,
        IPv4Address: `${a.ip}/${a.prefixLen}`,
        IPv6Address: '',
      };
    }
  }
  return { ...rec, Containers: containers };
}

function bridgeOf(rec: NetworkRecord): string {
  const name = rec.Options[BRIDGE_NAME_OPTION];
  if (!name) throw new NetworkError('not_found', `network ${rec.Name} has no bridge device`);
  return name;
}

function networkSubnet(rec: NetworkRecord): string {
  const cfg = rec.IPAM.Config[0];
  if (!cfg) throw new NetworkError('invalid_subnet', `network ${rec.Name} has no subnet`);
  return cfg.Subnet;
}

function networkGateway(rec: NetworkRecord): string {
  const cfg = rec.IPAM.Config[0];
  if (!cfg) throw new NetworkError('invalid_subnet', `network ${rec.Name} has no gateway`);
  return cfg.Gateway;
}

/** Docker's scheme: 02:42 followed by the four bytes of the IPv4 address. */
export function macFor(ip: string): string {
  const n = ipToInt(ip);
  const bytes = [0x02, 0x42, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function normalizeRoute(dst: string): string {
  // Routes can be printed with host bits set (e.g. `10.1.2.3/24` is not possible, but `192.0.2.1` is a /32).
  const [addr = '', len = '32'] = dst.split('/');
  const prefixLen = Number(len);
  const base = prefixLen === 0 ? 0 : (ipToInt(addr) & ((0xffffffff << (32 - prefixLen)) >>> 0)) >>> 0;
  return `${intToIp(base)}/${prefixLen}`;
}

async function netnsIdentity(path: string): Promise<string | undefined> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

function publicAttachment(a: StoredAttachment): NetworkAttachment {
  return {
    network: a.network,
    networkId: a.networkId,
    ip: a.ip,
    prefixLen: a.prefixLen,
    gateway: a.gateway,
    mac: a.mac,
    ifname: a.ifname,
    aliases: a.aliases,
  };
}

function hostsFor(containerId: string, endpoints: EndpointRecord[]): string {
  const self = endpoints.find((e) => e.containerId === containerId);
  if (!self) return renderHosts([], []);
  const extra: HostsEntry[] = self.extraHosts ?? [];
  const shortId = (id: string) => id.slice(0, 12);
  const selfEntries: HostsEntry[] = self.attachments.map((a) => ({
    ip: a.ip,
    names: [self.hostname ?? shortId(self.containerId), self.name, ...a.aliases],
  }));
  const peers: HostsEntry[] = [];
  // Like Docker: containers find each other by name on user networks only, not on the default bridge.
  for (const a of self.attachments.filter((x) => x.network !== DEFAULT_NETWORK)) {
    for (const peer of endpoints) {
      if (peer.containerId === containerId) continue;
      for (const pa of peer.attachments.filter((x) => x.networkId === a.networkId)) {
        peers.push({ ip: pa.ip, names: [peer.name, ...pa.aliases, shortId(peer.containerId)] });
      }
    }
  }
  return renderHosts(selfEntries, peers, extra);
}
