import { describe, expect, it } from 'vitest';
import {
  applyDns,
  effectiveCaps,
  linkEnv,
  normalizeCaps,
  parseExtraHost,
  parseLink,
  validateCpuShares,
} from '../../src/containers/hostconfig.js';
import { buildResources, DEFAULT_CAPS } from '../../src/oci/spec.js';

describe('HostConfig settings in Docker terms', () => {
  it('normalizes capability names and refuses unknown ones with dockerd’s text', () => {
    expect(normalizeCaps(['net_admin', 'CAP_SYS_TIME', 'all'], 'CapAdd')).toEqual([
      'CAP_NET_ADMIN',
      'CAP_SYS_TIME',
      'ALL',
    ]);
    expect(() => normalizeCaps(['bogus'], 'CapDrop')).toThrow(
      'invalid CapDrop: unknown capability: "CAP_BOGUS"',
    );
  });

  it('tweaks the default set like TweakCapabilities, ALL limited to the bounding set', () => {
    expect(effectiveCaps(DEFAULT_CAPS, [], [])).toEqual(DEFAULT_CAPS);
    const dropped = effectiveCaps(DEFAULT_CAPS, ['SYS_ADMIN'], ['net_raw']);
    expect(dropped).toContain('CAP_SYS_ADMIN');
    expect(dropped).not.toContain('CAP_NET_RAW');
    expect(effectiveCaps(DEFAULT_CAPS, ['CHOWN'], ['ALL'])).toEqual(['CAP_CHOWN']);
    // Bounding set with only bits 0 (CHOWN) and 21 (SYS_ADMIN).
    const status = `CapBnd:\t${(1n | (1n << 21n)).toString(16).padStart(16, '0')}\n`;
    expect(effectiveCaps(DEFAULT_CAPS, ['ALL'], ['chown'], status)).toEqual(['CAP_SYS_ADMIN']);
  });

  it('cpu shares: clamped to the kernel range, negative refused, carried into the OCI resources', () => {
    expect(validateCpuShares(0)).toBe(0);
    expect(validateCpuShares(1)).toBe(2);
    expect(validateCpuShares(1_000_000)).toBe(262144);
    expect(() => validateCpuShares(-5)).toThrow('Invalid CPUShares value: -5. Must be positive');
    expect(buildResources({ memory: 0, memorySwap: 0, nanoCpus: 0, pidsLimit: 0, cpuShares: 512 })).toEqual({
      cpu: { shares: 512 },
    });
  });

  it('replaces only the resolv.conf lines that were given', () => {
    const host = 'nameserver 192.0.2.1\nsearch corp.example\noptions edns0\n';
    expect(applyDns(host, { dns: [], dnsSearch: [], dnsOptions: [] })).toBe(host);
    expect(applyDns(host, { dns: ['10.0.0.53', '10.0.0.54'], dnsSearch: [], dnsOptions: [] })).toBe(
      'search corp.example\noptions edns0\nnameserver 10.0.0.53\nnameserver 10.0.0.54\n',
    );
    expect(applyDns(host, { dns: [], dnsSearch: ['.'], dnsOptions: ['ndots:2', 'timeout:1'] })).toBe(
      'nameserver 192.0.2.1\noptions ndots:2 timeout:1\n',
    );
  });

  it('parses --add-host and --link like the docker client and daemon', () => {
    expect(parseExtraHost('db.test:10.1.2.3')).toEqual({ ip: '10.1.2.3', names: ['db.test'] });
    expect(parseExtraHost('db.test=10.1.2.3')).toEqual({ ip: '10.1.2.3', names: ['db.test'] });
    expect(parseExtraHost('v6.test:::1')).toEqual({ ip: '::1', names: ['v6.test'] });
    expect(parseExtraHost('gw:host-gateway', '10.88.0.1')).toEqual({ ip: '10.88.0.1', names: ['gw'] });
    expect(() => parseExtraHost('nohost')).toThrow('bad format for add-host: "nohost"');
    expect(() => parseExtraHost('x:1.2.3')).toThrow('invalid IP address in add-host: "1.2.3"');
    expect(parseLink('db:database')).toEqual({ name: 'db', alias: 'database' });
    expect(parseLink('/db')).toEqual({ name: 'db', alias: 'db' });
    expect(() => parseLink('a:b:c')).toThrow('invalid link format');
  });

  it('builds the legacy link environment, with port ranges as Docker groups them', () => {
    const env = linkEnv({
      parentName: 'web',
      alias: 'my-db',
      childIp: '10.88.0.5',
      childEnv: ['PATH=/bin', 'HOME=/root', 'PASS=x=y'],
      exposedPorts: ['53/udp', '5433/tcp', '5432/tcp'],
    });
    expect(env).toEqual([
      'MY_DB_PORT=tcp://10.88.0.5:5432',
      'MY_DB_PORT_5432_TCP=tcp://10.88.0.5:5432',
      'MY_DB_PORT_5432_TCP_ADDR=10.88.0.5',
      'MY_DB_PORT_5432_TCP_PORT=5432',
      'MY_DB_PORT_5432_TCP_PROTO=tcp',
      'MY_DB_PORT_5433_TCP=tcp://10.88.0.5:5433',
      'MY_DB_PORT_5433_TCP_ADDR=10.88.0.5',
      'MY_DB_PORT_5433_TCP_PORT=5433',
      'MY_DB_PORT_5433_TCP_PROTO=tcp',
      // The range is closed when the next port breaks it, so its variables follow that port's (as in Docker).
      'MY_DB_PORT_53_UDP=udp://10.88.0.5:53',
      'MY_DB_PORT_53_UDP_ADDR=10.88.0.5',
      'MY_DB_PORT_53_UDP_PORT=53',
      'MY_DB_PORT_53_UDP_PROTO=udp',
      'MY_DB_PORT_5432_TCP_START=tcp://10.88.0.5:5432',
      'MY_DB_PORT_5432_TCP_PORT_START=5432',
      'MY_DB_PORT_5432_TCP_END=tcp://10.88.0.5:5433',
      'MY_DB_PORT_5432_TCP_PORT_END=5433',
      'MY_DB_NAME=/web/my-db',
      'MY_DB_ENV_PASS=x=y',
    ]);
  });
});
