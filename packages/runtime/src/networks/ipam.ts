import { NetworkError } from './errors.js';
import type { NetworkStore } from './store.js';
import { contains, intToIp, ipToInt, isHostAddress, parseCidr } from './subnet.js';

export interface IpamPool {
  networkId: string;
  subnet: string;
  gateway: string;
}

/**
 * Hands out the lowest free address of the pool (or `requested`), recording it for `containerId`.
 * Safe across processes: the allocation file is read and written under the store's lock.
 */
export function allocateAddress(
  store: NetworkStore,
  pool: IpamPool,
  containerId: string,
  requested?: string,
): Promise<string> {
  return store.withLock(async () => {
    const subnet = parseCidr(pool.subnet);
    const gateway = ipToInt(pool.gateway);
    const ipam = await store.readIpam(pool.networkId);
    const taken = new Set(Object.keys(ipam.allocations).map(ipToInt));
    taken.add(gateway);
    let chosen: number | undefined;
    if (requested !== undefined) {
      const want = ipToInt(requested);
      if (!contains(subnet, want) || !isHostAddress(subnet, want)) {
        throw new NetworkError(
          'invalid_address',
          `no available IPv4 address ${requested} in pool ${pool.subnet}`,
        );
      }
      if (taken.has(want)) throw new NetworkError('address_in_use', `Address already in use: ${requested}`);
      chosen = want;
    } else {
      for (let ip = subnet.base; ip < subnet.base + 2 ** (32 - subnet.prefixLen); ip++) {
        if (isHostAddress(subnet, ip) && !taken.has(ip)) {
          chosen = ip;
          break;
        }
      }
      if (chosen === undefined) {
        throw new NetworkError(
          'pool_exhausted',
          `no available IPv4 addresses on this network's address pools`,
        );
      }
    }
    const ip = intToIp(chosen);
    ipam.allocations[ip] = containerId;
    await store.writeIpam(pool.networkId, ipam);
    return ip;
  });
}

export function releaseAddress(store: NetworkStore, networkId: string, ip: string): Promise<void> {
  return store.withLock(async () => {
    const ipam = await store.readIpam(networkId);
    if (!(ip in ipam.allocations)) return;
    delete ipam.allocations[ip];
    await store.writeIpam(networkId, ipam);
  });
}
