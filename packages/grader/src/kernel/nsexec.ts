import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openInRoot } from '../safe-path.js';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const OUTPUT_LIMIT = 1024 * 1024;
const TIMEOUT_MS = 10_000;

function collect(argv: string[], extraFd?: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
    if (extraFd !== undefined) stdio.push(extraFd);
    const child = spawn(argv[0] as string, argv.slice(1), { stdio, timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? 128 + (signal ? 9 : 0), stdout, stderr }),
    );
  });
}

export type EnterableNamespace = 'net' | 'pid' | 'uts' | 'ipc' | 'user';
const NSENTER_FLAG: Record<EnterableNamespace, string> = {
  net: '-n',
  pid: '-p',
  uts: '-u',
  ipc: '-i',
  user: '-U',
};

/**
 * Runs a host binary inside some of a process's namespaces. The mount namespace is never entered, so the
 * binary and its libraries always come from the host, never from files a box could replace.
 */
export function execInNamespaces(
  pid: number,
  namespaces: EnterableNamespace[],
  argv: string[],
): Promise<ExecResult> {
  const flags = [...new Set(namespaces)].map((ns) => NSENTER_FLAG[ns]);
  return collect(['nsenter', '-t', String(pid), ...flags, '--', ...argv]);
}

/** Runs a host binary inside a named network namespace of the box (its /run/netns/<name>), resolved in-root. */
export async function execInNamedNetns(boxRoot: string, name: string, argv: string[]): Promise<ExecResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`invalid netns name: ${name}`);
  return execInNamespaceFile(boxRoot, `/run/netns/${name}`, 'net', argv);
}

const NSENTER_FILE_FLAG: Record<EnterableNamespace, string> = {
  net: '--net',
  pid: '--pid',
  uts: '--uts',
  ipc: '--ipc',
  user: '--user',
};

/**
 * Runs a host binary inside a namespace persisted as a file in the box (a bind-mounted nsfs file such as
 * /run/netns/blue or one made by `unshare --uts=/run/x`), resolved in-root so a symlink cannot point elsewhere.
 */
export async function execInNamespaceFile(
  boxRoot: string,
  path: string,
  type: EnterableNamespace,
  argv: string[],
): Promise<ExecResult> {
  const fd = openInRoot(boxRoot, path);
  try {
    // The child sees the nsfs file as its fd 3; nsenter refuses anything that is not a namespace of that type.
    return await collect(['nsenter', `${NSENTER_FILE_FLAG[type]}=/proc/self/fd/3`, '--', ...argv], fd);
  } finally {
    closeSync(fd);
  }
}
