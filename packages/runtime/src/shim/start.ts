import { z } from 'zod';
import { run } from '../util/exec.js';
import { shimBinaryPath } from './paths.js';

export interface StartShimOptions {
  /** Container id as the OCI runtime knows it. */
  id: string;
  /** OCI bundle (required unless exec). */
  bundle?: string;
  /** The shim's own directory: shim.pid, pid, attach.sock, exit. */
  stateDir: string;
  /** OCI runtime binary (dyrt, runc, crun, or a path). */
  runtime: string;
  runtimeRoot?: string;
  tty?: boolean;
  /** Keep the container's stdin open for attached clients. */
  stdin?: boolean;
  logPath?: string;
  logMaxSize?: number;
  /** Rotated files kept beside the log: FILE.1 … FILE.N. */
  logMaxFiles?: number;
  /** Run an extra process in an existing container (`RUNTIME exec --detach`). */
  exec?: { processFile: string; execId: string };
  /** Run once the process has exited (detached, stdio /dev/null). */
  exitCommand?: { path: string; args?: string[] };
  /** A serving engine's socket told of the exit instead; the exit command runs only when none listens. */
  exitNotify?: string;
  /** Defaults to shimBinaryPath(). */
  shimPath?: string;
  env?: NodeJS.ProcessEnv;
}

export interface StartedShim {
  /** The container process (host pid). */
  pid: number;
  shimPid: number;
}

const StartedShimSchema = z.object({
  pid: z.number().int().positive(),
  shimPid: z.number().int().positive(),
});

/** The shim could not start the process; the message is the OCI runtime's (or the shim's) own. */
export class ShimStartError extends Error {
  override readonly name = 'ShimStartError';
  constructor(
    message: string,
    readonly id: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export function shimArgs(opts: StartShimOptions): string[] {
  const args = ['--id', opts.id, '--state-dir', opts.stateDir, '--runtime', opts.runtime];
  if (opts.bundle !== undefined) args.push('--bundle', opts.bundle);
  if (opts.runtimeRoot !== undefined) args.push('--runtime-root', opts.runtimeRoot);
  if (opts.tty) args.push('--tty');
  if (opts.stdin) args.push('--stdin');
  if (opts.logPath !== undefined) args.push('--log-path', opts.logPath);
  if (opts.logMaxSize !== undefined) args.push('--log-max-size', String(opts.logMaxSize));
  if (opts.logMaxFiles !== undefined) args.push('--log-max-files', String(opts.logMaxFiles));
  if (opts.exec) {
    args.push('--exec', '--process', opts.exec.processFile, '--exec-id', opts.exec.execId);
  }
  if (opts.exitCommand) {
    args.push('--exit-command', opts.exitCommand.path);
    for (const arg of opts.exitCommand.args ?? []) args.push('--exit-command-arg', arg);
  }
  if (opts.exitNotify !== undefined) args.push('--exit-notify', opts.exitNotify);
  return args;
}

/**
 * Starts a dyshim, which creates the container process through the OCI runtime
 * and stays with it, detached. Resolves once the process exists; for a
 * container (not exec) the caller then runs `RUNTIME start ID`.
 */
export function startShim(opts: StartShimOptions): Promise<StartedShim> {
  if (!opts.exec && opts.bundle === undefined) {
    return Promise.reject(new TypeError('startShim: bundle is required unless exec is given'));
  }
  const binary = opts.shimPath ?? shimBinaryPath();
  return run(binary, shimArgs(opts), { env: opts.env }).then(
    ({ code, stdout, stderr }) => {
      const errText = stderr.trim();
      if (code !== 0) {
        const reason = errText.replace(/^dyshim: /, '') || `dyshim exited with status ${code}`;
        throw new ShimStartError(reason, opts.id, code, errText);
      }
      const outText = stdout.trim();
      try {
        return StartedShimSchema.parse(JSON.parse(outText));
      } catch (err) {
        throw new ShimStartError(
          `unexpected dyshim output ${JSON.stringify(outText)} (${(err as Error).message})`,
          opts.id,
          code,
          errText,
        );
      }
    },
    (err: Error) => {
      throw new ShimStartError(`cannot run ${binary}: ${err.message}`, opts.id, null, '');
    },
  );
}
