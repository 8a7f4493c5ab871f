/**
 * Lab benchmarks on this host, printing on its last line:
 *   lab-ready p50=<ms> p99=<ms> idle-box-mem=<MiB> echo-p99=<ms>
 * lab-ready: a new student connecting ("Start lab") until the first shell prompt, served from the warm pool.
 * idle-box-mem: per idle box without a shell: RSS of its shim and init processes plus the kernel-side memory
 * charged to its cgroup. echo-p99: keystroke to echo with 50 terminals printing continuously.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ClientToServerEvents, type ServerToClientEvents, signLabToken } from '@dockyard/protocol';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { boxCgroupDirs } from '../src/boxes/cgroups.js';
import type { BoxRecord } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import { configSchema } from '../src/config.js';
import { startSandboxd } from '../src/server.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
const SECRET = 'bench-secret-that-is-long-enough-0123456789';
const READY_SAMPLES = Number(process.env.BENCH_READY_SAMPLES ?? 20);
const BUSY_TERMINALS = Number(process.env.BENCH_BUSY_TERMINALS ?? 50);
// Twenty lines a second from one long-lived process per terminal (no fork per line).
const BUSY_COMMAND = `perl -e '$|=1; while (1) { print "busy-line-", int(rand(1e6)), "\\n"; select(undef, undef, undef, 0.05) }'\n`;
const ECHO_SAMPLES = Number(process.env.BENCH_ECHO_SAMPLES ?? 300);

const suffix = Math.random().toString(16).slice(2, 6);
const n = Number.parseInt(suffix, 16);
const work = mkdtempSync(join(tmpdir(), 'dy-bench-'));
chmodSync(work, 0o711);
const imageRootfs = spawnSync(
  'bash',
  [join(import.meta.dirname, '../../../infra/images/build.sh'), 'lab-debian'],
  {
    encoding: 'utf8',
  },
).stdout.trim();
const config = configSchema.parse({
  port: 0,
  tokenSecret: SECRET,
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  imageRootfs,
  idBase: 20_000_000 + (n % 50) * 64 * 65536,
  maxBoxes: 40,
  bridge: `dybench${suffix}`,
  subnet: `10.239.${n % 250}.0/24`,
  cgroupParent: `/dybench-${suffix}`,
  diskBytes: 256 * 2 ** 20,
  poolSize: 3,
  // A lesson without setup, so lab-ready measures the box alone.
  lessonsDir: join(import.meta.dirname, '../test/fixtures/lessons'),
});

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clients: Client[] = [];

async function connect(url: string, sub: string): Promise<Client> {
  const token = await signLabToken({ sub, lesson: 'sandbox-check', role: 'student' }, SECRET, {
    ttlSeconds: 900,
  });
  const client: Client = io(`${url}/lab`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.on('lab:status', (s) => s.state === 'ready' && resolve());
    client.on('lab:error', (e) => reject(new Error(e.code)));
    client.on('connect_error', reject);
  });
  return client;
}

/** Opens a terminal and resolves when `pattern` appears in its output. */
function openTerminal(client: Client, terminalId: string) {
  let text = '';
  let waiter: { pattern: RegExp; resolve: () => void } | null = null;
  client.on('terminal:data', (chunk) => {
    if (chunk.terminalId !== terminalId) return;
    text = (text + chunk.data).slice(-4096);
    if (waiter?.pattern.test(text)) {
      const { resolve } = waiter;
      waiter = null;
      resolve();
    }
  });
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(text)) return resolve();
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${terminalId}: no ${pattern} in ${timeoutMs} ms; saw ${JSON.stringify(text.slice(-200))}`,
            ),
          ),
        timeoutMs,
      );
      waiter = {
        pattern,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  return {
    opened: new Promise<void>((resolve, reject) =>
      client.emit('terminal:open', { terminalId, rows: 24, cols: 80 }, (reply) =>
        reply.ok ? resolve() : reject(new Error(`${terminalId}: ${reply.error.message.en}`)),
      ),
    ),
    waitFor,
    clear: () => {
      text = '';
    },
    type: (data: string) => client.emit('terminal:data', { terminalId, data }),
  };
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

function idleBoxMemory(box: BoxRecord): number {
  const dirs = boxCgroupDirs(box.pid);
  const memDir = dirs.find(
    (d) => existsSync(join(d, 'memory.usage_in_bytes')) || existsSync(join(d, 'memory.current')),
  );
  const usageFile =
    memDir && (existsSync(join(memDir, 'memory.current')) ? 'memory.current' : 'memory.usage_in_bytes');
  const kernel = memDir && usageFile ? Number(readFileSync(join(memDir, usageFile), 'utf8')) : 0;
  const procs = memDir
    ? readFileSync(join(memDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number)
    : [];
  // The box's own dyshim lives outside the box cgroup: found by its state dir.
  const shimDir = join(config.runRoot, 'boxes', box.id, 'shim');
  const shimPid = Number(readFileSync(join(shimDir, 'shim.pid'), 'utf8'));
  return kernel + [...procs, shimPid].reduce((sum, pid) => sum + rssBytes(pid), 0);
}

const sandboxd = await startSandboxd(config, pino({ level: 'warn' }));
let exitCode = 0;
try {
  const waitPool = async () => {
    for (let i = 0; i < 600 && sandboxd.pooled().length < config.poolSize; i++) await sleep(50);
  };
  // 1. Start lab → first prompt, from the warm pool.
  const ready: number[] = [];
  for (let i = 0; i < READY_SAMPLES; i++) {
    await waitPool();
    const t0 = performance.now();
    const client = await connect(sandboxd.url, `ready-${i}`);
    const term = openTerminal(client, 't1');
    await term.opened;
    await term.waitFor(/# $/);
    ready.push(performance.now() - t0);
    client.close();
    const box = sandboxd.boxes.list().find((b) => b.owner === `ready-${i}`);
    if (box) await sandboxd.boxes.destroy(box.id);
  }
  await waitPool();
  console.error(`lab-ready: ${ready.length} samples`);

  // 2. Memory of an idle pooled box (no shell).
  const idle = sandboxd.pooled().map(idleBoxMemory);
  const idleMiB = idle.reduce((a, b) => a + b, 0) / idle.length / 2 ** 20;

  // 3. Echo latency with 50 terminals printing continuously (4 per box).
  const terminals: Array<ReturnType<typeof openTerminal>> = [];
  for (let i = 0; terminals.length < BUSY_TERMINALS; i++) {
    const client = await connect(sandboxd.url, `busy-${i}`);
    for (let t = 1; t <= 4 && terminals.length < BUSY_TERMINALS; t++) {
      const term = openTerminal(client, `t${t}`);
      await term.opened;
      await term.waitFor(/# $/);
      if (process.env.BENCH_QUIET !== '1') term.type(BUSY_COMMAND);
      terminals.push(term);
    }
  }
  console.error(`${terminals.length} busy terminals`);
  await sleep(1000);
  const echo: number[] = [];
  for (let i = 0; i < ECHO_SAMPLES; i++) {
    const term = terminals[i % terminals.length];
    if (!term) continue;
    term.clear();
    const t0 = performance.now();
    term.type('q');
    await term.waitFor(/q/);
    echo.push(performance.now() - t0);
  }
  for (const term of terminals) term.type('\x03');

  const fmt = (v: number) => v.toFixed(v < 10 ? 2 : 0);
  console.log(
    `samples: lab-ready=${ready.length} idle-boxes=${idle.length} echo=${echo.length} terminals=${terminals.length}`,
  );
  console.log(
    `lab-ready p50=${fmt(percentile(ready, 50))} p99=${fmt(percentile(ready, 99))} idle-box-mem=${idleMiB.toFixed(1)} echo-p99=${fmt(percentile(echo, 99))}`,
  );
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  for (const client of clients) client.close();
  await sandboxd.close();
  for (const box of sandboxd.boxes.list()) await sandboxd.boxes.destroy(box.id).catch(() => undefined);
  await removeLabNetwork({ bridge: config.bridge, subnet: config.subnet, chain: 'DOCKYARD-LABS' });
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const fstype = fields[fields.indexOf('-') + 1];
    if (fstype === 'cgroup' || fstype === 'cgroup2')
      spawnSync('rmdir', [`${fields[4]}${config.cgroupParent}`]);
  }
  if (existsSync(work) && readdirSync(join(work, 'run', 'boxes')).length === 0)
    rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
