import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { z } from 'zod';
import { formatSize, parseSize, readCgroupLimits } from '../kernel/cgroup.js';
import { type MountEntry, mountAt, parseMountinfo } from '../kernel/mountinfo.js';
import {
  type ContainerRecord,
  containerExitCode,
  containerInitPid,
  containerLayersFromMounts,
  findContainerRecord,
  isFrozen,
  lookupImage,
  NESTED_STATE_ROOT,
} from '../kernel/nested-engine.js';
import { execInNamespaces } from '../kernel/nsexec.js';
import { namespaceInode, readHostname } from '../kernel/proc.js';
import { type CheckResult, fail, pass } from '../result.js';
import { InRootError, listDirInRoot, readFileInRoot } from '../safe-path.js';
import { type BoxTarget, boxRoot } from '../target.js';

export interface ContainerCheckInput {
  name: string;
  expect?: {
    state?: 'running' | 'exited' | 'paused' | 'created';
    image?: string;
    'exit-code'?: number;
    ports?: string[];
    memory?: string | number;
    pids?: number;
    cpus?: number;
    network?: string;
    networks?: string[];
    mounts?: Array<{ source?: string; destination: string; type?: 'bind' | 'volume' }>;
    restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
    env?: string[];
    hostname?: string;
  };
}

type Problem = { en: string; zh: string };

/**
 * Judges a container of the nested engine in the box. The engine's record only names the container; what it is
 * (state, limits, image layers, mounts, networks, ports, env, hostname) is read from its real init process.
 */
export async function checkContainer(target: BoxTarget, check: ContainerCheckInput): Promise<CheckResult> {
  const record = findContainerRecord(target, check.name);
  if (!record) {
    return fail(`There is no container named ${check.name}.`, `没有名为 ${check.name} 的容器。`);
  }
  const pid = containerInitPid(target, record.id);
  const state =
    pid !== null
      ? isFrozen(pid)
        ? 'paused'
        : 'running'
      : record.state.status === 'created'
        ? 'created'
        : 'exited';
  const e = check.expect ?? {};
  const problems: Problem[] = [];
  const found: Record<string, unknown> = { id: record.id, state };
  const name = check.name;

  if (e.state !== undefined && e.state !== state) {
    problems.push({
      en: `container ${name} is ${state}, the task asks for ${e.state}`,
      zh: `容器 ${name} 的状态是 ${state}，题目要求 ${e.state}`,
    });
  }
  if (e['exit-code'] !== undefined) {
    if (state !== 'exited') {
      problems.push({ en: `container ${name} has not exited`, zh: `容器 ${name} 还没有退出` });
    } else {
      const exitCode = containerExitCode(target, record);
      if (exitCode !== e['exit-code']) {
        problems.push({
          en: `container ${name} exited with ${exitCode}, the task asks for ${e['exit-code']}`,
          zh: `容器 ${name} 的退出码是 ${exitCode}，题目要求 ${e['exit-code']}`,
        });
      }
    }
  }
  if (e.image !== undefined) problems.push(...checkImage(target, record, pid, e.image, name));
  if (e.restart !== undefined && (record.host.restart?.name ?? 'no') !== e.restart) {
    problems.push({
      en: `container ${name} has restart policy ${record.host.restart?.name ?? 'no'}, the task asks for ${e.restart}`,
      zh: `容器 ${name} 的重启策略是 ${record.host.restart?.name ?? 'no'}，题目要求 ${e.restart}`,
    });
  }

  const needsProcess =
    e.memory !== undefined ||
    e.pids !== undefined ||
    e.cpus !== undefined ||
    e.env !== undefined ||
    e.hostname !== undefined ||
    e.mounts !== undefined ||
    e.network !== undefined ||
    e.networks !== undefined ||
    e.ports !== undefined;
  if (needsProcess && pid === null) {
    problems.push({
      en: `container ${name} is not running, so its limits, mounts and networks cannot be seen`,
      zh: `容器 ${name} 没有在运行，无法查看它的资源限制、挂载和网络`,
    });
  } else if (pid !== null) {
    problems.push(...checkLimits(pid, e, name));
    if (e.env !== undefined) {
      const environ = readEnviron(pid);
      for (const entry of e.env) {
        if (!environ.includes(entry)) {
          problems.push({
            en: `container ${name} does not have ${entry} in its environment`,
            zh: `容器 ${name} 的环境变量里没有 ${entry}`,
          });
        }
      }
    }
    if (e.hostname !== undefined) {
      const hostname = await readHostname(pid);
      found.hostname = hostname;
      if (hostname !== e.hostname) {
        problems.push({
          en: `container ${name} has hostname ${hostname}, the task asks for ${e.hostname}`,
          zh: `容器 ${name} 的主机名是 ${hostname}，题目要求 ${e.hostname}`,
        });
      }
    }
    if (e.mounts !== undefined) problems.push(...checkMounts(target, pid, e.mounts, name));
    if (e.network !== undefined || e.networks !== undefined || e.ports !== undefined) {
      const net = await containerNetworking(target, pid);
      found.networks = net.networks;
      const wanted = [...(e.network !== undefined ? [e.network] : []), ...(e.networks ?? [])];
      for (const network of wanted) {
        if (!net.networks.includes(network)) {
          problems.push({
            en: `container ${name} is not on network ${network} (it is on: ${net.networks.join(', ') || 'none'})`,
            zh: `容器 ${name} 没有连接到网络 ${network}（当前网络：${net.networks.join('、') || '无'}）`,
          });
        }
      }
      if (e.ports !== undefined) problems.push(...(await checkPorts(target, net.addresses, e.ports, name)));
    }
  }

  if (problems.length > 0) {
    return fail(
      `${capitalize(problems.map((p) => p.en).join('; '))}.`,
      `${problems.map((p) => p.zh).join('；')}。`,
      found,
    );
  }
  return pass(`Container ${name} is as asked (${state}).`, `容器 ${name} 符合要求（${state}）。`, found);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function checkImage(
  target: BoxTarget,
  record: ContainerRecord,
  pid: number | null,
  ref: string,
  name: string,
): Problem[] {
  const lookup = lookupImage(target, ref);
  if (!lookup.ok) {
    return [
      { en: `image ${ref} cannot be used: ${lookup.detail}`, zh: `镜像 ${ref} 无法使用：${lookup.detail}` },
    ];
  }
  const wrong = {
    en: `container ${name} was not made from image ${ref} (it uses ${record.image})`,
    zh: `容器 ${name} 不是用镜像 ${ref} 创建的（它用的是 ${record.image}）`,
  };
  if (pid !== null) {
    // The layers its root overlay really stacks, from the kernel's mount table.
    const layers = containerLayersFromMounts(pid);
    const expected = lookup.image.config.rootfs.diff_ids;
    return layers !== null && layers.join() === expected.join() ? [] : [wrong];
  }
  // Without a process there is no mount to look at; the record's image id must at least be that verified image.
  return record.imageId === lookup.image.id ? [] : [wrong];
}

function checkLimits(pid: number, e: NonNullable<ContainerCheckInput['expect']>, name: string): Problem[] {
  const limits = readCgroupLimits(pid);
  const problems: Problem[] = [];
  const compare = (what: string, actual: number | null, wanted: number, show: (n: number) => string) => {
    if (actual === null || Math.abs(actual - wanted) > Math.max(1e-6, wanted * 0.001)) {
      problems.push({
        en: `container ${name}'s ${what} limit is ${actual === null ? 'unlimited' : show(actual)}, the task asks for ${show(wanted)}`,
        zh: `容器 ${name} 的 ${what} 上限是 ${actual === null ? '无限制' : show(actual)}，题目要求 ${show(wanted)}`,
      });
    }
  };
  if (e.memory !== undefined) {
    compare(
      'memory',
      limits.memory,
      typeof e.memory === 'number' ? e.memory : parseSize(e.memory),
      formatSize,
    );
  }
  if (e.pids !== undefined) compare('pids', limits.pids, e.pids, String);
  if (e.cpus !== undefined) compare('cpus', limits.cpus, e.cpus, String);
  return problems;
}

function readEnviron(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Device numbers of a process's mounts (mount id → "major:minor"), which MountEntry leaves out. */
function mountDevices(pid: number): Map<number, string> {
  const devices = new Map<number, string>();
  for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
    const [id, , device] = line.split(' ');
    if (id && device) devices.set(Number(id), device);
  }
  return devices;
}

/** Where a container mount comes from, as a path in the box: the box mount of the same filesystem that holds it. */
function boxSourceOf(target: BoxTarget, mount: MountEntry, device: string | undefined): string | null {
  const boxMounts = parseMountinfo(readFileSync(`/proc/${target.initPid}/mountinfo`, 'utf8'));
  const boxDevices = mountDevices(target.initPid);
  let best: { path: string; rootLength: number } | null = null;
  for (const candidate of boxMounts) {
    if (boxDevices.get(candidate.id) !== device) continue;
    const base = candidate.root === '/' ? '' : candidate.root;
    if (mount.root !== candidate.root && !mount.root.startsWith(`${base}/`)) continue;
    const path = posix.join(candidate.target, mount.root.slice(base.length) || '/');
    if (!best || candidate.root.length > best.rootLength) best = { path, rootLength: candidate.root.length };
  }
  return best?.path ?? null;
}

function checkMounts(
  target: BoxTarget,
  pid: number,
  wanted: NonNullable<NonNullable<ContainerCheckInput['expect']>['mounts']>,
  name: string,
): Problem[] {
  const entries = parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
  const devices = mountDevices(pid);
  const problems: Problem[] = [];
  for (const want of wanted) {
    const destination = posix.normalize(want.destination);
    const mount = mountAt(entries, destination);
    if (!mount || mount.target !== destination) {
      problems.push({
        en: `nothing is mounted at ${destination} in container ${name}`,
        zh: `容器 ${name} 里 ${destination} 上没有挂载`,
      });
      continue;
    }
    const source = boxSourceOf(target, mount, devices.get(mount.id));
    const volume =
      source === null ? null : new RegExp(`^${NESTED_STATE_ROOT}/volumes/([^/]+)/_data$`).exec(source);
    const type = volume ? 'volume' : 'bind';
    if (want.type !== undefined && want.type !== type) {
      problems.push({
        en: `${destination} in container ${name} is a ${type} mount, the task asks for a ${want.type} mount`,
        zh: `容器 ${name} 的 ${destination} 是 ${type} 挂载，题目要求 ${want.type} 挂载`,
      });
    }
    if (want.source !== undefined) {
      const matches = volume
        ? want.source === volume[1] || want.source === source
        : source === posix.normalize(want.source);
      if (!matches) {
        problems.push({
          en: `${destination} in container ${name} comes from ${volume?.[1] ?? source ?? 'elsewhere'}, the task asks for ${want.source}`,
          zh: `容器 ${name} 的 ${destination} 来自 ${volume?.[1] ?? source ?? '别处'}，题目要求 ${want.source}`,
        });
      }
    }
  }
  return problems;
}

const IpLinks = z.array(
  z
    .object({
      ifindex: z.number(),
      ifname: z.string(),
      link_index: z.number().optional(),
      master: z.string().optional(),
      addr_info: z.array(z.object({ family: z.string(), local: z.string() }).loose()).optional(),
    })
    .loose(),
);

/**
 * The engine networks a container is really on: its interfaces' veth peers in the box's netns and the bridges
 * they are enslaved to, named by the engine's network records (a record only names a bridge that exists).
 */
async function containerNetworking(
  target: BoxTarget,
  pid: number,
): Promise<{ networks: string[]; addresses: string[] }> {
  const inner = await execInNamespaces(pid, ['net'], ['ip', '-j', 'addr']);
  const outer = await execInNamespaces(target.initPid, ['net'], ['ip', '-j', 'link']);
  const innerLinks = IpLinks.safeParse(safeJson(inner.stdout));
  const outerLinks = IpLinks.safeParse(safeJson(outer.stdout));
  if (!innerLinks.success || !outerLinks.success) return { networks: [], addresses: [] };
  // Docker's special modes: `host` shares the box's netns, `none` has nothing but loopback.
  if (namespaceInode(pid, 'net') === namespaceInode(target.initPid, 'net')) {
    return { networks: ['host'], addresses: [] };
  }
  if (innerLinks.data.every((link) => link.ifname === 'lo')) return { networks: ['none'], addresses: [] };
  const bridges = new Set<string>();
  const addresses: string[] = [];
  for (const link of innerLinks.data) {
    for (const address of link.addr_info ?? []) if (address.family === 'inet') addresses.push(address.local);
    if (link.link_index === undefined) continue;
    const peer = outerLinks.data.find((l) => l.ifindex === link.link_index);
    if (peer?.master) bridges.add(peer.master);
  }
  const root = boxRoot(target);
  const networks: string[] = [];
  for (const file of listOrEmpty(root, `${NESTED_STATE_ROOT}/networks`)) {
    if (!/^[0-9a-f]{64}\.json$/.test(file)) continue;
    const parsed = NetworkRecordSchema.safeParse(
      safeJson(readOrEmpty(root, `${NESTED_STATE_ROOT}/networks/${file}`)),
    );
    if (!parsed.success) continue;
    const bridge = parsed.data.Options?.['com.docker.network.bridge.name'];
    if (bridge !== undefined && bridges.has(bridge)) networks.push(parsed.data.Name);
  }
  return { networks, addresses };
}

const NetworkRecordSchema = z
  .object({ Name: z.string(), Options: z.record(z.string(), z.string()).optional() })
  .loose();

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function listOrEmpty(root: string, path: string): string[] {
  try {
    return listDirInRoot(root, path);
  } catch (error) {
    if (error instanceof InRootError) return [];
    throw error;
  }
}

function readOrEmpty(root: string, path: string): string {
  try {
    return readFileInRoot(root, path, { maxBytes: 1024 * 1024 }).toString('utf8');
  } catch (error) {
    if (error instanceof InRootError) return '';
    throw error;
  }
}

/** "[ip:]hostPort:containerPort[/proto]" as `docker port` shows it. */
function parsePort(
  spec: string,
): { hostIp: string | null; hostPort: number; containerPort: number; proto: string } | null {
  const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp))?$/.exec(spec);
  if (!match) return null;
  return {
    hostIp: match[1] ?? null,
    hostPort: Number(match[2]),
    containerPort: Number(match[3]),
    proto: match[4] ?? 'tcp',
  };
}

/** Published ports, judged by the DNAT rules in the box's netns that lead to one of the container's addresses. */
async function checkPorts(
  target: BoxTarget,
  addresses: string[],
  ports: string[],
  name: string,
): Promise<Problem[]> {
  const out = await execInNamespaces(target.initPid, ['net'], ['iptables', '-w', '5', '-t', 'nat', '-S']);
  const rules = out.stdout.split('\n').filter((line) => line.startsWith('-A ') && / -j DNAT /.test(line));
  const problems: Problem[] = [];
  for (const spec of ports) {
    const port = parsePort(spec);
    const hit =
      port !== null &&
      rules.some((rule) => {
        const words = rule.split(/\s+/);
        const arg = (flag: string) => words[words.indexOf(flag) + 1];
        if (!words.includes('--dport') || Number(arg('--dport')) !== port.hostPort) return false;
        if (arg('-p') !== port.proto) return false;
        const dst = words.includes('-d') ? arg('-d') : undefined;
        if (port.hostIp !== null && port.hostIp !== '0.0.0.0' && dst !== `${port.hostIp}/32`) return false;
        const to = arg('--to-destination') ?? '';
        return addresses.some((address) => to === `${address}:${port.containerPort}`);
      });
    if (!hit) {
      problems.push({
        en: `port ${spec} is not published to container ${name}`,
        zh: `端口 ${spec} 没有发布到容器 ${name}`,
      });
    }
  }
  return problems;
}
