import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../config.js';

export interface SpawnResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

interface Pending {
  resolve: (r: SpawnResult) => void;
  reject: (e: Error) => void;
}

const HEADER = 20;

/**
 * One dyspawn helper (native/src/dyspawn): runs commands one after another and answers in order. Forking a
 * Node process costs time in proportion to its heap; the helper is small and uses posix_spawn.
 */
class Helper {
  private readonly child: ChildProcess;
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  dead = false;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', () => this.fail(new Error('dyspawn exited')));
    this.child.stdin?.on('error', (e) => this.fail(e));
    this.child.stdout?.on('data', (d: Buffer) => this.onData(d));
    this.idle();
  }

  get load(): number {
    return this.pending.length;
  }

  run(argv: string[], input: Buffer): Promise<SpawnResult> {
    const strings = Buffer.from(argv.map((a) => `${a}\0`).join(''));
    const head = Buffer.alloc(12);
    head.writeUInt32LE(8 + strings.length + input.length, 0);
    head.writeUInt32LE(argv.length, 4);
    head.writeUInt32LE(input.length, 8);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.busy();
      this.child.stdin?.write(Buffer.concat([head, strings, input]));
    });
  }

  private onData(d: Buffer) {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, d]) : d;
    while (this.buffered.length >= 4) {
      const len = this.buffered.readUInt32LE(0);
      if (this.buffered.length < 4 + len) return;
      const kind = this.buffered.readInt32LE(4);
      const code = this.buffered.readInt32LE(8);
      const outLen = this.buffered.readUInt32LE(12);
      const errLen = this.buffered.readUInt32LE(16);
      const stdout = Buffer.from(this.buffered.subarray(HEADER, HEADER + outLen));
      const stderr = Buffer.from(this.buffered.subarray(HEADER + outLen, HEADER + outLen + errLen));
      this.buffered = this.buffered.subarray(4 + len);
      const waiter = this.pending.shift();
      if (!this.pending.length) this.idle();
      if (!waiter) continue;
      if (kind === 2) {
        const e = new Error(`spawn failed: errno ${code}`) as NodeJS.ErrnoException;
        e.code = code === 2 ? 'ENOENT' : code === 13 ? 'EACCES' : `E${code}`;
        waiter.reject(e);
      } else {
        waiter.resolve({ code: kind === 1 ? 128 + code : code, stdout, stderr });
      }
    }
  }

  close() {
    this.fail(new Error('dyspawn closed'));
  }

  private fail(e: Error) {
    if (this.dead) return;
    this.dead = true;
    for (const p of this.pending.splice(0)) p.reject(e);
    this.child.kill();
  }

  // While nothing is pending, the helper must not keep a CLI process alive.
  private idle() {
    this.child.unref();
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }

  private busy() {
    this.child.ref();
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
    (this.child.stdin as unknown as { ref?: () => void }).ref?.();
  }
}

// A helper runs one command at a time: a long one (a base image build) must not hold up short ones, so a busy
// pool grows, up to a bound. Idle helpers cost about a megabyte each.
const POOL_SIZE = 8;
const pool: Helper[] = [];
const binary = path.join(packageRoot, 'native/bin/dyspawn');
let available = process.env.DOCKYARD_NO_SPAWN_HELPER !== '1' && existsSync(binary);

/**
 * A helper of its own, outside the pool, for state that must stay in one process (a sealed copy of a binary);
 * undefined when helpers are unavailable.
 */
export function privateHelper(): Pick<Helper, 'run' | 'dead' | 'close'> | undefined {
  if (!available) return undefined;
  try {
    return new Helper(binary);
  } catch {
    return undefined;
  }
}

/**
 * Runs a short command through a dyspawn helper, or undefined when there is none (not built, or it broke):
 * the caller then spawns the command itself.
 */
export function spawnViaHelper(argv: string[], input: Buffer): Promise<SpawnResult> | undefined {
  if (!available) return undefined;
  for (let i = pool.length - 1; i >= 0; i--) if (pool[i]?.dead) pool.splice(i, 1);
  let helper = pool.find((h) => h.load === 0);
  if (!helper && pool.length < POOL_SIZE) {
    try {
      helper = new Helper(binary);
    } catch {
      available = false;
      return undefined;
    }
    pool.push(helper);
  }
  helper ??= pool.reduce((a, b) => (b.load < a.load ? b : a));
  return helper.run(argv, input);
}
