// Start-up cost of dyrt vs crun vs runc on one /bin/true bundle, measured in the same run.
// Each sample is `<runtime> run` = create + start + wait + delete in one invocation; runtimes are
// interleaved (rotating order) so drift of the machine affects all of them alike.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '..');
const repoRoot = resolve(pkgDir, '../..');
const dyrt = join(pkgDir, 'native/bin/dyrt');
const SAMPLES = Math.max(50, Number(process.env.BENCH_SAMPLES ?? 50));
const E2E_SAMPLES = 10;

const runtimes = [
  { name: 'dyrt', bin: dyrt },
  { name: 'crun', bin: 'crun' },
  { name: 'runc', bin: 'runc' },
] as const;
type Name = (typeof runtimes)[number]['name'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function ensureBuilt(): void {
  execFileSync('make', ['-C', join(pkgDir, 'native'), 'dyrt'], { stdio: 'ignore' });
  // crun refuses hybrid cgroup hosts while a controller sits on the v2 mount (see toolchain notes).
  const unified = '/sys/fs/cgroup/unified/cgroup.controllers';
  if (existsSync(unified)) {
    for (const ctrl of readFileSync(unified, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      execFileSync('mkdir', ['-p', `/sys/fs/cgroup/${ctrl}`]);
      execFileSync('mount', ['-t', 'cgroup', '-o', ctrl, 'cgroup', `/sys/fs/cgroup/${ctrl}`]);
    }
  }
}

function makeBundle(work: string): string {
  const rootfs = execFileSync('bash', [join(repoRoot, 'infra/images/build.sh'), 'busybox'], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop();
  if (!rootfs) throw new Error('busybox image not available');
  const bundle = join(work, 'bundle');
  execFileSync('mkdir', ['-p', bundle]);
  execFileSync('cp', ['-a', rootfs, join(bundle, 'rootfs')]);
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const config = z
    .object({ process: z.object({ terminal: z.boolean(), args: z.array(z.string()) }).passthrough() })
    .passthrough()
    .parse(JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')));
  config.process.terminal = false;
  config.process.args = ['/bin/true'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  return bundle;
}

function benchRuntimes(work: string, bundle: string): Record<Name, number[]> {
  const samples: Record<Name, number[]> = { dyrt: [], crun: [], runc: [] };
  const roots = Object.fromEntries(runtimes.map((r) => [r.name, join(work, `root-${r.name}`)]));
  // Warm-up: page cache, first-run costs.
  for (const rt of runtimes)
    spawnSync(rt.bin, ['--root', roots[rt.name] ?? '', 'run', '--bundle', bundle, `warm-${rt.name}`]);
  for (let i = 0; i < SAMPLES; i++) {
    for (let k = 0; k < runtimes.length; k++) {
      const rt = runtimes[(i + k) % runtimes.length];
      if (!rt) continue;
      const id = `bench-${rt.name}-${i}`;
      let status: number | null = null;
      const ms = timeMs(() => {
        status = spawnSync(rt.bin, ['--root', roots[rt.name] ?? '', 'run', '--bundle', bundle, id], {
          stdio: 'ignore',
        }).status;
      });
      if (status !== 0) throw new Error(`${rt.name} run failed (exit ${status})`);
      samples[rt.name].push(ms);
    }
  }
  return samples;
}

function benchEngine(): void {
  const cli = join(pkgDir, 'bin/dockyard.mjs');
  if (!existsSync(cli)) {
    console.log(
      '\n(dockyard CLI not found at bin/dockyard.mjs: end-to-end `dockyard run --rm busybox true` skipped)',
    );
    return;
  }
  const results: Record<string, number[]> = { dyrt: [], crun: [] };
  try {
    for (let i = 0; i < E2E_SAMPLES; i++) {
      for (const rt of ['dyrt', 'crun']) {
        let status: number | null = null;
        let stderr = '';
        const ms = timeMs(() => {
          const r = spawnSync(process.execPath, [cli, 'run', '--rm', 'busybox', 'true'], {
            env: { ...process.env, DOCKYARD_OCI_RUNTIME: rt },
            encoding: 'utf8',
          });
          status = r.status;
          stderr = r.stderr;
        });
        if (status !== 0) throw new Error(`dockyard run with ${rt} failed: ${stderr.trim()}`);
        results[rt]?.push(ms);
      }
    }
  } catch (e) {
    console.log(`\n(end-to-end dockyard run skipped: ${(e as Error).message})`);
    return;
  }
  console.log(`\ndockyard run --rm busybox true (median of ${E2E_SAMPLES})`);
  for (const [rt, xs] of Object.entries(results)) {
    console.log(`  DOCKYARD_OCI_RUNTIME=${rt.padEnd(5)} ${median(xs).toFixed(1)} ms`);
  }
}

function main(): void {
  ensureBuilt();
  const work = mkdtempSync(join(tmpdir(), 'dyrt-bench-'));
  try {
    const bundle = makeBundle(work);
    const samples = benchRuntimes(work, bundle);
    console.log(`/bin/true in a busybox bundle: create+start+wait+delete (\`run\`), ${SAMPLES} samples each`);
    console.log('runtime   median ms    p90 ms    min ms');
    for (const rt of runtimes) {
      const xs = samples[rt.name];
      console.log(
        `${rt.name.padEnd(8)} ${median(xs).toFixed(2).padStart(9)} ${percentile(xs, 90).toFixed(2).padStart(9)} ${Math.min(
          ...xs,
        )
          .toFixed(2)
          .padStart(9)}`,
      );
    }
    benchEngine();
    const d = median(samples.dyrt);
    console.log(
      `start-ratio dyrt/crun=${(d / median(samples.crun)).toFixed(2)} dyrt/runc=${(d / median(samples.runc)).toFixed(2)}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
