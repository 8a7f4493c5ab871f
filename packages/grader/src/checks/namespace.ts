import { mapLineToBox } from '../kernel/idmap.js';
import { type ExecResult, execInNamespaceFile } from '../kernel/nsexec.js';
import { type NamespaceType, namespaceInode, readHostname, readIdMap } from '../kernel/proc.js';
import { type CheckResult, fail, pass } from '../result.js';
import { InRootError } from '../safe-path.js';
import { type BoxTarget, boxRoot } from '../target.js';
import { matchingProcesses } from './process.js';

export interface NamespaceCheckInput {
  /** The process whose namespace is examined … */
  match?: string;
  /** … or a namespace persisted as a file in the box (bind-mounted nsfs). */
  path?: string;
  type: NamespaceType;
  expect: { relation?: 'same-as-box' | 'differs-from-box'; hostname?: string; 'uid-map'?: string };
}

/** A namespace persisted as a file in the box: judged by entering it with host tools. */
async function checkNamespaceFile(
  target: BoxTarget,
  path: string,
  check: NamespaceCheckInput,
): Promise<CheckResult> {
  if (check.type !== 'uts' || check.expect.hostname === undefined) {
    return fail(
      'A namespace file can only be checked for its hostname (uts).',
      '命名空间文件只能检查主机名（uts）。',
    );
  }
  let result: ExecResult;
  try {
    result = await execInNamespaceFile(boxRoot(target), path, 'uts', ['hostname']);
  } catch (error) {
    if (!(error instanceof InRootError)) throw error;
    return fail(`${path} cannot be opened: ${error.message}.`, `无法打开 ${path}：${error.message}。`);
  }
  if (result.exitCode !== 0) {
    return fail(
      `${path} is not a UTS namespace kept alive (${result.stderr.trim()}).`,
      `${path} 不是一个保留下来的 UTS 命名空间（${result.stderr.trim()}）。`,
    );
  }
  const hostname = result.stdout.trim();
  return hostname === check.expect.hostname
    ? pass(
        `The namespace kept at ${path} has hostname "${hostname}".`,
        `${path} 保留的命名空间主机名是「${hostname}」。`,
      )
    : fail(
        `The namespace kept at ${path} has hostname "${hostname}", not "${check.expect.hostname}".`,
        `${path} 保留的命名空间主机名是「${hostname}」，不是「${check.expect.hostname}」。`,
      );
}

export async function checkNamespace(target: BoxTarget, check: NamespaceCheckInput): Promise<CheckResult> {
  if (check.path !== undefined) return checkNamespaceFile(target, check.path, check);
  if (check.match === undefined) return fail('The check names no process.', '这个检查没有指定进程。');
  const found = matchingProcesses(target, check.match);
  if (found.length === 0) {
    return fail(
      `No running process matches /${check.match}/.`,
      `没有找到匹配 /${check.match}/ 的运行中进程。`,
    );
  }
  const boxInode = namespaceInode(target.initPid, check.type);
  const observations: string[] = [];
  for (const process of found) {
    const inode = namespaceInode(process.pid, check.type);
    const relation = inode === boxInode ? 'same-as-box' : 'differs-from-box';
    const hostname = check.expect.hostname === undefined ? null : await readHostname(process.pid);
    const uidMap = readIdMap(process.pid).map((line) => mapLineToBox(target.initPid, line));
    const ok =
      (check.expect.relation === undefined || relation === check.expect.relation) &&
      (check.expect.hostname === undefined || hostname === check.expect.hostname) &&
      (check.expect['uid-map'] === undefined || uidMap.includes(check.expect['uid-map']));
    const found = { pid: process.nsPids.at(-1), cmdline: process.cmdline, inode, relation, hostname, uidMap };
    if (ok) {
      return pass(
        `"${process.cmdline}" is in the ${check.type} namespace asked for.`,
        `「${process.cmdline}」处在题目要求的 ${check.type} 命名空间里。`,
        found,
      );
    }
    observations.push(JSON.stringify(found));
  }
  const first = found[0] as (typeof found)[number];
  const inode = namespaceInode(first.pid, check.type);
  const relationEn = inode === boxInode ? 'shares the box’s' : 'has its own';
  const relationZh = inode === boxInode ? '和实验环境共用' : '有自己的';
  const extraEn: string[] = [];
  const extraZh: string[] = [];
  if (check.expect.hostname !== undefined) {
    const hostname = await readHostname(first.pid);
    extraEn.push(`its hostname is "${hostname}", not "${check.expect.hostname}"`);
    extraZh.push(`它的主机名是「${hostname}」，不是「${check.expect.hostname}」`);
  }
  if (check.expect['uid-map'] !== undefined) {
    const map = readIdMap(first.pid).map((line) => mapLineToBox(target.initPid, line));
    extraEn.push(`its uid_map is "${map.join('; ') || 'empty'}"`);
    extraZh.push(`它的 uid_map 是「${map.join('；') || '空'}」`);
  }
  return fail(
    `"${first.cmdline}" ${relationEn} ${check.type} namespace${extraEn.length ? `; ${extraEn.join('; ')}` : ''}.`,
    `「${first.cmdline}」${relationZh} ${check.type} 命名空间${extraZh.length ? `；${extraZh.join('；')}` : ''}。`,
    observations,
  );
}
