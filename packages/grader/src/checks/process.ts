import { statSync } from 'node:fs';
import { hostIdToBox } from '../kernel/idmap.js';
import { namespaceInode, type ProcessInfo, readProcess } from '../kernel/proc.js';
import { type CheckResult, fail, pass } from '../result.js';
import { statInRoot } from '../safe-path.js';
import { type BoxTarget, boxPids, boxRoot } from '../target.js';

export interface ProcessCheckInput {
  match: string;
  expect?: {
    pidns?: 'same-as-box' | 'differs-from-box';
    'pid-in-ns'?: number;
    uid?: number;
    'count-min'?: number;
    running?: boolean;
    /** The process's root directory (chroot/pivot_root) is this box path: compared by device and inode. */
    root?: string;
  };
}

/** Whether a process's root directory is the given directory of the box (same device and inode). */
function rootIs(target: BoxTarget, pid: number, boxPath: string): boolean {
  try {
    const actual = statSync(`/proc/${pid}/root/`);
    const wanted = statInRoot(boxRoot(target), boxPath);
    return wanted !== null && wanted.dev === actual.dev && wanted.ino === actual.ino;
  } catch {
    return false;
  }
}

/** Live (non-zombie) processes of the box whose command line matches. */
export function matchingProcesses(target: BoxTarget, match: string): ProcessInfo[] {
  const pattern = new RegExp(match);
  return boxPids(target)
    .map(readProcess)
    .filter((p): p is ProcessInfo => p !== null && p.state !== 'Z' && pattern.test(p.cmdline));
}

export function checkProcess(target: BoxTarget, check: ProcessCheckInput): CheckResult {
  const expect = check.expect ?? {};
  const found = matchingProcesses(target, check.match);
  if (expect.running === false) {
    return found.length === 0
      ? pass(`No process matches /${check.match}/.`, `没有进程匹配 /${check.match}/。`)
      : fail(
          `${found.length} process(es) still match /${check.match}/ (pid ${found[0]?.nsPids.at(-1)}).`,
          `仍有 ${found.length} 个进程匹配 /${check.match}/（PID ${found[0]?.nsPids.at(-1)}）。`,
        );
  }
  if (found.length === 0) {
    return fail(
      `No running process matches /${check.match}/.`,
      `没有找到匹配 /${check.match}/ 的运行中进程。`,
    );
  }
  const boxPidns = namespaceInode(target.initPid, 'pid');
  const good = found.filter((p) => {
    if (expect.pidns) {
      const same = namespaceInode(p.pid, 'pid') === boxPidns;
      if (same !== (expect.pidns === 'same-as-box')) return false;
    }
    if (expect['pid-in-ns'] !== undefined && p.nsPids.at(-1) !== expect['pid-in-ns']) return false;
    if (expect.uid !== undefined && hostIdToBox(target.initPid, p.uid) !== expect.uid) return false;
    if (expect.root !== undefined && !rootIs(target, p.pid, expect.root)) return false;
    return true;
  });
  const countMin = expect['count-min'] ?? 1;
  const summary = found.map((p) => ({ pid: p.nsPids.at(-1), cmdline: p.cmdline }));
  if (good.length >= countMin) {
    return pass(
      `Found ${good.length} matching process(es) as required.`,
      `找到 ${good.length} 个符合要求的进程。`,
      summary,
    );
  }
  const first = found[0] as ProcessInfo;
  const details: string[] = [];
  const detailsZh: string[] = [];
  if (expect.pidns) {
    const same = namespaceInode(first.pid, 'pid') === boxPidns;
    details.push(same ? 'it shares the shell’s PID namespace' : 'it is in a separate PID namespace');
    detailsZh.push(same ? '它和 shell 在同一个 PID 命名空间里' : '它在另一个 PID 命名空间里');
  }
  if (expect['pid-in-ns'] !== undefined) {
    details.push(`its PID in its own namespace is ${first.nsPids.at(-1)}, not ${expect['pid-in-ns']}`);
    detailsZh.push(`它在自己命名空间里的 PID 是 ${first.nsPids.at(-1)}，而不是 ${expect['pid-in-ns']}`);
  }
  if (expect.uid !== undefined) {
    details.push(`it runs as uid ${hostIdToBox(target.initPid, first.uid)}, not ${expect.uid}`);
    detailsZh.push(`它的 uid 是 ${hostIdToBox(target.initPid, first.uid)}，而不是 ${expect.uid}`);
  }
  if (expect.root !== undefined && !rootIs(target, first.pid, expect.root)) {
    details.push(`its root directory is not ${expect.root}`);
    detailsZh.push(`它的根目录不是 ${expect.root}`);
  }
  if (good.length > 0 && good.length < countMin) {
    details.push(`only ${good.length} of the required ${countMin} match`);
    detailsZh.push(`只有 ${good.length} 个符合，需要 ${countMin} 个`);
  }
  return fail(
    `Found "${first.cmdline}", but ${details.join('; ')}.`,
    `找到了「${first.cmdline}」，但${detailsZh.join('；')}。`,
    summary,
  );
}
