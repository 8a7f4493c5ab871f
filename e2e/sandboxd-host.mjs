// A real sandboxd for the browser tests, run by Playwright as a web server (root, like CI).
// Everything it creates carries a random suffix and is torn down on SIGTERM: boxes, the lab
// bridge and its iptables rules, cgroups, and its temp data/run dirs.
// Run as `node --import tsx e2e/sandboxd-host.mjs` so the daemon's TypeScript sources load directly.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { removeLabNetwork } from '../apps/sandboxd/src/boxes/network.ts';
import { configSchema } from '../apps/sandboxd/src/config.ts';
import { startSandboxd } from '../apps/sandboxd/src/server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const n = Number.parseInt(process.env.DY_E2E_SUFFIX ?? '0', 16);
const suffix = n.toString(16).padStart(4, '0');
const work = mkdtempSync(path.join(tmpdir(), 'dy-e2e-sandboxd-'));
// Box users (shifted uids) must be able to reach their layers below this dir.
chmodSync(work, 0o711);

const config = configSchema.parse({
  host: '127.0.0.1',
  port: process.env.DY_E2E_SANDBOX_PORT,
  tokenSecret: process.env.SANDBOXD_TOKEN_SECRET,
  allowedOrigins: [process.env.DY_E2E_WEB_ORIGIN],
  dataRoot: path.join(work, 'data'),
  runRoot: path.join(work, 'run'),
  lessonsDir: path.join(here, 'fixtures/lessons'),
  imageRootfs: execFileSync('bash', [path.join(here, '../infra/images/build.sh'), 'lab-debian'], {
    encoding: 'utf8',
  }).trim(),
  idBase: 300_000_000 + (n % 100) * 4 * 65536,
  // One box for the student and one warm spare; a second student finds the host full.
  maxBoxes: 1,
  poolSize: 1,
  diskBytes: 256 * 1024 * 1024,
  bridge: `dye2e${suffix}`,
  subnet: `10.239.${n % 250}.0/24`,
  cgroupParent: `/dye2e-sandboxd-${suffix}`,
});

const log = pino({ level: process.env.DY_E2E_SANDBOXD_LOG ?? 'error' });
const sandboxd = await startSandboxd(config, log);
console.log(`e2e sandboxd listening on ${sandboxd.url}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await sandboxd.close();
    for (const box of sandboxd.boxes.list()) {
      await sandboxd.boxes.destroy(box.id).catch((error) => log.error({ err: error }, 'destroy failed'));
    }
    await removeLabNetwork({ bridge: config.bridge, subnet: config.subnet, chain: 'DOCKYARD-LABS' });
  } finally {
    rmSync(work, { recursive: true, force: true });
    for (const root of [
      'memory',
      'pids',
      'cpu',
      'unified',
      'systemd',
      'freezer',
      'devices',
      'blkio',
      'cpuset',
      'cpuacct',
      'hugetlb',
    ]) {
      spawnSync('rmdir', [`/sys/fs/cgroup/${root}${config.cgroupParent}`]);
    }
    spawnSync('rmdir', [`/sys/fs/cgroup${config.cgroupParent}`]);
    console.log('e2e sandboxd stopped and cleaned up');
    process.exit(0);
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop());
