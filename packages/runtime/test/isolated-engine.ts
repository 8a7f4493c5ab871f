import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkManager } from '../src/networks/index.js';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/dockyard.mjs');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * An engine of one test file, isolated from every other: its own state root, run dir, cgroup parent,
 * bridge/chain prefixes and subnets, so files never see each other's containers and teardown removes exactly
 * what they made. `kind` ('e' engine tests, 'a' API tests) keeps the two families' names and subnets apart.
 */
export class IsolatedEngine {
  readonly tag = randomBytes(3).toString('hex');
  readonly base: string;
  readonly root: string;
  // Short on purpose: dyshim's attach.sock lives under it (unix socket paths are limited to 108 bytes).
  readonly run: string;
  readonly cgroupParent: string;
  readonly bridgePrefix: string;
  readonly chainPrefix: string;
  readonly octet: number;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    kind: 'e' | 'a',
    private readonly namePrefix: string,
  ) {
    this.base = `/tmp/dy${kind}-${this.tag}`;
    this.root = `${this.base}/root`;
    this.run = `/run/dy${kind}-${this.tag}`;
    this.cgroupParent = `/dy${kind}-${this.tag}`;
    this.bridgePrefix = `dy${kind}${this.tag.slice(0, 4)}`;
    this.chainPrefix = `DY${kind.toUpperCase()}${this.tag.slice(0, 4).toUpperCase()}`;
    this.octet = (kind === 'e' ? 200 : 150) + (Number.parseInt(this.tag.slice(0, 2), 16) % 50);
    this.env = {
      ...process.env,
      DOCKYARD_ROOT: this.root,
      DOCKYARD_RUN: this.run,
      DOCKYARD_CGROUP_PARENT: this.cgroupParent,
      DOCKYARD_OCI_RUNTIME: process.env.DOCKYARD_OCI_RUNTIME || 'dyrt',
      DOCKYARD_BRIDGE_PREFIX: this.bridgePrefix,
      DOCKYARD_CHAIN_PREFIX: this.chainPrefix,
      DOCKYARD_DEFAULT_SUBNET: `10.${this.octet}.0.0/24`,
      DOCKYARD_USER_SUBNET_POOL: `10.${this.octet}.128.0/17`,
    };
  }

  name(prefix = 'c'): string {
    return `${this.namePrefix}-${prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** The dockyard CLI on this engine's state. */
  dy(args: string[], opts: RunOptions = {}): Promise<Result> {
    return runProcess(process.execPath, [BIN, ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  spawnCli(args: string[]) {
    return spawn(process.execPath, [BIN, ...args], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Mount points under this engine's dirs (from the host's mount table). */
  async mounts(): Promise<string[]> {
    const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
    return text
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.base) || m.startsWith(this.run));
  }

  /** Container cgroups under our parent, in every v1 controller and the v2 tree. */
  cgroups(): string[] {
    const found: string[] = [];
    for (const base of cgroupBases()) {
      const dir = path.join(base, this.cgroupParent);
      if (!existsSync(dir)) continue;
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) found.push(path.join(dir, e.name));
    }
    return found;
  }

  /** Processes started for this engine (daemon, dyshim, runtimes), found by our dirs in their argv. */
  async processes(): Promise<number[]> {
    const pids: number[] = [];
    for (const p of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
      const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(this.run) || cmd.includes(this.root)) pids.push(Number(p));
    }
    return pids;
  }

  async veths(): Promise<number> {
    const r = await runProcess('ip', ['-o', 'link', 'show', 'type', 'veth'], {});
    return r.stdout.split('\n').filter((l) => l.includes(`master ${this.bridgePrefix}`)).length;
  }

  /** Removes every container through the CLI. */
  protected async removeContainers(): Promise<void> {
    const ids = (await this.dy(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await this.dy(['rm', '-f', ...ids]);
  }

  /** Whatever is left on the host: processes, mounts, cgroups, bridges and rules, the state dirs. */
  protected async removeHostState(): Promise<void> {
    for (const pid of await this.processes()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    for (const m of (await this.mounts()).reverse()) await runProcess('umount', ['-l', m], {});
    for (const base of cgroupBases()) {
      const dir = path.join(base, this.cgroupParent);
      if (!existsSync(dir)) continue;
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) await fs.rmdir(path.join(dir, e.name)).catch(() => {});
      await fs.rmdir(dir).catch(() => {});
    }
    const nm = new NetworkManager({
      stateRoot: this.root,
      runRoot: this.run,
      bridgePrefix: this.bridgePrefix,
      chainPrefix: this.chainPrefix,
      defaultSubnet: this.env.DOCKYARD_DEFAULT_SUBNET,
      userSubnetPool: this.env.DOCKYARD_USER_SUBNET_POOL,
    });
    await nm.teardownHost().catch(() => {});
    await fs.rm(this.base, { recursive: true, force: true });
    await fs.rm(this.run, { recursive: true, force: true });
  }
}

export function cgroupBases(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  return readdirSync('/sys/fs/cgroup')
    .map((c) => path.join('/sys/fs/cgroup', c))
    .filter((p) => existsSync(path.join(p, 'cgroup.procs')));
}

export function runProcess(cmd: string, args: string[], opts: RunOptions): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
