import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRows, humanDuration, humanSize, renderTemplate, table } from '../../src/cli/format.js';
import { parseBytes, parsePublish, parseRestart, parseVolume } from '../../src/containers/options.js';
import { parseReference } from '../../src/images/reference.js';
import { buildResources } from '../../src/oci/spec.js';
import { resolveInRoot } from '../../src/util/rootpath.js';

describe('argument parsing in docker terms', () => {
  it('parses -p in its three forms', () => {
    expect(parsePublish('8080:80')).toEqual({
      hostIp: '0.0.0.0',
      hostPort: 8080,
      containerPort: 80,
      proto: 'tcp',
    });
    expect(parsePublish('127.0.0.1:53:53/udp')).toEqual({
      hostIp: '127.0.0.1',
      hostPort: 53,
      containerPort: 53,
      proto: 'udp',
    });
    expect(parsePublish('80')).toEqual({ hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' });
    expect(() => parsePublish('80/sctp')).toThrow(/invalid proto/);
  });

  it('parses -v binds, named and anonymous volumes', () => {
    expect(parseVolume('/srv:/data:ro')).toEqual({
      type: 'bind',
      source: '/srv',
      destination: '/data',
      rw: false,
    });
    expect(parseVolume('cache:/var/cache')).toEqual({
      type: 'volume',
      source: 'cache',
      destination: '/var/cache',
      rw: true,
    });
    expect(parseVolume('/scratch')).toEqual({
      type: 'volume',
      source: '',
      destination: '/scratch',
      rw: true,
    });
    expect(() => parseVolume('x:relative')).toThrow(/must be absolute/);
  });

  it('parses sizes and restart policies like docker', () => {
    expect(parseBytes('64m', '-m')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1g', '-m')).toBe(1024 ** 3);
    expect(parseBytes('-1', '--memory-swap', true)).toBe(-1);
    expect(() => parseBytes('lots', '-m')).toThrow(/invalid size/);
    expect(parseRestart('on-failure:3')).toEqual({ name: 'on-failure', maximumRetryCount: 3 });
    expect(parseRestart(undefined)).toEqual({ name: 'no', maximumRetryCount: 0 });
    expect(() => parseRestart('sometimes')).toThrow(/unknown policy/);
  });

  it('normalises image references', () => {
    expect(parseReference('busybox')).toEqual({ repo: 'busybox', tag: 'latest' });
    expect(parseReference('docker.io/library/debian:bookworm')).toEqual({ repo: 'debian', tag: 'bookworm' });
    expect(parseReference('localhost:5000/app:1')).toEqual({ repo: 'localhost:5000/app', tag: '1' });
    expect(() => parseReference('Bad Name')).toThrow(/invalid reference format/);
  });

  it('maps -m/--memory-swap/--cpus/--pids-limit to OCI resources with docker defaults', () => {
    expect(buildResources({ memory: 64, memorySwap: 0, nanoCpus: 5e8, pidsLimit: 32 })).toEqual({
      memory: { limit: 64, swap: 128 },
      cpu: { quota: 50000, period: 100000 },
      pids: { limit: 32 },
    });
    expect(buildResources({ memory: 64, memorySwap: -1, nanoCpus: 0, pidsLimit: 0 })).toEqual({
      memory: { limit: 64, swap: -1 },
    });
  });
});

describe('output formatting', () => {
  it('pads columns like Go tabwriter(minwidth 10, padding 3)', () => {
    expect(
      table([
        ['CONTAINER ID', 'NAMES'],
        ['abc', 'web'],
      ]),
    ).toBe('CONTAINER ID   NAMES\nabc            web');
    expect(
      table([
        ['A', 'B'],
        ['x', 'y'],
      ]),
    ).toBe('A         B\nx         y');
  });

  it('renders go-template-like --format strings', () => {
    const data = {
      Name: '/web',
      State: { Status: 'running', Pid: 42 },
      Labels: { a: '1' },
      List: ['x', 'y'],
    };
    expect(renderTemplate('{{.Name}} {{.State.Status}} {{.State.Pid}}', data)).toBe('/web running 42');
    expect(renderTemplate('{{json .State}}', data)).toBe('{"Status":"running","Pid":42}');
    expect(renderTemplate('{{index .Labels "a"}}', data)).toBe('1');
    expect(renderTemplate('{{range .List}}[{{.}}]{{end}}', data)).toBe('[x][y]');
    expect(
      formatRows('table {{.ID}}\\t{{.Names}}', [{ ID: 'abc', Names: 'web' }], {
        ID: 'CONTAINER ID',
        Names: 'NAMES',
      }),
    ).toBe('CONTAINER ID   NAMES\nabc            web');
  });

  it('writes durations and sizes the way docker does', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(90_000)).toBe('About a minute');
    expect(humanDuration(3 * 3600_000)).toBe('3 hours');
    expect(humanSize(4_260_000)).toBe('4.26MB');
    expect(humanSize(0)).toBe('0B');
  });
});

describe('path resolution inside a container root', () => {
  it('keeps .. and absolute symlinks inside the root', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dye-root-'));
    try {
      await fs.mkdir(path.join(root, 'etc'), { recursive: true });
      await fs.symlink('/', path.join(root, 'up'));
      await fs.symlink('../../../../etc', path.join(root, 'etc/loop'));
      expect(await resolveInRoot(root, '/../../etc/passwd')).toBe(path.join(root, 'etc/passwd'));
      expect(await resolveInRoot(root, '/up/etc')).toBe(path.join(root, 'etc'));
      expect(await resolveInRoot(root, '/etc/loop/x')).toBe(path.join(root, 'etc/x'));
      expect(await resolveInRoot(root, '/up', false)).toBe(path.join(root, 'up'));
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
