import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachShim } from '@dockyard/runtime/shim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoxManager, type BoxRecord } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import { toolchainBinds } from '../src/boxes/toolchain.js';

// The nested engine as a student meets it: `docker` in a lab box runs our engine inside the box's user
// namespace, cgroup subtree and network namespace, with the host's toolchain bound read-only.
const suffix = Math.random().toString(16).slice(2, 6);
const network = {
  bridge: `dytnest${suffix}`,
  subnet: `10.234.${Number.parseInt(suffix, 16) % 250}.0/24`,
  chain: `DYTEST-NEST-${suffix}`,
};
const cgroupParent = `/dytest-nested-${suffix}`;
const work = mkdtempSync(join(tmpdir(), 'dy-nested-'));
chmodSync(work, 0o711);
const repo = join(import.meta.dirname, '../../..');
const toolchain = execFileSync(
  'bash',
  [join(repo, 'infra/box-toolchain/build.sh'), join(work, 'toolchain')],
  {
    encoding: 'utf8',
  },
).trim();
const imageRootfs = execFileSync('bash', [join(repo, 'infra/images/build.sh'), 'lab-debian'], {
  encoding: 'utf8',
}).trim();
for (const base of ['busybox', 'debian']) execFileSync('bash', [join(repo, 'infra/images/build.sh'), base]);

const manager = new BoxManager({
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  imageRootfs,
  idBase: 9_000_000 + (Number.parseInt(suffix, 16) % 100) * 2 * 65536,
  maxBoxes: 2,
  network,
  cgroupParent,
  defaultLimits: {
    memoryBytes: 768 * 2 ** 20,
    memorySwapBytes: 768 * 2 ** 20,
    pids: 512,
    cpus: 1,
    tmpBytes: 128 * 2 ** 20,
  },
  extraBinds: toolchainBinds(toolchain, '/var/cache/dockyard/images') ?? [],
});

let box: BoxRecord;
const sh = (script: string) => manager.exec(box.id, ['sh', '-c', script], { timeoutMs: 60_000 });

beforeAll(async () => {
  await manager.init();
  box = await manager.create({ owner: 'nested-student' });
});

afterAll(async () => {
  for (const b of manager.list()) await manager.destroy(b.id).catch(() => {});
  await removeLabNetwork(network).catch(() => {});
  rmSync(work, { recursive: true, force: true });
  for (const root of readdirCgroupRoots()) spawnSync('rmdir', [join(root, cgroupParent)]);
});

function readdirCgroupRoots(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4] ?? '')
    .filter(Boolean);
}

describe('docker inside a lab box', () => {
  it('runs a throw-away busybox container', async () => {
    expect(await sh('docker run --rm busybox echo hi')).toBe('hi\n');
    // Its state is in the box, on a tmpfs of its own (an overlay upper dir cannot live on the box's overlay).
    expect((await sh('findmnt -n -o FSTYPE /var/lib/dockyard')).trim()).toBe('tmpfs');
    expect((await sh('docker ps -aq | wc -l')).trim()).toBe('0');
  });

  it('imports another base image from the host cache on first use', async () => {
    expect(await sh('docker run --rm debian:bookworm cat /etc/debian_version')).toMatch(/^12\.\d+\n$/);
    expect(await sh('docker images --format "{{.Repository}}:{{.Tag}}" | sort')).toMatch(
      /busybox:latest\ndebian:/,
    );
    await sh('docker rmi debian:bookworm debian:latest >/dev/null');
  });

  it('deletes and replaces image directories in a container (overlay whiteouts in the box userns)', async () => {
    const out = await sh(
      'docker run --rm busybox sh -c "rm -rf /usr/sbin && mkdir /usr/sbin && ls -A /usr/sbin | wc -l && echo replaced"',
    );
    expect(out).toBe('0\nreplaced\n');
  });

  it('keeps a detached container with a memory limit inside the box cgroup subtree', async () => {
    await sh('docker run -d --name web -m 64m busybox sleep 1000');
    try {
      const ps = await sh('docker ps --format "{{.Names}} {{.Status}}"');
      expect(ps).toMatch(/^web Up/m);
      const id = (await sh('docker inspect -f "{{.Id}}" web')).trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      // Seen by the student in the box's cgroupfs...
      const inBox = await sh(
        `cat /sys/fs/cgroup/memory/dockyard/${id}/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/dockyard/${id}/memory.max`,
      );
      expect(Number(inBox.trim())).toBe(64 * 2 ** 20);
      // ...and on the host, the container's cgroup is a child of the box's: the box's limits bound it.
      const pid = Number((await sh('docker inspect -f "{{.State.Pid}}" web')).trim());
      const hostPid = hostPidOf(pid);
      const cgroups = readFileSync(`/proc/${hostPid}/cgroup`, 'utf8');
      expect(cgroups).toMatch(new RegExp(`:memory:${cgroupParent}/${box.id}/dockyard/${id}$`, 'm'));
      // It runs as the box's root: the same user namespace, not a new one.
      expect(execFileSync('readlink', [`/proc/${hostPid}/ns/user`], { encoding: 'utf8' })).toBe(
        execFileSync('readlink', [`/proc/${box.pid}/ns/user`], { encoding: 'utf8' }),
      );
      // Its network namespace has eth0 on the box's own bridge.
      expect(await sh('docker exec web ip -o -4 addr show eth0')).toMatch(/inet 10\.88\.\d+\.\d+\/16/);
      expect(await sh('ip -o link show dy0')).toMatch(/dy0/);
      expect(await sh('docker exec web ping -c1 -W2 10.88.0.1 >/dev/null && echo reached')).toBe('reached\n');
    } finally {
      await sh('docker rm -f web');
    }
    expect(await sh('docker ps -aq')).toBe('');
  });

  it('gives an interactive shell under a PTY', async () => {
    const stateDir = join(manager.terminalsDir(box.id), `t-${suffix}`);
    await manager.startTerminal(box.id, stateDir, { rows: 24, cols: 100 });
    const attachment = attachShim(stateDir, { replay: true, stdin: true });
    let output = '';
    attachment.onStdout((data) => {
      output += data.toString('utf8');
    });
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 600 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
      expect(output).toMatch(pattern);
    };
    try {
      attachment.write('docker run --rm -it busybox sh\n');
      // busybox's prompt inside the nested container (followed by a cursor-position query)
      await waitFor(/^\/ # /m);
      attachment.write('echo ne""sted; exit\n');
      await waitFor(/^nested\r?$/m);
      // Back at the box's own shell once the container is gone.
      await waitFor(/^nested\r?$[\s\S]*root@lab:~# /m);
      attachment.write('echo "done $((40+2))"; exit\n');
      await waitFor(/done 42/);
    } finally {
      attachment.close();
    }
    expect(await sh('docker ps -aq')).toBe('');
  });
});

/** Host pid of a process given by its pid in the box's pid namespace. */
function hostPidOf(boxPid: number): number {
  for (const entry of readdirCgroupProcs()) {
    const status = readFileSync(`/proc/${entry}/status`, 'utf8');
    const nspid =
      status
        .match(/^NSpid:\s*(.*)$/m)?.[1]
        ?.trim()
        .split(/\s+/)
        .map(Number) ?? [];
    if (nspid[1] === boxPid) return entry;
  }
  throw new Error(`no host process for box pid ${boxPid}`);
}

function readdirCgroupProcs(): number[] {
  const dir = `/sys/fs/cgroup/pids${cgroupParent}/${box.id}`;
  const pids: number[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n'))
      if (line) pids.push(Number(line));
    for (const e of execFileSync('find', [d, '-mindepth', '1', '-maxdepth', '1', '-type', 'd'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean))
      walk(e);
  };
  walk(dir);
  return pids;
}
