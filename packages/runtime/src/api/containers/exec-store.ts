import type { StartedExec } from '../../containers/exec.js';

/** What exec create stored (Docker's ExecConfig subset the engine runs). */
export interface ExecConfig {
  AttachStdin?: boolean | null;
  AttachStdout?: boolean | null;
  AttachStderr?: boolean | null;
  Tty?: boolean | null;
  Cmd: string[];
  Env?: string[] | null;
  WorkingDir?: string | null;
  User?: string | null;
  DetachKeys?: string | null;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  started?: StartedExec;
  running: boolean;
  exitCode: number | null;
}

/** Exec instances live in the server's memory, like dockerd's (they do not survive a restart of it). */
export const execs = new Map<string, ExecRecord>();
export const MAX_EXECS = 2000;

export const execIdsOf = (containerId: string) =>
  [...execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);

export function forgetExecsOf(containerId: string): void {
  for (const [k, e] of execs) if (e.containerId === containerId) execs.delete(k);
}
