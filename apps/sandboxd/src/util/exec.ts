import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed (${exitCode}): ${stderr.trim()}`);
    this.name = 'CommandError';
  }
}

/** Runs a host command without a shell; rejects with its stderr on failure. */
export function run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0] as string,
      argv.slice(1),
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const code =
            typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null;
          reject(new CommandError(argv, code, stderr || error.message));
        } else resolve(stdout);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Best-effort clean-up step: failures are returned, not thrown, so the rest of a teardown still runs. */
export async function attempt(step: () => Promise<unknown> | unknown): Promise<Error | null> {
  try {
    await step();
    return null;
  } catch (error) {
    return error as Error;
  }
}
