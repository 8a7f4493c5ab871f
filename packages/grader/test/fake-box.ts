import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BoxTarget, boxPids } from '../src/target.js';

/**
 * A stand-in for a lab box: a process tree in its own pid/mount/uts/ipc/net namespaces, placed in its own
 * cgroups (pids + memory + cpu + freezer), so the grader can be exercised against real kernel state. /tmp and /run
 * get their own tmpfs, since a copied mount namespace still writes through to the host's filesystems.
 */
export interface FakeBox {
  target: BoxTarget;
  /** Runs a shell command inside the box's namespaces and cgroup; resolves when it exits. */
  sh(command: string): { status: number; stdout: string; stderr: string };
  destroy(): void;
}

const CONTROLLERS = ['pids', 'memory', 'cpu', 'freezer'];

function cgroupRoots(): string[] {
  // v1/hybrid: one directory per controller; pure v2: the unified root.
  const v1 = CONTROLLERS.map((c) => `/sys/fs/cgroup/${c}`).filter((dir) =>
    existsSync(join(dir, 'cgroup.procs')),
  );
  return v1.length > 0 ? v1 : ['/sys/fs/cgroup'];
}

function removeTree(dir: string) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeTree(join(dir, entry.name));
  }
  rmdirSync(dir);
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export async function startFakeBox(): Promise<FakeBox> {
  const name = `dytest-grader-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  const dirs = cgroupRoots().map((root) => join(root, name));
  for (const dir of dirs) mkdirSync(dir);
  const join_ = dirs.map((dir) => `echo $$ > ${dir}/cgroup.procs`).join('; ');
  const child = spawn(
    'sh',
    [
      '-c',
      `${join_}; exec unshare --pid --fork --mount-proc --uts --ipc --net --mount --propagation private sh -c 'hostname box; ip link set lo up; mount -t tmpfs dybox /run; mkdir /run/netns; mount -t tmpfs dybox /tmp; exec sleep 3600'`,
    ],
    { stdio: 'ignore', detached: true },
  );
  child.unref();
  const [firstDir] = dirs as [string];
  let initPid = 0;
  for (let i = 0; i < 200 && initPid === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    for (const line of readFileSync(join(firstDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      // The box's short-lived setup processes (hostname, ip, mount) may be gone by the time we look.
      const status = readIfThere(`/proc/${line}/status`);
      const nsPid = status
        .match(/^NSpid:\s*(.*)$/m)?.[1]
        ?.trim()
        .split(/\s+/);
      if (
        nsPid &&
        nsPid.length > 1 &&
        nsPid.at(-1) === '1' &&
        readIfThere(`/proc/${line}/cmdline`).startsWith('sleep')
      ) {
        initPid = Number(line);
      }
    }
  }
  if (initPid === 0) {
    removeBox(dirs, 0);
    throw new Error('fake box did not start');
  }
  const target: BoxTarget = { initPid, cgroupDir: firstDir };
  return {
    target,
    sh(command) {
      const result = spawnSync(
        'sh',
        ['-c', `${join_}; exec nsenter -t ${initPid} -p -m -u -i -n -- sh -c "$0"`, command],
        { encoding: 'utf8', timeout: 20_000 },
      );
      return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
    destroy() {
      removeBox(dirs, initPid);
    },
  };
}

/** Thaws, kills and removes a fake box's cgroups (a frozen process only dies once thawed). */
function removeBox(dirs: string[], initPid: number) {
  const thaw = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const [file, value] of [
      ['freezer.state', 'THAWED'],
      ['cgroup.freeze', '0'],
    ]) {
      try {
        writeFileSync(join(dir, file as string), value as string);
      } catch {
        // not a freezer cgroup
      }
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory()) thaw(join(dir, entry.name));
  };
  for (const dir of dirs) thaw(dir);
  for (const dir of dirs) {
    for (let i = 0; i < 50; i++) {
      const all = boxPids({ initPid, cgroupDir: dir }).map(String);
      if (all.length === 0) break;
      for (const pid of all) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('sleep', ['0.05']);
    }
    removeTree(dir);
  }
}
