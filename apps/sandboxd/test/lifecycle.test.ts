import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandboxd } from '../src/server.js';
import { type Client, call, connect, leftovers, ready, sandboxdFixture, screen } from './helpers.js';

const fx = sandboxdFixture('life', {
  net: 235,
  idBase: 9_000_000,
  boxes: 3,
  diskBytes: 96 * 2 ** 20,
  idleTimeoutSeconds: 1,
  // Reaping is driven by the test.
  reapIntervalSeconds: 3600,
  poolSize: 1,
});
const { clients } = fx;

let sandboxd: Sandboxd;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function poolFilled() {
  for (let i = 0; i < 600 && sandboxd.pooled().length === 0; i++) await sleep(50);
}
const ownedBy = (sub: string) => sandboxd.boxes.list().find((b) => b.owner === sub);

beforeAll(async () => {
  sandboxd = await fx.start();
});

afterAll(() => fx.close());

describe('warm pool and activity', () => {
  it('hands a pooled box to a student on connect and refills the pool', async () => {
    await poolFilled();
    const warm = sandboxd.pooled()[0];
    expect(warm).toBeDefined();
    const client = await connect(sandboxd.url, { sub: 'student-a' }, clients);
    await ready(client);
    expect(ownedBy('student-a')?.id).toBe(warm?.id);
    await poolFilled();
    expect(sandboxd.pooled()).toHaveLength(1);
    expect(sandboxd.pooled()[0]?.id).not.toBe(warm?.id);
  });

  it('keeps a box with terminal input and reaps one whose socket is merely open, saving the work', async () => {
    const client = clients[0] as Client;
    const term = screen(client, 't1');
    await call(client, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    await term.waitFor(/# $/);
    term.type(
      'echo saved-work > /root/notes.txt; rm /etc/motd; mkdir -p /root/proj && echo x > /root/proj/f; echo done-$((2+3))\n',
    );
    await term.waitFor(/done-5/);
    await sleep(1200);
    term.type('true\n');
    await sleep(50);
    await sandboxd.reap();
    const box = ownedBy('student-a');
    expect(box).toBeDefined();
    // An open socket without input is not activity.
    const stopped = new Promise<{ en: string; 'zh-CN': string } | undefined>((resolve) =>
      client.on('lab:status', (s) => s.state === 'stopped' && resolve(s.message)),
    );
    await sleep(1200);
    await sandboxd.reap();
    expect(ownedBy('student-a')).toBeUndefined();
    const message = await stopped;
    expect(message?.en).toMatch(/inactivity/);
    expect(message?.['zh-CN']).toMatch(/无操作/);
    expect(leftovers([box?.id as string])).toEqual([]);
    expect(sandboxd.boxes.layers?.has('student-a')).toBe(true);
  });

  it('restores the saved writable layer (files and deletions) into the next box', async () => {
    const client = await connect(sandboxd.url, { sub: 'student-a' }, clients);
    await ready(client);
    const box = ownedBy('student-a');
    expect(sandboxd.pooled().map((b) => b.id)).not.toContain(box?.id);
    const out = await sandboxd.boxes.exec(box?.id as string, [
      'sh',
      '-c',
      'cat /root/notes.txt /root/proj/f; test -e /etc/motd && echo motd-back || echo motd-gone; stat -c %u /root/notes.txt',
    ]);
    expect(out).toBe('saved-work\nx\nmotd-gone\n0\n');
  });

  it('resets to a fresh box and discards the saved work', async () => {
    const client = clients.at(-1) as Client;
    const old = ownedBy('student-a');
    const reply = await call(client, 'lab:reset', {});
    expect(reply.ok).toBe(true);
    expect(reply.value.boxId).not.toBe(old?.id);
    expect(ownedBy('student-a')?.id).toBe(reply.value.boxId);
    expect(sandboxd.boxes.layers?.has('student-a')).toBe(false);
    const out = await sandboxd.boxes.exec(reply.value.boxId, [
      'sh',
      '-c',
      'ls /root/notes.txt 2>&1; test -e /etc/motd && echo motd',
    ]);
    expect(out).toMatch(/No such file/);
    expect(out).toMatch(/motd/);
    const term = screen(client, 't1');
    expect((await call(client, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 })).ok).toBe(true);
    await term.waitFor(/# $/);
    expect((await call(client, 'lab:reset', { extra: 1 })).error.code).toBe('bad-request');
  });

  it('caps the writable layer: filling it fails inside the box, the host is fine', async () => {
    const box = ownedBy('student-a');
    const out = await sandboxd.boxes.exec(box?.id as string, [
      'sh',
      '-c',
      'dd if=/dev/zero of=/root/fill bs=1M count=400 2>&1 | grep -o "No space left on device"; df -m / | tail -1',
    ]);
    expect(out).toMatch(/No space left on device/);
    const health = (await fetch(`${sandboxd.url}/healthz`).then((r) => r.json())) as { ok: boolean };
    expect(health.ok).toBe(true);
    await sandboxd.boxes.exec(box?.id as string, ['rm', '/root/fill']);
  });

  it('limits boxes per person and host capacity with bilingual errors', async () => {
    await expect(sandboxd.boxes.create({ owner: 'student-a' })).rejects.toThrow(/per person/);
    await poolFilled();
    const b = await connect(sandboxd.url, { sub: 'student-b' }, clients);
    await ready(b);
    // Three boxes on a host of three once the pool has refilled: the next student takes the pooled box,
    // the pool cannot refill, and the one after is turned away.
    await poolFilled();
    await ready(await connect(sandboxd.url, { sub: 'student-c' }, clients));
    const c = await connect(sandboxd.url, { sub: 'student-d' }, clients);
    const error = new Promise<{ code: string; message: { en: string; 'zh-CN': string } }>((resolve) =>
      c.on('lab:error', resolve),
    );
    const refused = await error;
    expect(refused.code).toBe('capacity');
    expect(refused.message.en).toMatch(/busy/);
    expect(refused.message['zh-CN']).toMatch(/已满/);
  });

  it('notices a box whose machine died, saves its work, and gives its owner a new one', async () => {
    const box = ownedBy('student-b');
    expect(box).toBeDefined();
    await sandboxd.boxes.exec(box?.id as string, ['sh', '-c', 'echo from-b > /root/b.txt']);
    process.kill(box?.pid as number, 'SIGKILL');
    await sleep(300);
    await sandboxd.reap();
    expect(sandboxd.boxes.list().find((b) => b.id === box?.id)).toBeUndefined();
    expect(leftovers([box?.id as string])).toEqual([]);
    const again = await connect(sandboxd.url, { sub: 'student-b' }, clients);
    await ready(again);
    const fresh = ownedBy('student-b');
    expect(fresh?.id).not.toBe(box?.id);
    expect(await sandboxd.boxes.exec(fresh?.id as string, ['cat', '/root/b.txt'])).toBe('from-b\n');
  });
});
