import { formatSize, parseSize } from '../kernel/cgroup.js';
import { lookupImage } from '../kernel/nested-engine.js';
import { type CheckResult, fail, pass } from '../result.js';
import type { BoxTarget } from '../target.js';

export interface ImageCheckInput {
  ref: string;
  expect?: {
    exists?: boolean;
    'layers-min'?: number;
    'layers-max'?: number;
    'size-max'?: string | number;
    label?: Record<string, string>;
    cmd?: string[];
    entrypoint?: string[];
    env?: string[];
    exposed?: string[];
    user?: string;
    healthcheck?: boolean;
    onbuild?: boolean;
  };
}

const same = (a: readonly string[] | null | undefined, b: readonly string[]) =>
  JSON.stringify(a ?? []) === JSON.stringify(b);

/**
 * Judges an image of the nested engine in the box from its content-addressed store: the config must still hash
 * to the image id and its layers to their diff ids, so an edited record counts as no image at all.
 */
export function checkImage(target: BoxTarget, check: ImageCheckInput): CheckResult {
  const e = check.expect ?? {};
  const lookup = lookupImage(target, check.ref);
  const wantExists = e.exists ?? true;
  if (!lookup.ok) {
    if (!wantExists && lookup.reason === 'not-found') {
      return pass(`There is no image ${check.ref}, as asked.`, `没有镜像 ${check.ref}，符合要求。`);
    }
    return lookup.reason === 'tampered'
      ? fail(
          `Image ${check.ref} is damaged (${lookup.detail}); build it again.`,
          `镜像 ${check.ref} 已损坏（${lookup.detail}），请重新构建。`,
        )
      : fail(`There is no image ${check.ref}.`, `没有镜像 ${check.ref}。`);
  }
  if (!wantExists) {
    return fail(`Image ${check.ref} still exists.`, `镜像 ${check.ref} 仍然存在。`);
  }
  const { config, size, id } = lookup.image;
  const c = config.config;
  const layers = config.rootfs.diff_ids.length;
  const en: string[] = [];
  const zh: string[] = [];
  const problem = (english: string, chinese: string) => {
    en.push(english);
    zh.push(chinese);
  };
  if (e['layers-min'] !== undefined && layers < e['layers-min']) {
    problem(
      `it has ${layers} layer(s), at least ${e['layers-min']} are asked for`,
      `它有 ${layers} 层，题目要求至少 ${e['layers-min']} 层`,
    );
  }
  if (e['layers-max'] !== undefined && layers > e['layers-max']) {
    problem(
      `it has ${layers} layer(s), at most ${e['layers-max']} are allowed`,
      `它有 ${layers} 层，题目要求最多 ${e['layers-max']} 层`,
    );
  }
  if (e['size-max'] !== undefined) {
    const max = typeof e['size-max'] === 'number' ? e['size-max'] : parseSize(e['size-max']);
    if (size > max)
      problem(
        `it is ${formatSize(size)}, at most ${formatSize(max)} is allowed`,
        `它有 ${formatSize(size)}，题目要求不超过 ${formatSize(max)}`,
      );
  }
  for (const [key, value] of Object.entries(e.label ?? {})) {
    const actual = c.Labels?.[key];
    if (actual !== value)
      problem(
        `label ${key} is ${actual ?? 'not set'}, ${value} is asked for`,
        `标签 ${key} 是 ${actual ?? '未设置'}，题目要求 ${value}`,
      );
  }
  if (e.cmd !== undefined && !same(c.Cmd, e.cmd)) {
    problem(
      `CMD is ${JSON.stringify(c.Cmd ?? [])}, ${JSON.stringify(e.cmd)} is asked for`,
      `CMD 是 ${JSON.stringify(c.Cmd ?? [])}，题目要求 ${JSON.stringify(e.cmd)}`,
    );
  }
  if (e.entrypoint !== undefined && !same(c.Entrypoint, e.entrypoint)) {
    problem(
      `ENTRYPOINT is ${JSON.stringify(c.Entrypoint ?? [])}, ${JSON.stringify(e.entrypoint)} is asked for`,
      `ENTRYPOINT 是 ${JSON.stringify(c.Entrypoint ?? [])}，题目要求 ${JSON.stringify(e.entrypoint)}`,
    );
  }
  for (const entry of e.env ?? []) {
    if (!(c.Env ?? []).includes(entry)) problem(`ENV has no ${entry}`, `ENV 里没有 ${entry}`);
  }
  for (const port of e.exposed ?? []) {
    const key = port.includes('/') ? port : `${port}/tcp`;
    if (!Object.hasOwn(c.ExposedPorts ?? {}, key))
      problem(`port ${key} is not exposed`, `没有 EXPOSE 端口 ${key}`);
  }
  if (e.user !== undefined && (c.User ?? '') !== e.user) {
    problem(
      `USER is ${c.User || 'root (unset)'}, ${e.user} is asked for`,
      `USER 是 ${c.User || 'root（未设置）'}，题目要求 ${e.user}`,
    );
  }
  if (e.healthcheck !== undefined) {
    const test = (c.Healthcheck as { Test?: unknown } | undefined)?.Test;
    const has = Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
    if (has !== e.healthcheck)
      problem(
        has ? 'it has a HEALTHCHECK' : 'it has no HEALTHCHECK',
        has ? '它有 HEALTHCHECK' : '它没有 HEALTHCHECK',
      );
  }
  if (e.onbuild !== undefined) {
    const has = (c.OnBuild ?? []).length > 0;
    if (has !== e.onbuild)
      problem(
        has ? 'it has ONBUILD triggers' : 'it has no ONBUILD trigger',
        has ? '它有 ONBUILD 指令' : '它没有 ONBUILD 指令',
      );
  }
  const found = { id, layers, size, config: c };
  if (en.length > 0) {
    return fail(`Image ${check.ref}: ${en.join('; ')}.`, `镜像 ${check.ref}：${zh.join('；')}。`, found);
  }
  return pass(
    `Image ${check.ref} is as asked (${layers} layer(s), ${formatSize(size)}).`,
    `镜像 ${check.ref} 符合要求（${layers} 层，${formatSize(size)}）。`,
    found,
  );
}
