import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CgroupLimits,
  cgroupDirFor,
  describeSize,
  formatSize,
  parseSize,
  readCgroupLimitsOfDir,
  readCpuStat,
  readFreezer,
  readMemoryPeak,
  readOomKills,
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
    /** Frozen by the freezer: v1 freezer.state FROZEN, v2 cgroup.events "frozen 1". */
    frozen?: boolean;
    /** Peak memory use at least this: v2 memory.peak, v1 memory.max_usage_in_bytes. */
    'memory-peak-min'?: string | number;
    /** The OOM killer killed at least this many processes: oom_kill of memory.events (v2) / memory.oom_control (v1). */
    'oom-kills-min'?: number;
    /** cpu.stat nr_periods: enforcement periods in which the group ran under a quota. */
    'nr-periods-min'?: number;
    /** cpu.stat nr_throttled: periods in which the group used up its quota and was stopped. */
    'cpu-throttled-min'?: number;
    /**
     * cgroupfs files of this cgroup and a regex each must match, e.g. { "pids.events": "max [1-9]" }. A key may
     * list alternatives, "memory.peak|memory.max_usage_in_bytes": the first that exists is read.
     */
    files?: Record<string, string>;
  };
}

const CGROUP_FILE = /^[a-z][a-z0-9_]*\.[a-z0-9_.]+$/;
const CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'freezer', 'cpuset'] as const;
type Controller = (typeof CONTROLLERS)[number];
type Location = { dir: string; version: 1 | 2 };

/** The cgroup's directory in the hierarchy of each controller (one per controller on v1, the same one on v2). */
type Locations = Partial<Record<Controller, Location>>;

function readText(dir: string, name: string): string | null {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    return null;
  }
}

/**
 * Reads a cgroupfs file, or the first existing of "a|b" alternatives, from the hierarchy of the controller
 * its name starts with (memory.*, cpu.*, freezer.*, …); core files (cgroup.*) from the first that has them.
 */
function readCgroupFile(locations: Locations, key: string): { name: string; text: string } | null {
  for (const name of key.split('|')) {
    if (!CGROUP_FILE.test(name)) return null;
    const prefix = name.slice(0, name.indexOf('.'));
    const own = locations[prefix as Controller];
    const candidates = own ? [own] : Object.values(locations);
    for (const location of candidates) {
      const text = readText(location.dir, name);
      if (text !== null) return { name, text };
    }
  }
  return null;
}

function locationsOfProcess(pid: number): Locations {
  const locations: Locations = {};
  for (const controller of CONTROLLERS) {
    const location = cgroupDirFor(pid, controller);
    if (location) locations[controller] = location;
  }
  return locations;
}

/** Locations of a cgroup given by its path inside the box's cgroup namespace; null for a path with "..". */
function locationsAtBoxPath(target: BoxTarget, path: string): Locations | null {
  if (path.split('/').includes('..')) return null;
  const locations: Locations = {};
  for (const controller of CONTROLLERS) {
    const base = cgroupDirFor(target.initPid, controller);
    // A hierarchy the box is not confined in would make `path` a host cgroup: not the box's to judge.
    if (base && base.path !== '/')
      locations[controller] = { dir: join(base.dir, path), version: base.version };
  }
  return locations;
}

function limitsOf(locations: Locations): CgroupLimits {
  const limits: CgroupLimits = { memory: null, memorySwap: null, pids: null, cpus: null, cpuShares: null };
  for (const controller of ['memory', 'pids', 'cpu'] as const) {
    const location = locations[controller];
    if (location) Object.assign(limits, readCgroupLimitsOfDir(location.dir, location.version, controller));
  }
  return limits;
}

function describe(limits: CgroupLimits): string {
  return [
    `memory=${limits.memory === null ? 'unlimited' : formatSize(limits.memory)}`,
    `pids=${limits.pids ?? 'unlimited'}`,
    `cpus=${limits.cpus ?? 'unlimited'}`,
  ].join(', ');
}

export function checkCgroup(target: BoxTarget, check: CgroupCheckInput): CheckResult {
  let locations: Locations;
  let where: string;
  let whereZh: string;
  /** Processes in the cgroup, per controller hierarchy (in path mode each hierarchy has its own members). */
  let membersOf: (dir: string) => number[];
  if (check.match !== undefined) {
    const process = matchingProcesses(target, check.match)[0];
    if (!process) {
      return fail(
        `No running process matches /${check.match}/.`,
        `没有找到匹配 /${check.match}/ 的运行中进程。`,
      );
    }
    locations = locationsOfProcess(process.pid);
    membersOf = () => [process.pid];
    where = `the cgroup of "${process.cmdline}"`;
    whereZh = `「${process.cmdline}」所在的 cgroup`;
  } else {
    const path = check.path ?? '/';
    const at = locationsAtBoxPath(target, path);
    const existing = Object.fromEntries(
      Object.entries(at ?? {}).filter(([, location]) => existsSync(location.dir)),
    ) as Locations;
    if (Object.keys(existing).length === 0)
      return fail(`cgroup ${path} was not found.`, `没有找到 cgroup ${path}。`);
    locations = existing;
    membersOf = (dir) => boxPids({ initPid: target.initPid, cgroupDir: dir });
    where = `cgroup ${path}`;
    whereZh = `cgroup ${path}`;
  }
  const limits = limitsOf(locations);
  const found: Record<string, unknown> = { ...limits };
  const problemsEn: string[] = [];
  const problemsZh: string[] = [];
  const problem = (en: string, zh: string) => {
    problemsEn.push(en);
    problemsZh.push(zh);
  };
  const compare = (name: string, actual: number | null, wanted: number, show: (n: number) => string) => {
    if (actual === null || Math.abs(actual - wanted) > Math.max(1, wanted * 0.001)) {
      problem(
        `${name} is ${actual === null ? 'unlimited' : show(actual)}, the task asks for ${show(wanted)}`,
        `${name} 上限是 ${actual === null ? '无限制' : show(actual)}，题目要求 ${show(wanted)}`,
      );
    }
  };
  const atLeast = (file: string, field: string, actual: number, wanted: number, show = String) => {
    if (actual < wanted) {
      problem(
        `${file} has ${field} ${show(actual)}, expected at least ${show(wanted)}`,
        `${file} 里 ${field} 是 ${show(actual)}，应该至少是 ${show(wanted)}`,
      );
    }
  };
  const missing = (what: string, whatZh: string, controller: string) =>
    problem(
      `it has no ${what} (is it in the ${controller} hierarchy?)`,
      `它没有${whatZh}（它在 ${controller} 层级里吗？）`,
    );
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
    const pids = [...new Set(Object.values(locations).map((l) => l.dir))].flatMap(membersOf);
    const inside = pids.map(readProcess).some((p) => p !== null && pattern.test(p.cmdline));
    if (!inside) {
      problem(
        `no process matching /${e['contains-process']}/ is in it`,
        `里面没有匹配 /${e['contains-process']}/ 的进程`,
      );
    }
  }
  if (e.frozen !== undefined) {
    const location = locations.freezer;
    const state = location && readFreezer(location.dir, location.version);
    found.freezer = state ?? null;
    if (!location || !state) {
      if (e.frozen) missing('freezer state', '冻结状态', 'freezer');
    } else if (state.frozen !== e.frozen) {
      const wanted = location.version === 1 ? (e.frozen ? 'FROZEN' : 'THAWED') : `frozen ${e.frozen ? 1 : 0}`;
      problem(
        `${state.file} says ${state.shown}, expected ${wanted}`,
        `${state.file} 显示 ${state.shown}，应该是 ${wanted}`,
      );
    } else if (e.frozen && membersOf(location.dir).length === 0) {
      problem(
        `it is frozen, but no process is in it in the freezer hierarchy`,
        `它已冻结，但 freezer 层级里的这个 cgroup 中没有进程`,
      );
    }
  }
  if (e['memory-peak-min'] !== undefined) {
    const peak = locations.memory && readMemoryPeak(locations.memory.dir);
    found.memoryPeak = peak?.bytes ?? null;
    if (!peak) missing('memory peak (memory.peak / memory.max_usage_in_bytes)', '内存峰值文件', 'memory');
    else {
      const wanted = toBytes(e['memory-peak-min']);
      if (peak.bytes < wanted) {
        problem(
          `${peak.file} is ${describeSize(peak.bytes)}, expected at least ${describeSize(wanted)}`,
          `${peak.file} 是 ${describeSize(peak.bytes)}，应该至少是 ${describeSize(wanted)}`,
        );
      }
    }
  }
  if (e['oom-kills-min'] !== undefined) {
    const kills = locations.memory && readOomKills(locations.memory.dir);
    found.oomKills = kills?.count ?? null;
    if (!kills) missing('OOM counter (memory.events / memory.oom_control)', 'OOM 计数', 'memory');
    else atLeast(kills.file, 'oom_kill', kills.count, e['oom-kills-min']);
  }
  if (e['nr-periods-min'] !== undefined || e['cpu-throttled-min'] !== undefined) {
    const stat = locations.cpu && readCpuStat(locations.cpu.dir);
    found.cpuStat = stat ? Object.fromEntries(stat) : null;
    const fields: Array<[string, number | undefined]> = [
      ['nr_periods', e['nr-periods-min']],
      ['nr_throttled', e['cpu-throttled-min']],
    ];
    for (const [field, wanted] of fields) {
      if (wanted === undefined) continue;
      const actual = stat?.get(field);
      if (actual === undefined) missing(`${field} in cpu.stat`, `cpu.stat 里的 ${field}`, 'cpu');
      else atLeast('cpu.stat', field, actual, wanted);
    }
  }
  for (const [key, pattern] of Object.entries(e.files ?? {})) {
    const file = readCgroupFile(locations, key);
    if (file === null) {
      problem(`it has no file ${key.split('|').join(' or ')}`, `没有文件 ${key.split('|').join(' 或 ')}`);
    } else if (!new RegExp(pattern, 'm').test(file.text)) {
      const shown = file.text.trim().slice(0, 200);
      problem(
        `${file.name} is "${shown}", which does not match /${pattern}/`,
        `${file.name} 的内容是「${shown}」，不匹配 /${pattern}/`,
      );
    }
  }
  if (problemsEn.length === 0) {
    return pass(
      `${where} is as asked (${describe(limits)}).`,
      `${whereZh} 符合要求（${describe(limits)}）。`,
      found,
    );
  }
  return fail(`In ${where}: ${problemsEn.join('; ')}.`, `${whereZh}：${problemsZh.join('；')}。`, found);
}
