import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { NetworkManager } from '../../src/networks/index.js';

export const BUSYBOX = '/var/cache/dockyard/images/busybox/rootfs/bin/busybox';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export function sh(cmd: string, args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const claimDir = '/tmp/dockyard-nettest-claims';

/**
 * Claims a 10.X.0.0/16 no route on the host and no other test run uses, so test files running at the same
 * time never share addresses. Released by the returned function.
 */
async function claimSubnetBlock(
  tag: string,
  stateRoot: string,
): Promise<{ octet: number; release: () => Promise<void> }> {
  await mkdir(claimDir, { recursive: true });
  const release = await lockfile.lock(claimDir, {
    retries: { retries: 200, minTimeout: 10, maxTimeout: 100 },
  });
  try {
    const routes = JSON.parse(await must('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{
      dst: string;
    }>;
    const used = new Set<number>();
    for (const r of routes) {
      const m = /^10\.(\d+)\./.exec(r.dst);
      if (m) used.add(Number(m[1]));
    }
    for (const f of await readdir(claimDir)) {
      const claim = await readFile(join(claimDir, f), 'utf8')
        .then((t) => JSON.parse(t) as { pid: number; tag: string; stateRoot: string })
        .catch(() => undefined);
      if (claim && (await sh('kill', ['-0', String(claim.pid)])).code === 0) {
        used.add(Number(f));
        continue;
      }
      // A run that was killed before its cleanup: remove what it left.
      if (claim) await purgeTag(claim.tag, claim.stateRoot);
      await rm(join(claimDir, f), { force: true });
    }
    const free = [];
    for (let x = 100; x <= 250; x++) if (!used.has(x)) free.push(x);
    const octet = free[Math.floor(Math.random() * free.length)];
    if (octet === undefined) throw new Error('no free 10.X.0.0/16 for network tests');
    await writeFile(join(claimDir, String(octet)), JSON.stringify({ pid: process.pid, tag, stateRoot }));
    return { octet, release: () => rm(join(claimDir, String(octet)), { force: true }) };
  } finally {
    await release();
  }
}

/** Removes every chain, hook, link, netns and state dir of a test env tagged `tag` (its process is gone). */
async function purgeTag(tag: string, stateRoot: string): Promise<void> {
  const chain = `dytest-${tag}`;
  for (const table of ['nat', 'filter']) {
    const rules = (await sh('iptables', ['-w', '-t', table, '-S'])).stdout.split('\n');
    for (const rule of rules.filter((r) => r.startsWith('-A ') && r.includes(`-j ${chain}`))) {
      await sh('iptables', ['-w', '-t', table, '-D', ...rule.slice(3).split(/\s+/)]);
    }
    for (const decl of rules.filter((r) => r.startsWith(`-N ${chain}`))) {
      await sh('iptables', ['-w', '-t', table, '-F', decl.slice(3)]);
      await sh('iptables', ['-w', '-t', table, '-X', decl.slice(3)]);
    }
  }
  const links = JSON.parse((await sh('ip', ['-j', 'link', 'show'])).stdout || '[]') as Array<{
    ifname: string;
  }>;
  for (const l of links) if (l.ifname.startsWith(`dt${tag}`)) await sh('ip', ['link', 'del', l.ifname]);
  for (const ns of (await sh('ip', ['netns', 'list'])).stdout.split('\n')) {
    const name = ns.split(' ')[0] ?? '';
    if (name.startsWith(`${chain}-`)) {
      await sh('ip', ['netns', 'del', name]);
      await rm(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
  if (stateRoot.startsWith(join(tmpdir(), 'dytest-net-')))
    await rm(stateRoot, { recursive: true, force: true });
}

/** A NetworkManager of its own: temp state, unique bridge/chain names and a /16 nobody else uses. */
export class TestEnv {
  readonly tag = randomBytes(2).toString('hex');
  readonly bridgePrefix = `dt${this.tag}`;
  readonly chainPrefix = `dytest-${this.tag}`;
  stateRoot = '';
  octet = 0;
  manager!: NetworkManager;
  private releaseBlock: () => Promise<void> = async () => {};
  private readonly netnsNames: string[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly extraLinks: string[] = [];

  async setup(): Promise<this> {
    this.stateRoot = await mkdtemp(join(tmpdir(), 'dytest-net-'));
    const block = await claimSubnetBlock(this.tag, this.stateRoot);
    this.octet = block.octet;
    this.releaseBlock = block.release;
    this.manager = this.newManager();
    return this;
  }

  /** A second manager on the same state: what another `dockyard` process (or one after a crash) sees. */
  newManager(): NetworkManager {
    return new NetworkManager({
      stateRoot: this.stateRoot,
      runRoot: join(this.stateRoot, 'run'),
      bridgePrefix: this.bridgePrefix,
      chainPrefix: this.chainPrefix,
      defaultSubnet: `10.${this.octet}.0.0/24`,
      userSubnetPool: `10.${this.octet}.128.0/17`,
    });
  }

  /** `ip netns add` with a hosts file slot that `ip netns exec` bind-mounts over /etc/hosts. */
  async netns(): Promise<{ name: string; path: string; hostsPath: string }> {
    const name = `dytest-${this.tag}-${randomBytes(3).toString('hex')}`;
    await must('ip', ['netns', 'add', name]);
    this.netnsNames.push(name);
    await mkdir(`/etc/netns/${name}`, { recursive: true });
    const hostsPath = `/etc/netns/${name}/hosts`;
    await writeFile(hostsPath, '');
    return { name, path: `/run/netns/${name}`, hostsPath };
  }

  /** A long-running process in a netns of its own (no name): stands in for a container's init. */
  async unsharedProcess(): Promise<{ proc: ChildProcess; netnsPath: string }> {
    const proc = spawn('unshare', ['-n', 'sleep', '600'], { stdio: 'ignore' });
    this.procs.push(proc);
    const pid = proc.pid;
    if (!pid) throw new Error('unshare did not start');
    // Wait until unshare has exec'd sleep inside the new netns.
    for (let attempt = 0; ; attempt++) {
      if (attempt > 250) throw new Error('unshare -n sleep did not come up');
      const [mine, theirs] = await Promise.all([
        must('readlink', ['/proc/self/ns/net']),
        sh('readlink', [`/proc/${pid}/ns/net`]),
      ]);
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
      if (theirs.code === 0 && theirs.stdout !== mine && comm.trim() === 'sleep') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    return { proc, netnsPath: `/proc/${pid}/ns/net` };
  }

  /** Runs a process inside a named netns in the background (httpd); killed on cleanup. */
  spawnIn(netns: string, cmd: string, args: string[]): ChildProcess {
    const proc = spawn('ip', ['netns', 'exec', netns, cmd, ...args], { stdio: 'ignore' });
    this.procs.push(proc);
    return proc;
  }

  trackLink(name: string): void {
    this.extraLinks.push(name);
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    await this.manager?.teardownHost().catch(() => {});
    for (const l of this.extraLinks) await sh('ip', ['link', 'del', l]);
    for (const n of this.netnsNames) {
      await sh('ip', ['netns', 'del', n]);
      await rm(`/etc/netns/${n}`, { recursive: true, force: true });
    }
    await sh('rmdir', ['/etc/netns']);
    // Whatever a failing test may have left: bridges and veths named with our prefix.
    const links = JSON.parse((await sh('ip', ['-j', 'link', 'show'])).stdout || '[]') as Array<{
      ifname: string;
    }>;
    for (const l of links)
      if (l.ifname.startsWith(this.bridgePrefix)) await sh('ip', ['link', 'del', l.ifname]);
    if (this.stateRoot) await rm(this.stateRoot, { recursive: true, force: true });
    await this.releaseBlock();
  }

  /** Lines of iptables-save that mention this env's chains (hooks, rules, chain declarations). */
  async iptablesLines(): Promise<string[]> {
    const out = await must('iptables-save', []);
    return out.split('\n').filter((l) => l.includes(this.chainPrefix));
  }

  async links(): Promise<string[]> {
    const links = JSON.parse(await must('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>;
    return links.map((l) => l.ifname).filter((n) => n.startsWith(this.bridgePrefix));
  }
}

export function containerId(): string {
  return randomBytes(32).toString('hex');
}

/** `ip -j addr` of one interface inside a netns. */
export async function addrIn(
  netns: string,
  ifname: string,
): Promise<{ address?: string; mac?: string; up: boolean }> {
  const r = await sh('ip', ['-n', netns, '-j', 'addr', 'show', 'dev', ifname]);
  if (r.code !== 0) return { up: false };
  const [link] = JSON.parse(r.stdout) as Array<{
    address: string;
    operstate: string;
    flags: string[];
    addr_info: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  const v4 = link?.addr_info.find((a) => a.family === 'inet');
  return {
    address: v4 ? `${v4.local}/${v4.prefixlen}` : undefined,
    mac: link?.address,
    up: link?.flags.includes('UP') ?? false,
  };
}

export async function defaultRouteIn(netns: string): Promise<{ gateway?: string; dev?: string }> {
  const out = await must('ip', ['-n', netns, '-j', '-4', 'route', 'show', 'default']);
  const [r] = JSON.parse(out || '[]') as Array<{ gateway?: string; dev?: string }>;
  return { gateway: r?.gateway, dev: r?.dev };
}

export function pingFrom(netns: string, target: string): Promise<Result> {
  return sh('ip', ['netns', 'exec', netns, BUSYBOX, 'ping', '-c1', '-W1', target]);
}
