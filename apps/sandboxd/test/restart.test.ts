import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BoxManager, BoxRecordSchema } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
import {
  type Client,
  call,
  connect,
  labImage,
  leftovers,
  ready,
  removeCgroupParent,
  SECRET,
  screen,
  uniqueNames,
} from './helpers.js';

const names = uniqueNames('rst');
const work = mkdtempSync(join(tmpdir(), 'dy-restart-'));
chmodSync(work, 0o711);
const subnet = `10.234.${names.n % 250}.0/24`;
const idBase = 7_000_000 + (names.n % 100) * 4 * 65536;
const env = {
  ...process.env,
  SANDBOXD_PORT: '0',
  SANDBOXD_TOKEN_SECRET: SECRET,
  SANDBOXD_DATA_ROOT: join(work, 'data'),
  SANDBOXD_RUN_ROOT: join(work, 'run'),
  SANDBOXD_IMAGE_ROOTFS: labImage(),
  SANDBOXD_ID_BASE: String(idBase),
  SANDBOXD_MAX_BOXES: '4',
  SANDBOXD_BRIDGE: names.bridge,
  SANDBOXD_SUBNET: subnet,
  SANDBOXD_CGROUP_PARENT: names.cgroupParent,
  SANDBOXD_BOX_DISK_BYTES: String(256 * 2 ** 20),
  SANDBOXD_POOL_SIZE: '0',
  LOG_LEVEL: 'info',
};
const clients: Client[] = [];
let child: ChildProcess | null = null;

/** Starts sandboxd as its own process and resolves with its URL once it listens. */
function startDaemon(): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: join(import.meta.dirname, '..'),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"(http:[^"]+)"/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    proc.on('exit', (code) => reject(new Error(`sandboxd exited (${code}): ${out.slice(-1000)}`)));
  });
}

function killDaemon(signal: NodeJS.Signals): Promise<void> {
  const proc = child;
  child = null;
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.on('exit', () => resolve());
    proc.kill(signal);
  });
}

const manager = () =>
  new BoxManager({
    dataRoot: env.SANDBOXD_DATA_ROOT,
    runRoot: env.SANDBOXD_RUN_ROOT,
    imageRootfs: env.SANDBOXD_IMAGE_ROOTFS,
    idBase,
    maxBoxes: 4,
    network: { bridge: names.bridge, subnet, chain: 'DOCKYARD-LABS' },
    cgroupParent: names.cgroupParent,
    diskBytes: 256 * 2 ** 20,
    saves: { dir: join(env.SANDBOXD_DATA_ROOT, 'saves'), maxBytes: 2 ** 30 },
    defaultLimits: { memoryBytes: 2 ** 29, memorySwapBytes: 2 ** 29, pids: 512, cpus: 1, tmpBytes: 2 ** 26 },
  });

afterAll(async () => {
  for (const client of clients) client.close();
  await killDaemon('SIGTERM');
  // Whatever is still there is adopted or cleaned by a fresh manager, then destroyed.
  const boxes = manager();
  await boxes.init();
  for (const box of boxes.list()) await boxes.destroy(box.id);
  await removeLabNetwork({ bridge: names.bridge, subnet, chain: 'DOCKYARD-LABS' });
  removeCgroupParent(names.cgroupParent);
  expect(leftovers([work, names.bridge])).toEqual([]);
  rmSync(work, { recursive: true, force: true });
});

describe('sandboxd restarts', () => {
  it('re-adopts live boxes after kill -9: five terminals reattach and replay; dead boxes are cleaned', async () => {
    let url = await startDaemon();
    const layout = [
      { sub: 'student-a', terminals: ['t1', 't2', 't3'] },
      { sub: 'student-b', terminals: ['t1', 't2'] },
    ];
    for (const { sub, terminals } of layout) {
      const client = await connect(url, { sub }, clients);
      await ready(client);
      for (const terminalId of terminals) {
        const term = screen(client, terminalId);
        expect((await call(client, 'terminal:open', { terminalId, rows: 24, cols: 80 })).ok).toBe(true);
        await term.waitFor(/# $/);
        term.type(`echo marker-$((6*7))-${sub}-${terminalId}\n`);
        await term.waitFor(new RegExp(`marker-42-${sub}-${terminalId}`));
      }
    }
    // A third box whose machine dies while sandboxd is down: it must be cleaned, its work saved.
    const doomed = await connect(url, { sub: 'student-c' }, clients);
    await ready(doomed);
    expect(
      (await call(doomed, 'file:write', { path: '/root/work.txt', content: 'mine', encoding: 'utf8' })).ok,
    ).toBe(true);
    for (const client of clients) client.close();
    await killDaemon('SIGKILL');

    const before = manager();
    const boxDirs = readdirSync(join(env.SANDBOXD_DATA_ROOT, 'boxes'));
    expect(boxDirs).toHaveLength(3);
    const records = boxDirs.map((id) =>
      BoxRecordSchema.parse(
        JSON.parse(readFileSync(join(env.SANDBOXD_DATA_ROOT, 'boxes', id, 'box.json'), 'utf8')),
      ),
    );
    const dead = records.find((r) => r.owner === 'student-c');
    expect(dead).toBeDefined();
    process.kill(dead?.pid as number, 'SIGKILL');
    expect(before.list()).toEqual([]);

    url = await startDaemon();
    for (const { sub, terminals } of layout) {
      const client = await connect(url, { sub }, clients);
      await ready(client);
      for (const terminalId of terminals) {
        const term = screen(client, terminalId);
        expect((await call(client, 'terminal:open', { terminalId, rows: 24, cols: 80 })).ok).toBe(true);
        await term.waitFor(new RegExp(`marker-42-${sub}-${terminalId}`));
        term.type('echo alive-$((1+1))\n');
        await term.waitFor(/alive-2/);
      }
    }
    // The dead box left nothing behind, and its owner's file came back in a new box.
    expect(leftovers([dead?.id as string])).toEqual([]);
    expect(existsSync(join(env.SANDBOXD_DATA_ROOT, 'boxes', dead?.id as string))).toBe(false);
    const again = await connect(url, { sub: 'student-c' }, clients);
    await ready(again);
    const read = await call(again, 'file:read', { path: '/root/work.txt' });
    expect(read.value?.content).toBe('mine');
  });
});
