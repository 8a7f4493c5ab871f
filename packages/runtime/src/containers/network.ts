import { promises as fs } from 'node:fs';
import { DockyardError } from '../errors.js';
import type { NetworkAttachment, PortBinding } from '../networks/index.js';
import { NetworkManager } from '../networks/index.js';

export type { NetworkAttachment, PortBinding };
export type NetworkRecordLike = { Name: string; Id: string; Driver: string } & Record<string, unknown>;

/** The networks/ NetworkManager as containers/ uses it (see the contract); loaded lazily. */
export interface Networks {
  available: boolean;
  ensureDefaultBridge(): Promise<void>;
  create(o: {
    name: string;
    subnet?: string;
    gateway?: string;
    internal?: boolean;
    labels?: Record<string, string>;
  }): Promise<NetworkRecordLike>;
  remove(nameOrId: string): Promise<void>;
  list(): Promise<NetworkRecordLike[]>;
  inspect(nameOrId: string): Promise<NetworkRecordLike>;
  connect(
    c: {
      containerId: string;
      name: string;
      netnsPath: string;
      aliases?: string[];
      ip?: string;
      hostname?: string;
      hostsPath?: string;
      ifname?: string;
      premadeVeth?: string;
      extraHosts?: { ip: string; names: string[] }[];
    },
    network: string,
  ): Promise<NetworkAttachment>;
  disconnect(
    containerId: string,
    network: string,
    netnsPath?: string,
    opts?: { linkInBackground?: boolean },
  ): Promise<void>;
  settle(): Promise<void>;
  publish(containerId: string, containerIp: string, ports: PortBinding[]): Promise<PortBinding[] | undefined>;
  unpublish(containerId: string): Promise<void>;
  resolvConf(): string;
  hostsFile(containerId: string): Promise<string>;
  reconcile(): Promise<void>;
}

/** Until networks/ provides a manager, containers behave as with `--network none` behind the same calls. */
class NoNetworks implements Networks {
  available = false;
  private unavailable(): never {
    throw new DockyardError('Error response from daemon: networking is not available in this build');
  }
  async ensureDefaultBridge() {}
  async create(): Promise<NetworkRecordLike> {
    this.unavailable();
  }
  async remove(): Promise<void> {
    this.unavailable();
  }
  async list(): Promise<NetworkRecordLike[]> {
    return [];
  }
  async inspect(name: string): Promise<NetworkRecordLike> {
    throw new DockyardError(`Error response from daemon: network ${name} not found`, 1);
  }
  async connect(): Promise<NetworkAttachment> {
    this.unavailable();
  }
  async disconnect() {}
  async settle() {}
  async publish(_id: string, _ip: string, ports: PortBinding[]): Promise<PortBinding[]> {
    if (ports.length) this.unavailable();
    return [];
  }
  async unpublish() {}
  resolvConf(): string {
    return hostResolvConf();
  }
  async hostsFile(): Promise<string> {
    return '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
  }
  async reconcile() {}
}

let cached: Networks | undefined;

export async function loadNetworks(stateRoot: string, runRoot: string): Promise<Networks> {
  if (cached) return cached;
  const nm = new NetworkManager({ stateRoot, runRoot }) as unknown as Networks;
  nm.available = true;
  cached = nm;
  return cached;
}

/** Kept for builds without networks/: containers then behave as with `--network none`. */
export const noNetworks = (): Networks => new NoNetworks();

let hostResolv = '';
export function hostResolvConf(): string {
  return hostResolv || 'nameserver 8.8.8.8\n';
}
export async function readHostResolvConf(): Promise<void> {
  const text = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  // Loopback resolvers on the host are unreachable from a container's namespace.
  hostResolv = text
    .split('\n')
    .filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l))
    .join('\n');
}
