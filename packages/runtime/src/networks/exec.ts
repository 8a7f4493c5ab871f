import { execFile } from 'node:child_process';
import { NetworkError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host tool and resolves with its exit code instead of throwing. */
export function tryRun(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new NetworkError('command_failed', `${cmd}: ${err.message}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) {
      // A tool that exits without reading its input must not crash us with EPIPE; its exit code tells.
      child.stdin?.on('error', () => {});
      child.stdin?.end(input);
    }
  });
}

export async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await tryRun(cmd, args, input);
  if (r.code !== 0) {
    throw new NetworkError(
      'command_failed',
      `${cmd} ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  }
  return r.stdout;
}

/** Runs a command inside the network namespace at `netnsPath` (a /proc/<pid>/ns/net or a bind-mounted file). */
export function runInNetns(netnsPath: string, cmd: string, args: string[], input?: string): Promise<string> {
  return run('nsenter', [`--net=${netnsPath}`, '--', cmd, ...args], input);
}
