import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetworkManager } from '../../src/networks/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(here, '../../bin/dockyard.mjs');
/** The reference client: Debian's docker.io (20.10, API 1.41). */
export const DOCKER = '/usr/bin/docker';
/** A newer client some machines have; tests use it only when present. */
export const NEW_DOCKER = '/usr/local/bin/docker';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Client binary (default the Debian one). */
  bin?: string;
}

/**
 * One engine API daemon per test file, isolated like test/engine's engines: own state root, run dir,
 * cgroup parent, bridge/chain prefixes and subnets. `docker()` runs a real docker client against it.
 */
export class ApiTestDaemon {
  readonly tag = randomBytes(3).toString('hex');
  readonly base = `/tmp/dya-${this.tag}`;
  readonly root = `${this.base}/root`;
  // Short on purpose: dyshim's attach.sock lives under it (unix socket paths are limited to 108 bytes).
  readonly run = `/run/dya-${this.tag}`;
  readonly socket = `${this.run}/docker.sock`;
  readonly dockerConfig = `${this.base}/docker-config`;
  readonly cgroupParent = `/dya-${this.tag}`;
  readonly bridgePrefix = `dya${this.tag.slice(0, 4)}`;
  readonly chainPrefix = `DYA${this.tag.slice(0, 4).toUpperCase()}`;
  readonly octet = 150 + (Number.parseInt(this.tag.slice(0, 2), 16) % 50);
  readonly env: NodeJS.ProcessEnv = {
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
  /** What the docker client gets: our socket, the classic builder, a private config dir. */
  readonly clientEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: this.base,
    DOCKER_HOST: `unix://${this.socket}`,
    DOCKER_BUILDKIT: '0',
    DOCKER_CONFIG: this.dockerConfig,
    DOCKER_CLI_HINTS: 'false',
  };
  private daemon: ChildProcess | undefined;
  daemonStderr = '';

  name(prefix = 'c'): string {
    return `api-${prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** Creates the dirs, imports busybox and starts `dockyard daemon` on this file's socket. */
  async setup(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.mkdir(this.dockerConfig, { recursive: true });
    const imported = await this.dy(['image', 'import-base', 'busybox']);
    if (imported.code !== 0) throw new Error(`import-base busybox: ${imported.stderr}`);
    await this.startDaemon();
  }

  private async startDaemon(): Promise<void> {
    this.daemon = spawn(process.execPath, [BIN, 'daemon', '--host', `unix://${this.socket}`], {
      env: this.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.daemon.stderr?.on('data', (d: Buffer) => {
      this.daemonStderr += d.toString();
    });
    await waitFor(async () => existsSync(this.socket) && (await this.ping()), 90_000);
  }

  /** Stops the daemon (SIGTERM, as an init system would) and starts a new one on the same state. */
  async restartDaemon(): Promise<void> {
    const old = this.daemon;
    if (old && old.exitCode === null) {
      const exited = new Promise((r) => old.once('exit', r));
      old.kill('SIGTERM');
      await exited;
    }
    await this.startDaemon();
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.request({ socketPath: this.socket, path: '/_ping', method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** The dockyard CLI on this engine's state (for setup and cross-checks). */
  dy(args: string[], opts: RunOptions = {}): Promise<Result> {
    return runProcess(process.execPath, [BIN, ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  /** A real docker client talking to this daemon. */
  docker(args: string[], opts: RunOptions = {}): Promise<Result> {
    return runProcess(opts.bin ?? DOCKER, args, { ...opts, env: { ...this.clientEnv, ...opts.env } });
  }

  /** Runs docker and expects exit 0; returns trimmed stdout. */
  async ok(args: string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.docker(args, opts);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  }

  spawnDocker(args: string[], opts: { bin?: string } = {}): ChildProcess {
    return spawn(opts.bin ?? DOCKER, args, { env: this.clientEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** A raw HTTP request on the socket (for what a client would never send). */
  request(
    method: string,
    urlPath: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socket,
          path: urlPath,
          method,
          headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Processes started for this engine (daemon, dyshim, runtimes), found by our dirs in their argv or env. */
  async processes(): Promise<number[]> {
    const pids: number[] = [];
    for (const p of await fs.readdir('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
      const cmd = await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes(this.run) || cmd.includes(this.root)) pids.push(Number(p));
    }
    return pids;
  }

  async mounts(): Promise<string[]> {
    const text = await fs.readFile('/proc/self/mountinfo', 'utf8');
    return text
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.base) || m.startsWith(this.run));
  }

  /** Removes every container, the daemon, mounts, cgroups, bridges/rules and the state dirs. */
  async teardown(): Promise<void> {
    const ids = (await this.dy(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await this.dy(['rm', '-f', ...ids]);
    if (this.daemon && this.daemon.exitCode === null) {
      const exited = new Promise((r) => this.daemon?.once('exit', r));
      this.daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
    }
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
    // An exit cleanup that was already on its way may recreate a lock dir: give it a moment, remove again.
    await new Promise((r) => setTimeout(r, 500));
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
