import { type CheckResult, fail, pass } from '../result.js';
import type { BoxTarget } from '../target.js';
import { netnsRunner } from './netns.js';

export interface IptablesCheckInput {
  in?: string;
  table: 'filter' | 'nat' | 'mangle';
  chain: string;
  expect: { rule?: string; target?: string; dport?: number; to?: string };
}

/** Judges the rules of one chain as `iptables -S` prints them inside the box's (or a named) netns. */
export async function checkIptables(target: BoxTarget, check: IptablesCheckInput): Promise<CheckResult> {
  const netns = check.in?.startsWith('netns:') ? check.in.slice('netns:'.length) : undefined;
  const run = netnsRunner(target, netns);
  const out = await run(['iptables', '-w', '5', '-t', check.table, '-S', check.chain]);
  if (out.exitCode !== 0) {
    return fail(
      `Chain ${check.chain} in table ${check.table} cannot be read: ${out.stderr.trim()}`,
      `无法读取 ${check.table} 表的 ${check.chain} 链：${out.stderr.trim()}`,
    );
  }
  const rules = out.stdout.split('\n').filter((line) => line.startsWith('-A '));
  const e = check.expect;
  const matches = rules.filter((rule) => {
    if (e.rule !== undefined && !new RegExp(e.rule).test(rule)) return false;
    if (e.target !== undefined && !new RegExp(`-j ${e.target}(\\s|$)`).test(rule)) return false;
    if (e.dport !== undefined && !new RegExp(`--dport ${e.dport}(\\s|$)`).test(rule)) return false;
    if (
      e.to !== undefined &&
      !rule.includes(`--to-destination ${e.to}`) &&
      !rule.includes(`--to-source ${e.to}`)
    )
      return false;
    return true;
  });
  if (matches.length > 0) {
    return pass(`Found the rule: ${matches[0]}`, `找到了规则：${matches[0]}`, matches);
  }
  return fail(
    `No rule in ${check.table}/${check.chain} does what is asked (${rules.length} rule(s) there${rules.length ? `: ${rules.slice(0, 5).join(' | ')}` : ''}).`,
    `${check.table}/${check.chain} 里没有符合要求的规则（共 ${rules.length} 条${rules.length ? `：${rules.slice(0, 5).join(' | ')}` : ''}）。`,
    rules,
  );
}
