import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachShim } from '@dockyard/runtime/shim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BoxRecord } from '../src/boxes/manager.js';
import { type NestedBox, startNestedBox } from './nested-box.js';

// The nested engine as a student meets it: `docker` in a lab box runs our engine inside the box's user
// namespace, cgroup subtree and network namespace, with the host's toolchain bound read-only.
const suffix = Math.random().toString(16).slice(2, 6);
let lab: NestedBox;
let box: BoxRecord;
let cgroupParent: string;
const sh = (script: string) => lab.sh(script);

// Both ways `docker` can be in a box (SANDBOXD_BOX_DOCKER): our daemonless CLI, and Docker's own client talking to
// a nested `dockyard daemon` that box-init starts on first use. The same scenarios must hold for each.
describe.each(['cli', 'client'] as const)('docker inside a lab box (%s)', (mode) => {
  beforeAll(async () => {
    lab = await startNestedBox({
      part: 'nest',
      subnetOctet: 234,
      idBase: 9_000_000,
      owner: 'nested-student',
      images: ['busybox', 'debian'],
      docker: mode,
    });
    box = lab.box;
    cgroupParent = lab.cgroupParent;
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('is the docker of its mode, and dockyard stays our CLI', async () => {
    const version = await sh('docker --version');
    if (mode === 'client') {
      expect(version).toMatch(/^Docker version 20\.10\./);
      expect(await sh('echo $DOCKER_HOST')).toBe('unix:///run/docker.sock\n');
      const server = await sh('docker version --format "{{.Server.APIVersion}}"');
      expect(server.trim()).toMatch(/^1\.\d+$/);
    } else {
      expect(version).not.toMatch(/^Docker version 20\.10\./);
      expect(await sh('echo "[$DOCKER_HOST]"')).toBe('[]\n');
    }
    expect(await sh('cmp /usr/local/bin/dockyard /opt/dockyard/bin/dockyard && echo ours')).toBe('ours\n');
  });

  it('runs a throw-away busybox container', async () => {
    expect(await sh('docker run --rm busybox echo hi')).toBe('hi\n');
    // Its state is in the box, on a tmpfs of its own (an overlay upper dir cannot live on the box's overlay).
    expect((await sh('findmnt -n -o FSTYPE /var/lib/dockyard')).trim()).toBe('tmpfs');
    expect((await sh('docker ps -aq | wc -l')).trim()).toBe('0');
  });

  // The engine's own import path, the same in both modes (client mode passed it too); once keeps the suite short.
  if (mode === 'cli')
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
      // Every veth in the box is its own eth0 or a container's port on dy0: no spares a student would wonder about.
      expect(await sh('ip -o link show type veth | grep -c "master dy0"')).toBe('1\n');
      expect(
        (await sh('ip -o link show type veth | grep -v "master dy0" | grep -v " eth0@" | wc -l')).trim(),
      ).toBe('0');
      expect(await sh('docker exec web ping -c1 -W2 10.88.0.1 >/dev/null && echo reached')).toBe('reached\n');
    } finally {
      await sh('docker rm -f web');
    }
    expect(await sh('docker ps -aq')).toBe('');
  });

  it('gives an interactive shell under a PTY', async () => {
    const stateDir = join(lab.manager.terminalsDir(box.id), `t-${suffix}`);
    await lab.manager.startTerminal(box.id, stateDir, { rows: 24, cols: 100 });
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

  it('keeps working after a student kills every process in the box', async () => {
    await sh('docker run -d --name survivor busybox sleep 1000 >/dev/null');
    try {
      // kill -1 spares only PID 1 and the caller: the nested daemon (client mode) and the container go too.
      await sh('exec /bin/kill -9 -- -1');
      expect(existsSync(`/proc/${box.pid}`)).toBe(true);
      expect(await sh('docker run --rm busybox echo again')).toBe('again\n');
    } finally {
      await sh('docker rm -f survivor >/dev/null 2>&1 || true');
    }
  });
});

/** Host pid of a process given by its pid in the box's pid namespace. */
function hostPidOf(boxPid: number): number {
  for (const entry of readdirCgroupProcs()) {
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      continue; // a short-lived process of the box, gone already
    }
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
