import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import {
  type RunOptions as BaseRunOptions,
  BIN,
  IsolatedEngine,
  type Result,
  runProcess,
  waitFor,
} from '../isolated-engine.js';

export { BIN, cgroupBases, type Result, runProcess, waitFor } from '../isolated-engine.js';

/** The reference client: Debian's docker.io (20.10, API 1.41). */
export const DOCKER = '/usr/bin/docker';
/** A newer client some machines have; tests use it only when present. */
export const NEW_DOCKER = '/usr/local/bin/docker';

export interface RunOptions extends BaseRunOptions {
  /** Client binary (default the Debian one). */
  bin?: string;
}

/**
 * One engine API daemon per test file, isolated like test/engine's engines: own state root, run dir,
 * cgroup parent, bridge/chain prefixes and subnets. `docker()` runs a real docker client against it.
 */
export class ApiTestDaemon extends IsolatedEngine {
  constructor() {
    super('a', 'api');
  }

  readonly socket = `${this.run}/docker.sock`;
  readonly dockerConfig = `${this.base}/docker-config`;
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
    await this.stopDaemon();
    await this.startDaemon();
  }

  /** SIGTERM, and waits for the daemon to exit. */
  async stopDaemon(): Promise<void> {
    const old = this.daemon;
    if (old && old.exitCode === null) {
      const exited = new Promise((r) => old.once('exit', r));
      old.kill('SIGTERM');
      await exited;
    }
  }

  /** SIGKILL: a crash, leaving whatever the daemon held. */
  killDaemon(): void {
    this.daemon?.kill('SIGKILL');
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

  /** Removes every container, the daemon, mounts, cgroups, bridges/rules and the state dirs. */
  async teardown(): Promise<void> {
    await this.removeContainers();
    if (this.daemon && this.daemon.exitCode === null) {
      const exited = new Promise((r) => this.daemon?.once('exit', r));
      this.daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.daemon.exitCode === null) this.daemon.kill('SIGKILL');
    }
    await this.removeHostState();
    // An exit cleanup that was already on its way may recreate a lock dir: give it a moment, remove again.
    await new Promise((r) => setTimeout(r, 500));
    await fs.rm(this.base, { recursive: true, force: true });
    await fs.rm(this.run, { recursive: true, force: true });
  }
}
