import { type EnterableNamespace, execInNamespaces } from '../kernel/nsexec.js';
import { type CheckResult, fail, pass } from '../result.js';
import type { BoxTarget } from '../target.js';
import { matchingProcesses } from './process.js';

export interface CommandCheckInput {
  run: string[];
  /** Enter the namespaces of the process matching this regex instead of the box's. */
  match?: string;
  ns?: string[];
  expect: { exit?: number; stdout?: string; stderr?: string };
}

/**
 * Host binaries a lesson may run inside the box's namespaces. They run as host root with the host's
 * filesystem, so only inspection tools are allowed, and ip's sub-commands that run other programs are refused.
 */
const ALLOWED = new Set([
  'ip',
  'ss',
  'iptables',
  'iptables-save',
  'ping',
  'hostname',
  'bridge',
  'nstat',
  'lsns',
  'ipcs',
]);

export function commandRefusal(argv: string[]): string | null {
  const [binary, ...args] = argv;
  if (binary === undefined || !ALLOWED.has(binary))
    return `${binary ?? '(empty)'} is not an allowed check command`;
  if (binary === 'ip' && args.some((a) => ['exec', '-b', '-batch', '-force'].includes(a))) {
    return 'ip exec/batch is not allowed in a check';
  }
  if (
    binary === 'iptables' &&
    args.some((a) => !/^-(S|L|n|v|w|t|-list|-numeric|-table)$|^[A-Za-z0-9_-]+$/.test(a))
  ) {
    return 'iptables may only list rules in a check';
  }
  return null;
}

export async function checkCommand(target: BoxTarget, check: CommandCheckInput): Promise<CheckResult> {
  const refusal = commandRefusal(check.run);
  if (refusal) return fail(`This check cannot run: ${refusal}.`, `这个检查无法运行：${refusal}。`);
  const namespaces = (check.ns ?? ['net', 'uts', 'ipc', 'pid']).filter((ns): ns is EnterableNamespace =>
    ['net', 'pid', 'uts', 'ipc', 'user'].includes(ns),
  );
  if ((check.ns ?? []).includes('mnt')) {
    return fail(
      'This check cannot run: command checks never enter the box’s mount namespace.',
      '这个检查无法运行：command 检查不会进入实验环境的挂载命名空间。',
    );
  }
  let pid = target.initPid;
  if (check.match !== undefined) {
    const process = matchingProcesses(target, check.match)[0];
    if (!process) {
      return fail(
        `No running process matches /${check.match}/.`,
        `没有找到匹配 /${check.match}/ 的运行中进程。`,
      );
    }
    pid = process.pid;
  }
  const result = await execInNamespaces(pid, namespaces, check.run);
  const e = check.expect;
  const en: string[] = [];
  const zh: string[] = [];
  if (e.exit !== undefined && result.exitCode !== e.exit) {
    en.push(`it exited with ${result.exitCode}, expected ${e.exit}`);
    zh.push(`退出码是 ${result.exitCode}，应为 ${e.exit}`);
  }
  if (e.stdout !== undefined && !new RegExp(e.stdout, 'm').test(result.stdout)) {
    en.push(`its output does not match /${e.stdout}/`);
    zh.push(`输出不匹配 /${e.stdout}/`);
  }
  if (e.stderr !== undefined && !new RegExp(e.stderr, 'm').test(result.stderr)) {
    en.push(`its error output does not match /${e.stderr}/`);
    zh.push(`错误输出不匹配 /${e.stderr}/`);
  }
  const shown = check.run.join(' ');
  if (en.length === 0)
    return pass(`\`${shown}\` gives what is asked.`, `\`${shown}\` 的结果符合要求。`, result);
  return fail(`\`${shown}\`: ${en.join('; ')}.`, `\`${shown}\`：${zh.join('；')}。`, result);
}
