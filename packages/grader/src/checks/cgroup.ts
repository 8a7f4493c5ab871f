import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CgroupLimits,
  cgroupDirFor,
  formatSize,
  parseSize,
  readCgroupLimits,
  readCgroupLimitsOfDir,
} from '../kernel/cgroup.js';
import { readProcess } from '../kernel/proc.js';
import { type CheckResult, fail, pass } from '../result.js';
import type { BoxTarget } from '../target.js';
import { boxPids } from '../target.js';
import { matchingProcesses } from './process.js';

export interface CgroupCheckInput {
  path?: string;
  match?: string;
  expect: {
    memory?: string | number;
    'memory-swap'?: string | number;
    pids?: number;
    cpus?: number;
    'cpu-shares'?: number;
    'contains-process'?: string;
    /** cgroupfs files of this cgroup and a regex each must match, e.g. { "pids.events": "max [1-9]" }. */
    files?: Record<string, string>;
  };
}

const CGROUP_FILE = /^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/;

/** Reads a cgroupfs file from the first of the cgroup's directories (one per hierarchy) that has it. */
function readCgroupFile(dirs: string[], name: string): string | null {
  if (!CGROUP_FILE.test(name)) return null;
  for (const dir of dirs) {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      // not in this hierarchy
    }
  }
  return null;
}

const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;

/** Limits of a cgroup given by its path inside the box's cgroup namespace, per controller. */
function limitsAtBoxPath(target: BoxTarget, path: string): { limits: CgroupLimits; dirs: string[] } | null {
  if (path.split('/').includes('..')) return null;
  const limits: CgroupLimits = { memory: null, memorySwap: null, pids: null, cpus: null, cpuShares: null };
  const dirs: string[] = [];
  for (const controller of CONTROLLERS) {
    const base = cgroupDirFor(target.initPid, controller);
    if (!base) continue;
    const dir = join(base.dir, path);
    dirs.push(dir);
    Object.assign(limits, readCgroupLimitsOfDir(dir, base.version, controller));
  }
  return { limits, dirs };
}

function describe(limits: CgroupLimits): string {
  return [
    `memory=${limits.memory === null ? 'unlimited' : formatSize(limits.memory)}`,
    `pids=${limits.pids ?? 'unlimited'}`,
    `cpus=${limits.cpus ?? 'unlimited'}`,
  ].join(', ');
}

export function checkCgroup(target: BoxTarget, check: CgroupCheckInput): CheckResult {
  let limits: CgroupLimits;
  let pidsInside: number[] = [];
  let where: string;
  let dirs: string[] = [];
  if (check.match !== undefined) {
    const process = matchingProcesses(target, check.match)[0];
    if (!process) {
      return fail(
        `No running process matches /${check.match}/.`,
        `没有找到匹配 /${check.match}/ 的运行中进程。`,
      );
    }
    limits = readCgroupLimits(process.pid);
    pidsInside = [process.pid];
    dirs = ['memory', 'pids', 'cpu', 'freezer', 'cpuset']
      .map((controller) => cgroupDirFor(process.pid, controller)?.dir)
      .filter((dir): dir is string => dir !== undefined);
    where = `the cgroup of "${process.cmdline}"`;
  } else {
    const path = check.path ?? '/';
    const at = limitsAtBoxPath(target, path);
    const existing = at?.dirs.filter((dir) => existsSync(dir)) ?? [];
    if (!at || existing.length === 0)
      return fail(`cgroup ${path} was not found.`, `没有找到 cgroup ${path}。`);
    limits = at.limits;
    dirs = existing;
    pidsInside = existing.flatMap((dir) => boxPids({ initPid: target.initPid, cgroupDir: dir }));
    where = `cgroup ${path}`;
  }
  const problemsEn: string[] = [];
  const problemsZh: string[] = [];
  const compare = (name: string, actual: number | null, wanted: number, show: (n: number) => string) => {
    if (actual === null || Math.abs(actual - wanted) > Math.max(1, wanted * 0.001)) {
      const actualText = actual === null ? 'unlimited' : show(actual);
      problemsEn.push(`${name} is ${actualText}, the task asks for ${show(wanted)}`);
      problemsZh.push(
        `${name} 上限是 ${actual === null ? '无限制' : show(actual)}，题目要求 ${show(wanted)}`,
      );
    }
  };
  const e = check.expect;
  const toBytes = (v: string | number) => (typeof v === 'number' ? v : parseSize(v));
  if (e.memory !== undefined) compare('memory', limits.memory, toBytes(e.memory), formatSize);
  if (e['memory-swap'] !== undefined)
    compare('memory+swap', limits.memorySwap, toBytes(e['memory-swap']), formatSize);
  if (e.pids !== undefined) compare('pids', limits.pids, e.pids, String);
  if (e.cpus !== undefined) compare('cpus', limits.cpus, e.cpus, String);
  if (e['cpu-shares'] !== undefined) compare('cpu shares', limits.cpuShares, e['cpu-shares'], String);
  if (e['contains-process'] !== undefined) {
    const pattern = new RegExp(e['contains-process']);
    const inside = pidsInside.map(readProcess).some((p) => p !== null && pattern.test(p.cmdline));
    if (!inside) {
      problemsEn.push(`no process matching /${e['contains-process']}/ is in it`);
      problemsZh.push(`里面没有匹配 /${e['contains-process']}/ 的进程`);
    }
  }
  for (const [name, pattern] of Object.entries(e.files ?? {})) {
    const text = readCgroupFile(dirs, name);
    if (text === null) {
      problemsEn.push(`it has no file ${name}`);
      problemsZh.push(`没有文件 ${name}`);
    } else if (!new RegExp(pattern, 'm').test(text)) {
      problemsEn.push(`${name} is "${text.trim().slice(0, 200)}", which does not match /${pattern}/`);
      problemsZh.push(`${name} 的内容是「${text.trim().slice(0, 200)}」，不匹配 /${pattern}/`);
    }
  }
  if (problemsEn.length === 0) {
    return pass(
      `${where} has the limits asked for (${describe(limits)}).`,
      `${where} 的限制符合要求（${describe(limits)}）。`,
      limits,
    );
  }
  return fail(`In ${where}: ${problemsEn.join('; ')}.`, `${where}：${problemsZh.join('；')}。`, limits);
}
