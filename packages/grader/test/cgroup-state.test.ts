import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLesson } from '../../lessons/src/index.js';
import { evaluateCheck, type HostCheck } from '../src/evaluate.js';
import { cgroupDirFor } from '../src/kernel/cgroup.js';
import { type FakeBox, startFakeBox } from './fake-box.js';

/**
 * Kernel state of a cgroup normalized across v1 and v2 (frozen, memory peak, OOM kills, cpu.stat), on real
 * cgroups of this host, and the cgroup lessons' own checks: files a student writes never make them pass.
 */
const hint = { 'zh-CN': '提示', en: 'hint' };
const lessons = join(import.meta.dirname, '../../../lessons');
let box: FakeBox;
const grade = (check: HostCheck) => evaluateCheck(check, { target: box.target });

beforeAll(async () => {
  box = await startFakeBox();
  // The box's own /root, so the old "save it to /root/x.txt" files can be written without touching the host's.
  expect(box.sh('mount -t tmpfs dyroot /root').status).toBe(0);
});

afterAll(() => box?.destroy());

type Controller = 'memory' | 'pids' | 'cpu' | 'freezer';

/** Host directory of a cgroup of the box for one controller (v1: that controller's tree; v2: the unified one). */
function dirOf(controller: Controller, path: string): string {
  const base = cgroupDirFor(box.target.initPid, controller);
  if (!base) throw new Error(`no ${controller} hierarchy`);
  return join(base.dir, path);
}
const v1 = () => cgroupDirFor(box.target.initPid, 'memory')?.version === 1;

/** Creates the cgroup in every hierarchy of the given controllers; returns the cgroup.procs files to join. */
function makeCgroup(path: string, controllers: Controller[]): string[] {
  const dirs = [...new Set(controllers.map((c) => dirOf(c, path)))];
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  return dirs.map((dir) => join(dir, 'cgroup.procs'));
}

/** Runs a command in the box from a shell that first moves itself into the cgroup (like the lessons do). */
function runIn(procs: string[], command: string) {
  const join_ = procs.map((file) => `echo $$ > ${file}`).join('; ');
  return box.sh(`sh -c '${join_}; exec ${command}'`);
}

function setFrozen(path: string, frozen: boolean) {
  if (v1()) writeFileSync(join(dirOf('freezer', path), 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  else writeFileSync(join(dirOf('freezer', path), 'cgroup.freeze'), frozen ? '1' : '0');
  for (let i = 0; i < 100; i++) {
    const state = v1()
      ? readFileSync(join(dirOf('freezer', path), 'freezer.state'), 'utf8').trim()
      : readFileSync(join(dirOf('freezer', path), 'cgroup.events'), 'utf8');
    if (v1() ? state === (frozen ? 'FROZEN' : 'THAWED') : state.includes(`frozen ${frozen ? 1 : 0}`)) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

async function stepChecks(lessonId: string, stepId: string): Promise<HostCheck[]> {
  const lesson = await loadLesson(join(lessons, lessonId));
  const step = lesson.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`${lessonId} has no step ${stepId}`);
  return step.checks.filter((c) => c.kind !== 'quiz') as HostCheck[];
}

async function gradeAll(checks: HostCheck[]) {
  const results = [];
  for (const check of checks) results.push(await grade(check));
  return results;
}

describe('frozen', () => {
  it('reads the freezer of the cgroup (v1 freezer tree, v2 cgroup.events) and names the state found', async () => {
    const path = '/dytest-frz';
    const check: HostCheck = { kind: 'cgroup', path, expect: { frozen: true }, hint };
    // Only in the memory and pids trees: on v1 the freezer cannot reach it.
    const procs = makeCgroup(path, ['memory', 'pids']);
    box.sh(`sh -c 'echo $$ > ${procs.join('; echo $$ > ')}; exec sleep 1201' >/dev/null 2>&1 &`);
    if (v1()) {
      expect((await grade(check)).message.en).toMatch(
        /it has no freezer state \(is it in the freezer hierarchy\?\)/,
      );
      const freezerProcs = makeCgroup(path, ['freezer'])[0] as string;
      expect((await grade(check)).message.en).toMatch(/freezer\.state says THAWED, expected FROZEN/);
      // An empty frozen group is not a frozen group of processes.
      setFrozen(path, true);
      expect((await grade(check)).message.en).toMatch(
        /frozen, but no process is in it in the freezer hierarchy/,
      );
      setFrozen(path, false);
      const hostPid = readFileSync(join(dirOf('pids', path), 'cgroup.procs'), 'utf8').trim();
      expect(hostPid).toMatch(/^\d+$/);
      writeFileSync(freezerProcs, hostPid);
    }
    const thawed = await grade(check);
    expect(thawed.pass).toBe(false);
    expect(thawed.message.en).toMatch(
      v1()
        ? /freezer\.state says THAWED, expected FROZEN/
        : /cgroup\.events says frozen 0, expected frozen 1/,
    );
    expect(thawed.message['zh-CN']).toMatch(/应该是 (FROZEN|frozen 1)/);
    const byProcess: HostCheck = { kind: 'cgroup', match: '^sleep 1201$', expect: { frozen: true }, hint };
    expect((await grade(byProcess)).pass).toBe(false);

    setFrozen(path, true);
    expect((await grade(check)).pass).toBe(true);
    expect((await grade(byProcess)).pass).toBe(true);
    const notFrozen = await grade({ ...byProcess, expect: { frozen: false } });
    expect(notFrozen.pass).toBe(false);
    expect(notFrozen.message.en).toMatch(/says (FROZEN|frozen 1), expected (THAWED|frozen 0)/);
    setFrozen(path, false);
    expect((await grade(check)).pass).toBe(false);
  });
});

describe('memory peak and OOM kills', () => {
  it('reads the peak (memory.peak / memory.max_usage_in_bytes) and oom_kill, with sizes in the message', async () => {
    const path = '/dytest-mem';
    const procs = makeCgroup(path, ['memory']);
    const memory = dirOf('memory', path);
    writeFileSync(join(memory, v1() ? 'memory.limit_in_bytes' : 'memory.max'), String(32 * 1024 * 1024));
    const peak: HostCheck = { kind: 'cgroup', path, expect: { 'memory-peak-min': '16MiB' }, hint };
    const kills: HostCheck = { kind: 'cgroup', path, expect: { 'oom-kills-min': 1 }, hint };
    const low = await grade(peak);
    expect(low.pass).toBe(false);
    const peakFile = v1() ? 'memory.max_usage_in_bytes' : 'memory.peak';
    expect(low.message.en).toMatch(new RegExp(`${peakFile} is [\\d.]+(B|KiB|MiB), expected at least 16MiB`));
    expect(low.message['zh-CN']).toMatch(/应该至少是 16MiB/);
    const none = await grade(kills);
    expect(none.message.en).toMatch(
      new RegExp(`${v1() ? 'memory\\.oom_control' : 'memory\\.events'} has oom_kill 0, expected at least 1`),
    );

    expect(runIn(procs, 'dd if=/dev/zero of=/dev/null bs=20M count=1').status).toBe(0);
    expect((await grade(peak)).pass).toBe(true);
    const tooHigh = await grade({ ...peak, expect: { 'memory-peak-min': '1GiB' } });
    expect(tooHigh.message.en).toMatch(new RegExp(`${peakFile} is 2\\d\\.\\dMiB, expected at least 1GiB`));
    expect((await grade(kills)).pass).toBe(false);

    expect(runIn(procs, 'dd if=/dev/zero of=/dev/null bs=64M count=1').status).not.toBe(0);
    expect((await grade(kills)).pass).toBe(true);
  });
});

describe('cpu.stat', () => {
  it('counts periods and throttled periods under a quota', async () => {
    const path = '/dytest-cpu';
    const procs = makeCgroup(path, ['cpu']);
    const cpu = dirOf('cpu', path);
    if (v1()) writeFileSync(join(cpu, 'cpu.cfs_quota_us'), '10000');
    else writeFileSync(join(cpu, 'cpu.max'), '10000 100000');
    const periods: HostCheck = { kind: 'cgroup', path, expect: { 'nr-periods-min': 1 }, hint };
    const throttled: HostCheck = { kind: 'cgroup', path, expect: { 'cpu-throttled-min': 1 }, hint };
    expect((await grade(periods)).message.en).toMatch(/cpu\.stat has nr_periods 0, expected at least 1/);
    expect((await grade(throttled)).message.en).toMatch(/cpu\.stat has nr_throttled 0, expected at least 1/);

    const join_ = procs.map((file) => `echo $$ > ${file}`).join('; ');
    box.sh(`sh -c '${join_}; exec timeout 20 yes dytest-cpu' >/dev/null 2>&1 &`);
    // Wait for the kernel's own counters (a 10% quota is used up within the first periods).
    let passed = false;
    for (let i = 0; i < 200 && !passed; i++) {
      passed = (await grade(periods)).pass && (await grade(throttled)).pass;
      if (!passed) await new Promise((r) => setTimeout(r, 50));
    }
    expect(passed).toBe(true);
    const many = await grade({ ...periods, expect: { 'nr-periods-min': 10_000_000 } });
    expect(many.message.en).toMatch(/cpu\.stat has nr_periods \d+, expected at least 10000000/);
    box.sh('pkill -xf "yes dytest-cpu"');
  });
});

describe('files with alternatives', () => {
  it('reads the first file of "a|b" that exists, from its own controller\'s hierarchy', async () => {
    const path = '/dytest-alt';
    makeCgroup(path, ['memory', 'pids']);
    writeFileSync(join(dirOf('pids', path), 'pids.max'), '7');
    const check: HostCheck = {
      kind: 'cgroup',
      path,
      expect: { files: { 'memory.peak|memory.max_usage_in_bytes': '^\\d+$', 'pids.max': '^7$' } },
      hint,
    };
    expect((await grade(check)).pass).toBe(true);
    const missing = await grade({ ...check, expect: { files: { 'memory.nope|memory.nada': '.' } } });
    expect(missing.message.en).toMatch(/it has no file memory\.nope or memory\.nada/);
    const wrong = await grade({ ...check, expect: { files: { 'pids.nope|pids.max': '^8$' } } });
    expect(wrong.message.en).toMatch(/pids\.max is "7", which does not match \/\^8\$\//);
    const traversal = await grade({ ...check, expect: { files: { 'pids.max|../../x': '.' } } });
    expect(traversal.pass).toBe(true); // the first alternative exists; the bad one is never read
    const badFirst = await grade({ ...check, expect: { files: { '../../x|pids.max': '.' } } });
    expect(badFirst.message.en).toMatch(/has no file/);
  });
});

describe('confinement', () => {
  it('never counts a host process, even through a hierarchy the box is not in (cpuset here)', async () => {
    const { spawn } = await import('node:child_process');
    const outsider = spawn('sleep', ['1299'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const result = await grade({
        kind: 'cgroup',
        path: '/',
        expect: { 'contains-process': '^sleep 1299$' },
        hint,
      });
      expect(result.pass).toBe(false);
      expect(result.message.en).toMatch(/no process matching/);
    } finally {
      outsider.kill('SIGKILL');
    }
  });
});

describe('the cgroup lessons cannot be passed by writing files', () => {
  it('cgroups-overview freeze: only a frozen lab14/leaf passes, whatever /root/freezer.txt says', async () => {
    const checks = await stepChecks('cgroups-overview', 'freeze');
    const procs = makeCgroup('/lab14/leaf', ['memory', 'pids', 'freezer']);
    box.sh(`sh -c 'echo $$ > ${procs.join('; echo $$ > ')}; exec sleep 11402' >/dev/null 2>&1 &`);
    box.sh('printf "frozen 1\\nFROZEN\\n" > /root/freezer.txt');
    const faked = await gradeAll(checks);
    expect(faked.every((r) => !r.pass)).toBe(true);
    setFrozen('/lab14/leaf', true);
    expect((await gradeAll(checks)).every((r) => r.pass)).toBe(true);
    setFrozen('/lab14/leaf', false);
    box.sh('pkill -xf "sleep 11402"');
  });

  it('cgroup-memory: the peak and OOM steps need the kernel counters, not /root/peak.txt or /root/oom.txt', async () => {
    const peakChecks = await stepChecks('cgroup-memory', 'measure-peak');
    const oomChecks = await stepChecks('cgroup-memory', 'oom-kill');
    const procs = makeCgroup('/mem-demo', ['memory']);
    writeFileSync(join(dirOf('memory', '/mem-demo'), v1() ? 'memory.limit_in_bytes' : 'memory.max'), '64M');
    box.sh('echo 99999999 > /root/peak.txt; echo "oom_kill 5" > /root/oom.txt');
    const peakFaked = await gradeAll(peakChecks);
    expect(peakFaked.some((r) => !r.pass)).toBe(true);
    expect(peakFaked.find((r) => !r.pass)?.message.en).toMatch(/expected at least 40MiB/);
    const oomFaked = await gradeAll(oomChecks);
    expect(oomFaked.find((r) => !r.pass)?.message.en).toMatch(/has oom_kill 0, expected at least 1/);

    expect(runIn(procs, 'dd if=/dev/zero of=/dev/null bs=40M count=1').status).toBe(0);
    expect((await gradeAll(peakChecks)).every((r) => r.pass)).toBe(true);
    expect((await gradeAll(oomChecks)).every((r) => r.pass)).toBe(false);
    expect(runIn(procs, 'dd if=/dev/zero of=/dev/null bs=100M count=1').status).not.toBe(0);
    expect((await gradeAll(oomChecks)).every((r) => r.pass)).toBe(true);
  });

  it('no check of the six cgroup lessons reads a file under /root', async () => {
    const ids = [
      'cgroups-overview',
      'cgroup-memory',
      'cgroup-cpu',
      'cgroup-pids',
      'cgroup-namespace',
      'docker-resource-flags',
    ];
    for (const id of ids) {
      const lesson = await loadLesson(join(lessons, id));
      for (const step of lesson.steps) {
        for (const check of step.checks) {
          if (check.kind === 'file') expect(check.path, `${id}/${step.id}`).not.toMatch(/^\/root\//);
        }
      }
    }
  });
});
