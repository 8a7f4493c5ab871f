import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ExitRecord, readShimPid, type ShimAttachment } from '../../src/shim/index.js';

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const dyrtPath = fileURLToPath(new URL('../../native/bin/dyrt', import.meta.url));

export function busyboxRootfs(): string {
  return execFileSync('bash', [join(repoRoot, 'infra/images/build.sh'), 'busybox'], {
    encoding: 'utf8',
  }).trim();
}

function which(name: string): string {
  return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}

/** Does this runtime run a trivial container? */
function runtimeWorks(runtime: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'shim-probe-'));
  try {
    const bundle = join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(ociSpec({ args: ['true'], tty: false })));
    const id = `shim-probe-${randomBytes(4).toString('hex')}`;
    execFileSync(runtime, ['--root', join(dir, 'root'), 'run', '--bundle', bundle, id], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let resolvedRuntime: string | undefined;

/**
 * The OCI runtime under test: $DOCKYARD_OCI_RUNTIME (dyrt | runc | crun | a path);
 * by default our dyrt when it is built and runs a container, else runc.
 */
export function ociRuntime(): string {
  if (resolvedRuntime) return resolvedRuntime;
  const wanted = process.env.DOCKYARD_OCI_RUNTIME;
  if (wanted === 'dyrt') resolvedRuntime = dyrtPath;
  else if (wanted === 'runc' || wanted === 'crun') resolvedRuntime = which(wanted);
  else if (wanted) resolvedRuntime = wanted;
  else resolvedRuntime = existsSync(dyrtPath) && runtimeWorks(dyrtPath) ? dyrtPath : which('runc');
  return resolvedRuntime;
}

export interface SpecOptions {
  args: string[];
  tty: boolean;
  env?: string[];
}

const defaultEnv = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'];
const capabilities = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function processSpec(opts: SpecOptions) {
  return {
    terminal: opts.tty,
    user: { uid: 0, gid: 0 },
    args: opts.args,
    env: opts.env ?? defaultEnv,
    cwd: '/',
    capabilities: {
      bounding: capabilities,
      effective: capabilities,
      permitted: capabilities,
      ambient: capabilities,
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  };
}

/** The same shape `runc spec` generates, with the shared busybox rootfs mounted read-only. */
export function ociSpec(opts: SpecOptions) {
  return {
    ociVersion: '1.0.2',
    process: processSpec(opts),
    root: { path: busyboxRootfs(), readonly: true },
    hostname: 'shimtest',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/**
 * A scratch area for one test: bundles, state dirs and the runtime's root live
 * under one temp dir; cleanup() force-deletes its containers, kills its shims
 * and removes the dir.
 */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'dyshim-test-'));
  readonly runtime = ociRuntime();
  readonly runtimeRoot = join(this.dir, 'runtime-root');
  private readonly ids = new Set<string>();
  private readonly stateDirs = new Set<string>();
  private readonly pids = new Set<number>();

  newId(): string {
    const id = `shimtest-${randomBytes(5).toString('hex')}`;
    this.ids.add(id);
    return id;
  }

  bundle(opts: SpecOptions, mutate?: (spec: ReturnType<typeof ociSpec>) => void): string {
    const bundle = mkdtempSync(join(this.dir, 'bundle-'));
    const spec = ociSpec(opts);
    mutate?.(spec);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    return bundle;
  }

  processFile(opts: SpecOptions): string {
    const path = join(mkdtempSync(join(this.dir, 'process-')), 'process.json');
    writeFileSync(path, JSON.stringify(processSpec(opts)));
    return path;
  }

  /** A state dir path (not created: the shim creates it); `padding` makes the path longer. */
  stateDir(padding = 0): string {
    const dir = join(this.dir, `state-${randomBytes(4).toString('hex')}${'-'.repeat(padding)}`);
    this.stateDirs.add(dir);
    return dir;
  }

  /** Remember a process to kill at cleanup (e.g. a helper that spawned a shim). */
  track(pid: number): void {
    this.pids.add(pid);
  }

  async runtimeCmd(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(this.runtime, ['--root', this.runtimeRoot, ...args]);
    return stdout;
  }

  async start(id: string): Promise<void> {
    await this.runtimeCmd('start', id);
  }

  async cleanup(): Promise<void> {
    for (const id of this.ids) {
      await this.runtimeCmd('delete', '--force', id).catch(() => undefined);
    }
    for (const dir of this.stateDirs) {
      const shimPid = await readShimPid(dir).catch(() => null);
      if (shimPid !== null && isShim(shimPid)) this.pids.add(shimPid);
    }
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function isShim(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dyshim';
  } catch {
    return false;
  }
}

function statusKiB(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} for ${pid}`);
  return Number(match[1]);
}

/** Resident memory now. */
export function vmRssKiB(pid: number): number {
  return statusKiB(pid, 'VmRSS');
}

/** Peak resident memory so far. */
export function vmHwmKiB(pid: number): number {
  return statusKiB(pid, 'VmHWM');
}

/** Polls until check() is truthy; fails with `what` after the deadline (a hang guard, not a timing assertion). */
export async function waitFor(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records everything an attachment receives, with promises to wait on. */
export class Collector {
  private readonly stdoutChunks: Buffer[] = [];
  private readonly stderrChunks: Buffer[] = [];
  stdoutBytes = 0;
  stdoutBeforeReplayEnd = -1;
  exit: ExitRecord | undefined;
  closeError: Error | undefined;
  readonly replayEnd: Promise<void>;
  readonly exited: Promise<ExitRecord>;
  readonly closed: Promise<void>;

  constructor(
    readonly attachment: ShimAttachment,
    private readonly keep = true,
  ) {
    attachment.onStdout((b) => {
      this.stdoutBytes += b.length;
      if (this.keep) this.stdoutChunks.push(b);
    });
    attachment.onStderr((b) => this.stderrChunks.push(b));
    this.replayEnd = new Promise((resolve, reject) => {
      attachment.onReplayEnd(() => {
        this.stdoutBeforeReplayEnd = this.stdoutBytes;
        resolve();
      });
      attachment.onClose((err) => reject(err ?? new Error('attachment closed before REPLAY_END')));
    });
    this.replayEnd.catch(() => undefined);
    this.exited = new Promise((resolve, reject) => {
      attachment.onExit((exit) => {
        this.exit = exit;
        resolve(exit);
      });
      attachment.onClose((err) => {
        if (!this.exit) reject(err ?? new Error('attachment closed before EXIT'));
      });
    });
    this.exited.catch(() => undefined);
    this.closed = new Promise((resolve) =>
      attachment.onClose((err) => {
        this.closeError = err;
        resolve();
      }),
    );
  }

  get stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  stdoutBuffer(): Buffer {
    return Buffer.concat(this.stdoutChunks);
  }

  async waitStdout(pattern: string | RegExp): Promise<string> {
    const found = () => {
      const text = this.stdout;
      return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
    };
    await waitFor(
      () => `stdout to contain ${pattern} (got ${JSON.stringify(this.stdout.slice(-300))})`,
      found,
    );
    return this.stdout;
  }
}
