import { type MountEntry, mountAt, overlayLayers, readMountinfo } from '../kernel/mountinfo.js';
import { type CheckResult, fail, pass } from '../result.js';

export interface MountCheckInput {
  target: string;
  /** Judge the mount namespace of the process matching this regex instead of the box's own. */
  match?: string;
  expect?: {
    fstype?: string;
    /** Regex on the mount's root within its filesystem (mountinfo field 4), e.g. "/rootfs$" for a pivoted root. */
    root?: string;
    source?: string;
    options?: string[];
    overlay?: { 'lower-count-min'?: number; upper?: boolean };
  };
  absent?: boolean;
}

/** Judges the mount table of the given process's mount namespace (the box init, or a container's process). */
export function checkMount(pid: number, check: MountCheckInput): CheckResult {
  const entry = mountAt(readMountinfo(pid), check.target);
  if (check.absent) {
    return entry
      ? fail(
          `${check.target} is still a mount point (${entry.fstype}).`,
          `${check.target} 仍然是挂载点（${entry.fstype}）。`,
          entry,
        )
      : pass(`${check.target} is not mounted.`, `${check.target} 没有被挂载。`);
  }
  if (!entry) return fail(`Nothing is mounted at ${check.target}.`, `${check.target} 上没有挂载任何东西。`);
  const problems = mountProblems(entry, check.expect ?? {});
  if (problems.en.length === 0) {
    return pass(
      `${check.target} is a ${entry.fstype} mount as asked.`,
      `${check.target} 是符合要求的 ${entry.fstype} 挂载。`,
      entry,
    );
  }
  return fail(
    `${check.target} is mounted, but ${problems.en.join('; ')}.`,
    `${check.target} 已挂载，但${problems.zh.join('；')}。`,
    entry,
  );
}

function mountProblems(entry: MountEntry, expect: NonNullable<MountCheckInput['expect']>) {
  const en: string[] = [];
  const zh: string[] = [];
  if (expect.fstype !== undefined && entry.fstype !== expect.fstype) {
    en.push(`its type is ${entry.fstype}, not ${expect.fstype}`);
    zh.push(`类型是 ${entry.fstype}，不是 ${expect.fstype}`);
  }
  if (expect.root !== undefined && !new RegExp(expect.root).test(entry.root)) {
    en.push(`its root within the filesystem is "${entry.root}"`);
    zh.push(`它在文件系统中的根是「${entry.root}」`);
  }
  if (expect.source !== undefined && !new RegExp(expect.source).test(entry.source)) {
    en.push(`its source is "${entry.source}"`);
    zh.push(`来源是「${entry.source}」`);
  }
  for (const option of expect.options ?? []) {
    if (!entry.options.includes(option) && !entry.superOptions.includes(option)) {
      en.push(`option ${option} is missing`);
      zh.push(`缺少选项 ${option}`);
    }
  }
  if (expect.overlay) {
    const layers = overlayLayers(entry);
    const min = expect.overlay['lower-count-min'];
    if (min !== undefined && layers.lower.length < min) {
      en.push(`it has ${layers.lower.length} lower layer(s), at least ${min} needed`);
      zh.push(`它只有 ${layers.lower.length} 个 lower 层，至少需要 ${min} 个`);
    }
    if (expect.overlay.upper === true && layers.upper === null) {
      en.push('it has no upper (writable) layer');
      zh.push('它没有 upper（可写）层');
    }
  }
  return { en, zh };
}
