import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestEngine, waitFor } from './helpers.js';

const t = new TestEngine();
beforeAll(() => t.setup());
afterAll(() => t.teardown());

const CYCLES = 200;
const PARALLEL = 6;

describe('resource leaks', () => {
  it(`${CYCLES} run --rm cycles leave no mounts, cgroups, veths, netns or processes`, async () => {
    const before = { mounts: (await t.mounts()).length, cgroups: t.cgroups().length, veths: await t.veths() };
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < CYCLES) {
        next++;
        const r = await t.dy(['run', '--rm', 'busybox', 'true']);
        if (r.code !== 0) failures.push(r.stderr);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(failures).toEqual([]);
    expect(await t.ok(['ps', '-aq'])).toBe('');
    // dyshim keeps its socket for late readers for 2 s, and exit commands may still be finishing.
    await waitFor(async () => (await t.processes()).length === 0, 30_000);
    expect((await t.mounts()).length).toBe(before.mounts);
    expect(t.cgroups().length).toBe(before.cgroups);
    expect(await t.veths()).toBe(before.veths);
    const { readdirSync, existsSync } = await import('node:fs');
    const netns = existsSync(`${t.run}/netns`) ? readdirSync(`${t.run}/netns`) : [];
    expect(netns).toEqual([]);
  }, 600_000);
});
