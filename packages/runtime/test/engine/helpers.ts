import { promises as fs } from 'node:fs';
import { IsolatedEngine, type Result, runProcess } from '../isolated-engine.js';

export { BIN, cgroupBases, type Result, waitFor } from '../isolated-engine.js';

/** One isolated engine per test file, driven through the dockyard CLI. */
export class TestEngine extends IsolatedEngine {
  constructor() {
    super('e', 'eng');
  }

  /** Runs and expects exit 0; returns trimmed stdout. */
  async ok(args: string[], opts: { input?: string | Buffer } = {}): Promise<string> {
    const r = await this.dy(args, opts);
    if (r.code !== 0) throw new Error(`dockyard ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  }

  async setup(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await this.ok(['image', 'import-base', 'busybox']);
  }

  async teardown(): Promise<void> {
    await this.removeContainers();
    await this.removeHostState();
  }
}

export function runCmd(cmd: string, args: string[]): Promise<Result> {
  return runProcess(cmd, args, {}).catch(() => ({ code: -1, stdout: '', stderr: '' }));
}
