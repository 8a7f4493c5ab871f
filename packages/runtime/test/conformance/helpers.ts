// Builds OCI bundles from the busybox image and runs them under dyrt, runc and crun.
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));
export const nativeDir = resolve(here, '../../native');
export const repoRoot = resolve(here, '../../../..');
export const dyrtPath = join(nativeDir, 'bin/dyrt');
export const recvttyPath = join(here, 'fixtures/recvtty');

export const RUNTIMES = ['dyrt', 'runc', 'crun'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** Prefix of every container id, cgroup and temp dir the conformance tests create (leak checks use it). */
export const TEST_PREFIX = 'dyrtconf';

export function runtimeBinary(rt: RuntimeName): string {
  return rt === 'dyrt' ? dyrtPath : rt;
}

export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}

let prepared = false;
/** Builds dyrt and the test fixtures, and makes crun usable on a cgroup v1 hybrid host. */
export function prepareHost(): void {
  if (prepared) return;
  execFileSync('make', ['-C', nativeDir, 'dyrt', 'dyrt-test-fixtures'], { stdio: 'ignore' });
  // crun refuses hybrid hosts while a controller (hugetlb) sits on the v2 mount: give it its v1 hierarchy.
  const unified = '/sys/fs/cgroup/unified/cgroup.controllers';
  if (existsSync(unified) && readFileSync(unified, 'utf8').trim() !== '') {
    for (const ctrl of readFileSync(unified, 'utf8').trim().split(/\s+/)) {
      const dir = `/sys/fs/cgroup/${ctrl}`;
      execFileSync('mkdir', ['-p', dir]);
      execFileSync('mount', ['-t', 'cgroup', '-o', ctrl, 'cgroup', dir]);
    }
  }
  prepared = true;
}

let busyboxRootfs: string | undefined;
export function busyboxImage(): string {
  if (!busyboxRootfs) {
    busyboxRootfs = execFileSync('bash', [join(repoRoot, 'infra/images/build.sh'), 'busybox'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
  }
  if (!busyboxRootfs) throw new Error('busybox image not built');
  return busyboxRootfs;
}

const mountSchema = z.object({
  destination: z.string(),
  type: z.string().optional(),
  source: z.string().optional(),
  options: z.array(z.string()).optional(),
});
const configSchema = z
  .object({
    ociVersion: z.string(),
    process: z
      .object({
        terminal: z.boolean().optional(),
        user: z.object({ uid: z.number(), gid: z.number(), additionalGids: z.array(z.number()).optional() }),
        args: z.array(z.string()),
        env: z.array(z.string()),
        cwd: z.string(),
        capabilities: z.record(z.string(), z.array(z.string())).optional(),
        rlimits: z.array(z.object({ type: z.string(), hard: z.number(), soft: z.number() })).optional(),
        noNewPrivileges: z.boolean().optional(),
      })
      .passthrough(),
    root: z.object({ path: z.string(), readonly: z.boolean().optional() }),
    hostname: z.string().optional(),
    mounts: z.array(mountSchema),
    linux: z
      .object({
        namespaces: z.array(z.object({ type: z.string(), path: z.string().optional() })),
        maskedPaths: z.array(z.string()).optional(),
        readonlyPaths: z.array(z.string()).optional(),
        cgroupsPath: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type OciConfig = z.infer<typeof configSchema>;

export interface Bundle {
  dir: string;
  rootfs: string;
  config: OciConfig;
}

/** A bundle like `runc spec` makes, with its own copy of the busybox rootfs, adjusted by `adjust`. */
export function makeBundle(adjust: (c: OciConfig) => void, opts: { chownTo?: number } = {}): Bundle {
  const dir = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-bundle-`));
  const rootfs = join(dir, 'rootfs');
  execFileSync('cp', ['-a', busyboxImage(), rootfs]);
  execFileSync('runc', ['spec', '--bundle', dir]);
  const config = configSchema.parse(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  config.process.terminal = false;
  config.hostname = 'dyrtconf';
  adjust(config);
  writeBundleConfig({ dir, rootfs, config });
  if (opts.chownTo !== undefined) {
    execFileSync('chown', ['-R', '-h', `${opts.chownTo}:${opts.chownTo}`, dir]);
  }
  return { dir, rootfs, config };
}

export function writeBundleConfig(b: Bundle): void {
  writeFileSync(join(b.dir, 'config.json'), JSON.stringify(b.config, null, 2));
}

export function removeBundle(b: Bundle): void {
  rmSync(b.dir, { recursive: true, force: true });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `<runtime> --root <root> args...` and collects its output. stdout/stderr go to files, not pipes:
 * after `create` the container's init keeps the runtime's stdio open long after the runtime exits.
 */
export function runtimeCmd(
  rt: RuntimeName,
  root: string,
  args: string[],
  opts: { cwd?: string; onSpawn?: (pid: number) => void } = {},
): Promise<RunResult> {
  const outDir = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-out-`));
  const outPath = join(outDir, 'stdout');
  const errPath = join(outDir, 'stderr');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  return new Promise<RunResult>((resolvePromise, reject) => {
    const child = spawn(runtimeBinary(rt), ['--root', root, ...args], {
      cwd: opts.cwd,
      stdio: ['ignore', out, err],
    });
    closeSync(out);
    closeSync(err);
    child.on('error', reject);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.on('exit', (code, signal) => {
      resolvePromise({
        code: code ?? 128 + (signal ? osConstants.signals[signal] : 0),
        stdout: readFileSync(outPath, 'utf8'),
        stderr: readFileSync(errPath, 'utf8'),
      });
    });
  }).finally(() => rmSync(outDir, { recursive: true, force: true }));
}

/** One runtime's scratch space: its state root and the containers it created. */
export class RuntimeSession {
  readonly root: string;
  private readonly ids = new Set<string>();
  private readonly bundles: Bundle[] = [];

  constructor(readonly rt: RuntimeName) {
    this.root = mkdtempSync(join(tmpdir(), `${TEST_PREFIX}-root-${rt}-`));
  }

  newId(): string {
    const id = `${TEST_PREFIX}-${this.rt}-${randomSuffix()}`;
    this.ids.add(id);
    return id;
  }

  /** A bundle whose cgroup is named after the container (so leaks are traceable). */
  bundle(id: string, adjust: (c: OciConfig) => void, opts: { chownTo?: number } = {}): Bundle {
    const b = makeBundle((c) => {
      c.linux.cgroupsPath = `/${id}`;
      adjust(c);
    }, opts);
    this.bundles.push(b);
    return b;
  }

  cmd(args: string[], opts: { cwd?: string; onSpawn?: (pid: number) => void } = {}): Promise<RunResult> {
    return runtimeCmd(this.rt, this.root, args, opts);
  }

  run(id: string, b: Bundle): Promise<RunResult> {
    return this.cmd(['run', '--bundle', b.dir, id]);
  }

  async state(id: string): Promise<{ status: string; pid: number }> {
    const r = await this.cmd(['state', id]);
    if (r.code !== 0) throw new Error(`state ${id}: ${r.stderr}`);
    return z.object({ status: z.string(), pid: z.number() }).passthrough().parse(JSON.parse(r.stdout));
  }

  async waitStatus(id: string, status: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      // The container may not exist yet while a concurrent `run` is still creating it.
      const r = await this.cmd(['state', id]);
      if (r.code === 0 && (JSON.parse(r.stdout) as { status?: string }).status === status) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${id} never reached ${status}`);
  }

  async cleanup(): Promise<void> {
    for (const id of this.ids) await this.cmd(['delete', '--force', id]);
    this.ids.clear();
    for (const b of this.bundles) removeBundle(b);
    this.bundles.length = 0;
  }

  destroy(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs the same adjusted bundle under every runtime and returns each result. */
export async function runEverywhere(
  sessions: Record<RuntimeName, RuntimeSession>,
  adjust: (c: OciConfig) => void,
  opts: { chownTo?: number } = {},
): Promise<Record<RuntimeName, RunResult>> {
  const out = {} as Record<RuntimeName, RunResult>;
  for (const rt of RUNTIMES) {
    const s = sessions[rt];
    const id = s.newId();
    const b = s.bundle(id, adjust, opts);
    out[rt] = await s.run(id, b);
    await s.cleanup();
  }
  return out;
}

export function sh(script: string): (c: OciConfig) => void {
  return (c) => {
    c.process.args = ['sh', '-c', script];
  };
}

const isCgroupV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/** A container's cgroup setting read from the host, the same question on cgroup v1 and v2. */
export function cgroupSetting(
  id: string,
  what: 'memory-limit' | 'pids-max' | 'frozen' | 'procs' | 'exists',
): string {
  const read = (p: string) => readFileSync(p, 'utf8').trim();
  const v1 = (ctrl: string, file: string) => `/sys/fs/cgroup/${ctrl}/${id}/${file}`;
  const v2 = (file: string) => `/sys/fs/cgroup/${id}/${file}`;
  switch (what) {
    case 'memory-limit':
      return read(isCgroupV2 ? v2('memory.max') : v1('memory', 'memory.limit_in_bytes'));
    case 'pids-max':
      return read(isCgroupV2 ? v2('pids.max') : v1('pids', 'pids.max'));
    case 'frozen':
      return isCgroupV2
        ? String(read(v2('cgroup.events')).includes('frozen 1'))
        : String(read(v1('freezer', 'freezer.state')) === 'FROZEN');
    case 'procs':
      return read(isCgroupV2 ? v2('cgroup.procs') : v1('pids', 'cgroup.procs'));
    case 'exists':
      return String(existsSync(isCgroupV2 ? v2('') : v1('memory', '')));
  }
}

/** cgroup directories left behind by these tests, in any hierarchy. */
export function leakedCgroups(): string[] {
  const leaks: string[] = [];
  const base = '/sys/fs/cgroup';
  const dirs = [base, ...readdirSync(base).map((d) => join(base, d))];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries) if (e.startsWith(TEST_PREFIX)) leaks.push(join(dir, e));
  }
  return leaks;
}

/** Mount points that mention the tests' prefix (bundles, state roots). */
export function leakedMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(TEST_PREFIX));
}

export function hostNsInode(type: string): string {
  return execFileSync('readlink', [`/proc/self/ns/${type}`], { encoding: 'utf8' }).trim();
}
