import { run as runCommand } from '../util/exec.js';
import { NetworkError } from './errors.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host tool and resolves with its exit code instead of throwing. */
export async function tryRun(cmd: string, args: string[], input?: string): Promise<RunResult> {
  try {
    return await runCommand(cmd, args, { input });
  } catch (err) {
    throw new NetworkError('command_failed', `${cmd}: ${(err as Error).message}`);
  }
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
