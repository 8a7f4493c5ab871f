import { z } from 'zod';
import { type ExecResult, execInNamedNetns, execInNamespaces } from '../kernel/nsexec.js';
import { type CheckResult, fail, pass } from '../result.js';
import { InRootError, statInRoot } from '../safe-path.js';
import { type BoxTarget, boxRoot } from '../target.js';

export interface NetnsCheckInput {
  name?: string;
  expect: {
    exists?: boolean;
    links?: Array<{
      name?: string;
      type?: 'veth' | 'bridge' | 'loopback' | 'any';
      up?: boolean;
      address?: string;
      master?: string;
    }>;
    routes?: Array<{ dst: string; via?: string; dev?: string }>;
    ping?: { to: string; 'from-netns'?: string };
  };
}

// `ip -j` output, validated: only the fields we judge.
const ipLinks = z.array(
  z.object({
    ifname: z.string(),
    flags: z.array(z.string()).default([]),
    link_type: z.string().optional(),
    master: z.string().optional(),
    linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
    addr_info: z
      .array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number() }))
      .default([]),
  }),
);
const ipRoutes = z.array(
  z.object({ dst: z.string(), gateway: z.string().optional(), dev: z.string().optional() }),
);

export type NetnsRunner = (argv: string[]) => Promise<ExecResult>;

export function netnsRunner(target: BoxTarget, name?: string): NetnsRunner {
  return name === undefined
    ? (argv) => execInNamespaces(target.initPid, ['net'], argv)
    : (argv) => execInNamedNetns(boxRoot(target), name, argv);
}

export async function checkNetns(target: BoxTarget, check: NetnsCheckInput): Promise<CheckResult> {
  const label = check.name === undefined ? 'the box’s network namespace' : `netns ${check.name}`;
  const labelZh = check.name === undefined ? '实验环境的网络命名空间' : `网络命名空间 ${check.name}`;
  if (check.name !== undefined) {
    const exists = statInRoot(boxRoot(target), `/run/netns/${check.name}`, { follow: false }) !== null;
    if (check.expect.exists === false) {
      return exists
        ? fail(`netns ${check.name} still exists.`, `网络命名空间 ${check.name} 仍然存在。`)
        : pass(`netns ${check.name} is gone.`, `网络命名空间 ${check.name} 已删除。`);
    }
    if (!exists) {
      return fail(
        `There is no netns named ${check.name} (nothing at /run/netns/${check.name}).`,
        `没有名为 ${check.name} 的网络命名空间（/run/netns/${check.name} 不存在）。`,
      );
    }
  }
  const run = netnsRunner(target, check.name);
  let linkOut: ExecResult;
  try {
    linkOut = await run(['ip', '-j', '-d', 'addr', 'show']);
  } catch (error) {
    if (!(error instanceof InRootError)) throw error;
    return fail(`${label} cannot be opened: ${error.message}.`, `无法打开${labelZh}：${error.message}。`);
  }
  if (linkOut.exitCode !== 0) {
    return fail(
      `Could not enter ${label}: ${linkOut.stderr.trim()}`,
      `无法进入${labelZh}：${linkOut.stderr.trim()}`,
    );
  }
  const links = ipLinks.parse(JSON.parse(linkOut.stdout || '[]'));
  const en: string[] = [];
  const zh: string[] = [];
  for (const want of check.expect.links ?? []) {
    const candidates = links.filter((link) => want.name === undefined || link.ifname === want.name);
    const ok = candidates.some((link) => {
      const kind = link.link_type === 'loopback' ? 'loopback' : (link.linkinfo?.info_kind ?? 'other');
      if (want.type !== undefined && want.type !== 'any' && kind !== want.type) return false;
      if (want.up !== undefined && link.flags.includes('UP') !== want.up) return false;
      if (want.master !== undefined && link.master !== want.master) return false;
      if (want.address !== undefined) {
        const [ip, prefix] = want.address.split('/');
        const has = link.addr_info.some(
          (a) => a.local === ip && (prefix === undefined || a.prefixlen === Number(prefix)),
        );
        if (!has) return false;
      }
      return true;
    });
    if (!ok) {
      const what = JSON.stringify(want);
      const seen = links.map(
        (l) =>
          `${l.ifname}${l.flags.includes('UP') ? '(UP)' : ''}${l.addr_info.map((a) => ` ${a.local}/${a.prefixlen}`).join('')}`,
      );
      en.push(`no link matches ${what} (links: ${seen.join(', ') || 'none'})`);
      zh.push(`没有符合 ${what} 的网卡（现有：${seen.join('，') || '无'}）`);
    }
  }
  if (check.expect.routes?.length) {
    const routeOut = await run(['ip', '-j', 'route', 'show']);
    const routes = ipRoutes.parse(JSON.parse(routeOut.stdout || '[]'));
    for (const want of check.expect.routes) {
      const ok = routes.some(
        (r) =>
          r.dst === want.dst &&
          (want.via === undefined || r.gateway === want.via) &&
          (want.dev === undefined || r.dev === want.dev),
      );
      if (!ok) {
        const seen = routes.map(
          (r) => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`,
        );
        en.push(`no route ${JSON.stringify(want)} (routes: ${seen.join(', ') || 'none'})`);
        zh.push(`没有路由 ${JSON.stringify(want)}（现有：${seen.join('，') || '无'}）`);
      }
    }
  }
  if (check.expect.ping) {
    const from = check.expect.ping['from-netns'];
    const pingRun = from === undefined ? run : netnsRunner(target, from);
    const result = await pingRun(['ping', '-c', '1', '-W', '1', check.expect.ping.to]);
    if (result.exitCode !== 0) {
      en.push(`ping to ${check.expect.ping.to} gets no answer`);
      zh.push(`ping ${check.expect.ping.to} 没有回应`);
    }
  }
  if (en.length === 0) return pass(`${label} is set up as asked.`, `${labelZh}的配置符合要求。`, links);
  return fail(`In ${label}: ${en.join('; ')}.`, `${labelZh}：${zh.join('；')}。`, links);
}
