import type { Stats } from 'node:fs';
import { hostIdToBox } from '../kernel/idmap.js';
import { type CheckResult, fail, pass } from '../result.js';
import { InRootError, readFileInRoot, readlinkInRoot, statInRoot } from '../safe-path.js';

export interface FileCheckInput {
  path: string;
  expect: {
    exists?: boolean;
    type?: 'file' | 'dir' | 'symlink' | 'char' | 'fifo' | 'socket';
    content?: string;
    mode?: string;
    owner?: string;
    'link-target'?: string;
  };
}

const MAX_CONTENT_BYTES = 1024 * 1024;

function typeOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isCharacterDevice()) return 'char';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'other';
}

/**
 * Judges a file through the box root with in-root resolution, so a symlink planted in the box can never
 * make the grader read a host file. `initPid` maps host owners back to the ids the box sees.
 */
export function checkFile(root: string, initPid: number, check: FileCheckInput): CheckResult {
  const e = check.expect;
  const follow = e.type !== 'symlink' && e['link-target'] === undefined;
  let stats: Stats | null;
  try {
    stats = statInRoot(root, check.path, { follow });
  } catch (error) {
    if (error instanceof InRootError) {
      return fail(
        `${check.path} cannot be reached: ${error.message}.`,
        `无法访问 ${check.path}：${error.message}。`,
      );
    }
    throw error;
  }
  const exists = stats !== null;
  if (e.exists === false) {
    return exists
      ? fail(`${check.path} still exists.`, `${check.path} 仍然存在。`)
      : pass(`${check.path} does not exist, as asked.`, `${check.path} 不存在，符合要求。`);
  }
  if (!stats) return fail(`${check.path} does not exist.`, `${check.path} 不存在。`);
  const en: string[] = [];
  const zh: string[] = [];
  const type = typeOf(stats);
  if (e.type !== undefined && type !== e.type) {
    en.push(`it is a ${type}, not a ${e.type}`);
    zh.push(`它是 ${type}，不是 ${e.type}`);
  }
  if (e.mode !== undefined) {
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    if (Number.parseInt(mode, 8) !== Number.parseInt(e.mode, 8)) {
      en.push(`its mode is ${mode}, not ${e.mode.padStart(4, '0')}`);
      zh.push(`权限是 ${mode}，不是 ${e.mode.padStart(4, '0')}`);
    }
  }
  if (e.owner !== undefined) {
    const owner = `${hostIdToBox(initPid, stats.uid) ?? stats.uid}:${hostIdToBox(initPid, stats.gid, 'gid') ?? stats.gid}`;
    if (owner !== e.owner) {
      en.push(`its owner is ${owner}, not ${e.owner}`);
      zh.push(`属主是 ${owner}，不是 ${e.owner}`);
    }
  }
  if (e['link-target'] !== undefined) {
    const linkTarget = type === 'symlink' ? readlinkInRoot(root, check.path) : null;
    if (linkTarget !== e['link-target']) {
      en.push(linkTarget === null ? 'it is not a symlink' : `it points to ${linkTarget}`);
      zh.push(linkTarget === null ? '它不是符号链接' : `它指向 ${linkTarget}`);
    }
  }
  if (e.content !== undefined) {
    try {
      const text = readFileInRoot(root, check.path, { maxBytes: MAX_CONTENT_BYTES }).toString('utf8');
      if (!new RegExp(e.content, 'm').test(text)) {
        en.push(`its content does not match /${e.content}/`);
        zh.push(`内容不匹配 /${e.content}/`);
      }
    } catch (error) {
      if (!(error instanceof InRootError)) throw error;
      en.push(`its content cannot be read (${error.message})`);
      zh.push(`无法读取内容（${error.message}）`);
    }
  }
  if (en.length === 0) return pass(`${check.path} is as asked.`, `${check.path} 符合要求。`);
  return fail(`${check.path} exists, but ${en.join('; ')}.`, `${check.path} 存在，但${zh.join('；')}。`);
}
