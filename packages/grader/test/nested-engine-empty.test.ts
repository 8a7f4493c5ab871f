import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkContainer } from '../src/checks/container.js';

// A box whose engine has its state root but no container yet (as right after `docker version`).
let dir: string;
let child: ChildProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dy-grader-empty-'));
  cpSync('/var/cache/dockyard/images/busybox/rootfs', dir, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(dir, 'var/lib/dockyard'), { recursive: true });
  child = spawn('chroot', [dir, '/bin/sleep', '1000'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));
});

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it('reports a missing container when the engine state has no containers directory yet', async () => {
  const result = await checkContainer(
    { initPid: child.pid as number, cgroupDir: '/nonexistent' },
    { name: 'web', expect: { state: 'running' } },
  );
  expect(result.pass).toBe(false);
  expect(result.message.en).toBe('There is no container named web.');
});
