import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EngineConfig } from '../config.js';
import { builtinOk, sealedCopy } from '../util/builtins.js';
import { run } from '../util/exec.js';

/** The low-level OCI runtime (dyrt, runc or crun: same command line). */
export class OciRuntime {
  constructor(private readonly cfg: EngineConfig) {}

  get root(): string {
    return path.join(this.cfg.run, 'runtime');
  }
  get path(): string {
    return this.cfg.runtime;
  }

  exec(args: string[], input?: string) {
    return run(this.cfg.runtime, ['--root', this.root, ...args], { input });
  }

  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.exec(args, input);
    if (r.code !== 0)
      throw new Error(cleanRuntimeError(r.stderr) || `${path.basename(this.cfg.runtime)} ${args[0]} failed`);
    return r.stdout;
  }

  /** Set by a long-running daemon: dyrt creates and execs run from one sealed copy instead of copying dyrt each time. */
  useSealedCopy = false;

  /**
   * The runtime binary for dyshim to create and exec with. dyrt copies itself into sealed memory first (so a
   * container cannot overwrite it on the host); started from a sealed copy kept by the daemon, it skips that.
   */
  async shimRuntime(): Promise<string> {
    if (!this.useSealedCopy || this.cfg.runtimeName !== 'dyrt') return this.cfg.runtime;
    return (await sealedCopy(this.cfg.runtime)) ?? this.cfg.runtime;
  }

  /**
   * Starts a created container. dyrt's `start` only reads the byte its init writes to the exec fifo (and runs
   * poststart hooks, which the engine never sets): the spawn helper does that without starting a dyrt process.
   */
  async start(id: string, initPid: number): Promise<void> {
    if (this.cfg.runtimeName !== 'dyrt') {
      await this.ok(['start', id]);
      return;
    }
    await builtinOk('exec-fifo-start', [path.join(this.root, id, 'exec.fifo'), String(initPid)]);
  }

  /** Whether the runtime still has state for id (runc, crun and dyrt keep it in <root>/<id>). */
  async hasState(id: string): Promise<boolean> {
    return existsSync(path.join(this.root, id));
  }

  async state(id: string): Promise<{ status: string; pid: number } | undefined> {
    const r = await this.exec(['state', id]);
    if (r.code !== 0) return undefined;
    try {
      const s = JSON.parse(r.stdout) as { status: string; pid: number };
      return s;
    } catch {
      return undefined;
    }
  }

  async pids(id: string): Promise<number[]> {
    const out = await this.ok(['ps', '--format', 'json', id]);
    const parsed = JSON.parse(out) as number[] | null;
    return parsed ?? [];
  }
}

/** runc and friends prefix errors with log-level noise; keep the human part. */
export function cleanRuntimeError(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .map((l) => {
      const m = /msg="([^"]*)"/.exec(l);
      return (m?.[1] ?? l).replace(/^(dyrt|runc|crun):\s*/, '').trim();
    })
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
