// `docker run --rm busybox true` through the same docker client against our Engine API and against Docker's
// own daemon (Debian's docker.io), side by side in one run on the same imported busybox rootfs. Samples
// alternate between the two so that drift of the machine affects both alike.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { ApiTestDaemon, DOCKER, waitFor } from '../test/api/helpers.js';

const SAMPLES = Math.max(5, Number(process.env.BENCH_SAMPLES ?? 15));
const WARMUP = 2;
const LAYER = '/var/cache/dockyard/images/busybox/layer.tar';
const IMAGE = 'dybench-busybox:latest';
// Docker's default bridge gets an address nothing else on the host uses; the bench removes it afterwards.
const DOCKERD_BIP = '10.239.0.1/24';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.9 * s.length))] ?? 0;
}

function dockerAt(socket: string, args: string[]): { ms: number; code: number; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(DOCKER, args, {
    env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${socket}`, DOCKER_BUILDKIT: '0', HOME: '/tmp' },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, code: r.status ?? -1, stderr: r.stderr ?? '' };
}

function pingOk(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Docker's daemon on a private socket, data root and exec root; `stop()` removes everything it added. */
async function startDockerd(dir: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  const socket = join(dir, 'docker.sock');
  const iptablesBefore = execFileSync('iptables-save', { encoding: 'utf8' });
  const forwardPolicy = /^:FORWARD (\w+)/m.exec(iptablesBefore)?.[1] ?? 'ACCEPT';
  const hadDocker0 = spawnSync('ip', ['link', 'show', 'docker0']).status === 0;
  const daemon: ChildProcess = spawn(
    'dockerd',
    [
      '--host',
      `unix://${socket}`,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--bip',
      DOCKERD_BIP,
      '--storage-driver',
      'overlay2',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  daemon.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const stop = async () => {
    if (daemon.exitCode === null) {
      const exited = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    spawnSync('pkill', ['-f', join(dir, 'exec')]);
    spawnSync('sh', [
      '-c',
      `grep ' ${dir}' /proc/self/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`,
    ]);
    if (!hadDocker0) spawnSync('ip', ['link', 'del', 'docker0']);
    // Docker's chains and the rules jumping to them; then the FORWARD policy it set to DROP.
    for (const table of ['filter', 'nat']) {
      const rules = execFileSync('iptables-save', ['-t', table], { encoding: 'utf8' }).split('\n');
      for (const rule of rules.filter((l) => l.startsWith('-A') && /DOCKER|docker0/.test(l))) {
        if (iptablesBefore.includes(rule)) continue;
        spawnSync('sh', ['-c', `iptables -t ${table} ${rule.replace(/^-A/, '-D')}`]);
      }
      for (const chain of rules
        .filter((l) => /^:DOCKER/.test(l))
        .map((l) => l.slice(1).split(' ')[0] ?? '')) {
        if (iptablesBefore.includes(`:${chain} `)) continue;
        spawnSync('iptables', ['-t', table, '-F', chain]);
        spawnSync('iptables', ['-t', table, '-X', chain]);
      }
    }
    spawnSync('iptables', ['-P', 'FORWARD', forwardPolicy]);
  };
  try {
    await waitFor(async () => existsSync(socket) && (await pingOk(socket)), 60_000);
  } catch (error) {
    await stop();
    throw new Error(`dockerd did not start: ${(error as Error).message}\n${log}`);
  }
  return { socket, stop };
}

async function main(): Promise<void> {
  if (!existsSync(LAYER)) throw new Error(`${LAYER} is missing: run bash infra/images/build.sh busybox`);
  const ours = new ApiTestDaemon();
  const dockerdDir = mkdtempSync('/tmp/dybench-dockerd-');
  let dockerd: Awaited<ReturnType<typeof startDockerd>> | undefined;
  try {
    await ours.setup();
    dockerd = await startDockerd(dockerdDir);
    const targets = [
      { name: 'ours', socket: ours.socket },
      { name: 'dockerd', socket: dockerd.socket },
    ];
    for (const t of targets) {
      const imported = dockerAt(t.socket, ['import', LAYER, IMAGE]);
      if (imported.code !== 0) throw new Error(`${t.name}: docker import: ${imported.stderr}`);
    }
    const samples: Record<string, number[]> = { ours: [], dockerd: [] };
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const order = i % 2 ? [...targets].reverse() : targets;
      for (const t of order) {
        const r = dockerAt(t.socket, ['run', '--rm', IMAGE, 'true']);
        if (r.code !== 0) throw new Error(`${t.name}: docker run --rm ${IMAGE} true: ${r.stderr}`);
        if (i >= WARMUP) samples[t.name]?.push(r.ms);
      }
    }
    const oursMs = median(samples.ours ?? []);
    const dockerdMs = median(samples.dockerd ?? []);
    for (const t of targets) {
      const xs = samples[t.name] ?? [];
      console.log(
        `docker-run ${t.name}: median=${median(xs).toFixed(0)} ms p90=${p90(xs).toFixed(0)} ms n=${xs.length}`,
      );
    }
    console.log(`docker-run-ratio ours/dockerd=${(oursMs / dockerdMs).toFixed(2)}`);
  } finally {
    await dockerd?.stop();
    rmSync(dockerdDir, { recursive: true, force: true });
    await ours.teardown();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
