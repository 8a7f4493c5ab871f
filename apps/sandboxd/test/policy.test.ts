import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_LEAVE_PATH, type LabStatus, signLabToken } from '@dockyard/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clampLimits } from '../src/boxes/limits.js';
import type { Sandboxd } from '../src/server.js';
import { MAX_PENDING_BYTES, TERMINAL_RESET, TerminalAttachment } from '../src/terminals/session.js';
import { type Client, call, connect, leftovers, ready, SECRET, sandboxdFixture, screen } from './helpers.js';

// Per-lesson limits within the host's, a student leaving, a box init nothing inside can end, and terminal
// attachments that mend themselves. Boxes run the toolchain's box-init, as in production.
const MiB = 2 ** 20;
const fx = sandboxdFixture('pol', {
  net: 240,
  idBase: 14_000_000,
  boxes: 6,
  toolchain: true,
  memoryBytes: 256 * MiB,
  pids: 300,
  cpus: 1,
  diskBytes: 96 * MiB,
  reapIntervalSeconds: 3600,
  poolSize: 1,
});
const { config, clients } = fx;

let sandboxd: Sandboxd;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ownedBy = (sub: string) => sandboxd.boxes.list().find((b) => b.owner === sub);
const sh = (boxId: string, script: string) => sandboxd.boxes.exec(boxId, ['sh', '-c', script]);
const hostCgroup = (ctrl: string, boxId: string, file: string) =>
  readFileSync(join('/sys/fs/cgroup', ctrl, config.cgroupParent, boxId, file), 'utf8').trim();
async function poolFilled() {
  for (let i = 0; i < 600 && sandboxd.pooled().length === 0; i++) await sleep(50);
}
function statuses(client: Client): LabStatus[] {
  const seen: LabStatus[] = [];
  client.on('lab:status', (s) => seen.push(s));
  return seen;
}
async function until(what: string, test: () => boolean, timeoutMs = 20_000) {
  for (let waited = 0; !test(); waited += 50) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  sandboxd = await fx.start();
});

afterAll(() => fx.close());

describe('per-lesson limits within the operator maxima', () => {
  const max = {
    memoryBytes: 256 * MiB,
    pids: 300,
    cpus: 1,
    diskBytes: 96 * MiB,
    idleTimeoutSeconds: 1800,
    maxLifetimeSeconds: 3600,
  };

  it('takes a lesson’s smaller limits, never more than the maximum', () => {
    expect(
      clampLimits(max, {
        memoryMiB: 128,
        pids: 100_000,
        cpus: 0.5,
        diskMiB: 4096,
        idleMinutes: 5,
        lifetimeMinutes: 600,
      }),
    ).toEqual({
      memoryBytes: 128 * MiB,
      pids: 300,
      cpus: 0.5,
      diskBytes: 96 * MiB,
      idleTimeoutSeconds: 300,
      maxLifetimeSeconds: 3600,
    });
    expect(clampLimits(max)).toEqual(max);
    expect(clampLimits({ ...max, diskBytes: 0 }, { diskMiB: 100 }).diskBytes).toBe(100 * MiB);
  });

  it('applies them to a pooled box’s cgroup when a student takes it', async () => {
    await poolFilled();
    const warm = sandboxd.pooled()[0];
    const client = await connect(
      sandboxd.url,
      { sub: 'lim-a', limits: { memoryMiB: 128, pids: 100_000, cpus: 0.5, idleMinutes: 5 } },
      clients,
    );
    await ready(client);
    const box = ownedBy('lim-a');
    expect(box?.id).toBe(warm?.id);
    const id = box?.id as string;
    expect(Number(hostCgroup('memory', id, 'memory.limit_in_bytes'))).toBe(128 * MiB);
    expect(hostCgroup('pids', id, 'pids.max')).toBe('300');
    expect(hostCgroup('cpu', id, 'cpu.cfs_quota_us')).toBe('50000');
    expect(box?.idleTimeoutSeconds).toBe(300);
    // The box itself cannot raise them: the limit files stay the host's.
    expect(
      await sh(id, 'echo 1G > /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1 || echo refused'),
    ).toMatch(/refused/);
    expect(Number(hostCgroup('memory', id, 'memory.limit_in_bytes'))).toBe(128 * MiB);
  });

  it('makes a fresh box with a smaller disk, and caps a greedy lesson at the maximum', async () => {
    const client = await connect(
      sandboxd.url,
      { sub: 'lim-b', limits: { memoryMiB: 4096, diskMiB: 64, pids: 100 } },
      clients,
    );
    await ready(client);
    const id = ownedBy('lim-b')?.id as string;
    expect(sandboxd.pooled().map((b) => b.id)).not.toContain(id);
    expect(Number(hostCgroup('memory', id, 'memory.limit_in_bytes'))).toBe(256 * MiB);
    expect(hostCgroup('pids', id, 'pids.max')).toBe('100');
    const diskBytes = Number((await sh(id, 'df -B1 --output=size / | tail -1')).trim());
    expect(diskBytes).toBeGreaterThan(40 * MiB);
    expect(diskBytes).toBeLessThanOrEqual(64 * MiB);
    const out = await sh(
      id,
      'dd if=/dev/zero of=/root/fill bs=1M count=90 2>&1 | grep -o "No space left"; rm -f /root/fill',
    );
    expect(out).toMatch(/No space left/);
  });

  it('reaps by the box’s own idle timeout, not only the host’s', async () => {
    const client = clients[0] as Client;
    const seen = statuses(client);
    const box = ownedBy('lim-a');
    expect(box?.idleTimeoutSeconds).toBe(300);
    // As a lesson with a one-second idle timeout would set it (lessons count in minutes); the host allows 30 min.
    await sandboxd.boxes.setLimits(
      box?.id as string,
      { memoryBytes: 128 * MiB, pids: 300, cpus: 0.5 },
      { idleTimeoutSeconds: 1 },
    );
    sandboxd.boxes.touch(box?.id as string);
    await sandboxd.reap();
    expect(ownedBy('lim-a')?.id).toBe(box?.id);
    await sleep(1200);
    await sandboxd.reap();
    expect(ownedBy('lim-a')).toBeUndefined();
    await until('the idle status', () => seen.some((s) => s.state === 'stopped'));
    expect(seen.find((s) => s.state === 'stopped')?.reason).toBe('idle');
  });

  it('refuses a token whose limits are not limits', async () => {
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ lesson: 'sandbox-check', role: 'student', limits: { memoryMiB: 1e12 } })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('lim-c')
      .setIssuer('dockyard-web')
      .setAudience('dockyard-sandboxd')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(SECRET));
    const { io } = await import('socket.io-client');
    const client = io(`${sandboxd.url}/lab`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(client as Client);
    const error = await new Promise<Error>((resolve) => client.on('connect_error', resolve));
    expect(error.message).toBe('bad-claims');
    expect(ownedBy('lim-c')).toBeUndefined();
  });
});

describe('a student leaves', () => {
  it('saves the work and stops the box on lab:leave; the next start restores it', async () => {
    const client = await connect(sandboxd.url, { sub: 'leaver' }, clients);
    await ready(client);
    const box = ownedBy('leaver');
    const write = await call(client, 'file:write', {
      path: '/root/notes.txt',
      content: 'kept between classes\n',
      encoding: 'utf8',
    });
    expect(write.ok).toBe(true);
    const disconnected = new Promise<void>((resolve) => client.on('disconnect', () => resolve()));
    const reply = await call(client, 'lab:leave', {});
    expect(reply.value).toEqual({ stopped: 1, saved: true });
    await disconnected;
    expect(ownedBy('leaver')).toBeUndefined();
    expect(existsSync(`/proc/${box?.pid}`)).toBe(false);
    expect(leftovers([box?.id as string])).toEqual([]);

    const again = await connect(sandboxd.url, { sub: 'leaver' }, clients);
    await ready(again);
    expect(ownedBy('leaver')?.id).not.toBe(box?.id);
    const read = await call(again, 'file:read', { path: '/root/notes.txt' });
    expect(read.value.content).toBe('kept between classes\n');
  });

  it('does the same on sign-out through HTTP with the user’s token, and tells their open sockets', async () => {
    const client = await connect(sandboxd.url, { sub: 'leaver' }, clients);
    await ready(client);
    const seen = statuses(client);
    const box = ownedBy('leaver');
    await sh(box?.id as string, 'echo second > /root/second.txt');
    const post = (token: string) =>
      fetch(`${sandboxd.url}${LAB_LEAVE_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await post('not-a-token-at-all')).status).toBe(401);
    const forged = await signLabToken({ sub: 'leaver', lesson: 'x', role: 'student' }, `${SECRET}-other`);
    expect((await post(forged)).status).toBe(401);
    expect(ownedBy('leaver')?.id).toBe(box?.id);

    const token = await signLabToken({ sub: 'leaver', lesson: 'sandbox-check', role: 'student' }, SECRET);
    const res = await post(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stopped: 1, saved: true });
    expect(ownedBy('leaver')).toBeUndefined();
    await until('the stopped status', () => seen.some((s) => s.state === 'stopped'));
    expect(seen.find((s) => s.state === 'stopped')?.reason).toBe('left');

    const again = await connect(sandboxd.url, { sub: 'leaver' }, clients);
    await ready(again);
    const id = ownedBy('leaver')?.id as string;
    expect(await sh(id, 'cat /root/notes.txt /root/second.txt')).toBe('kept between classes\nsecond\n');
    // Leaving without a box is fine too.
    await call(again, 'lab:leave', {});
    expect(await post(token).then((r) => r.json())).toEqual({ stopped: 0, saved: true });
  });
});

describe('a box init nothing inside can end', () => {
  it('survives pkill sleep, kill -9 -1, kill -9 1 and killing PID 1’s children', async () => {
    const client = await connect(sandboxd.url, { sub: 'killer' }, clients);
    await ready(client);
    const seen = statuses(client);
    const box = ownedBy('killer');
    const id = box?.id as string;
    expect(readFileSync(`/proc/${box?.pid}/cmdline`, 'utf8')).toMatch(/^\/\.dockyard\/init\0/);
    const term = screen(client, 't0');
    expect((await call(client, 'terminal:open', { terminalId: 't0', rows: 24, cols: 80 })).ok).toBe(true);
    await term.waitFor(/# $/);
    const exits = new Set<string>();
    client.on('terminal:exit', (e) => exits.add(e.terminalId));
    term.type('sleep 1000 & pkill sleep; echo pk-$?\n');
    await term.waitFor(/pk-0/);
    term.type('kill -9 1; echo k1-$?\n');
    await term.waitFor(/k1-0/);
    // Orphans are PID 1's children.
    term.type(
      '(sleep 1000 &); (sleep 1001 &); ps -o pid= --ppid 1 | wc -l; kill -9 $(ps -o pid= --ppid 1); echo kc-$?\n',
    );
    await term.waitFor(/kc-0/);
    expect(term.text).toMatch(/^2\r?$/m);
    expect(existsSync(`/proc/${box?.pid}`)).toBe(true);
    expect(await sh(id, 'echo still-$((1+1))')).toBe('still-2\n');

    const term1 = screen(client, 't1');
    expect((await call(client, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 })).ok).toBe(true);
    await term1.waitFor(/# $/);
    // Everything but PID 1, both shells included.
    term1.type('sleep 1000 & /bin/kill -9 -1; echo after\n');
    await until('both shells to end', () => exits.has('t0') && exits.has('t1'));
    expect(existsSync(`/proc/${box?.pid}`)).toBe(true);
    expect(await sh(id, 'ps -e -o pid=,comm= | sort -n | head -1')).toMatch(/^\s*1 init\n$/);
    // The box is still the student's, and nobody told them otherwise.
    expect(ownedBy('killer')?.id).toBe(id);
    expect(seen.filter((s) => s.state === 'stopped')).toEqual([]);
    const term2 = screen(client, 't2');
    expect((await call(client, 'terminal:open', { terminalId: 't2', rows: 24, cols: 80 })).ok).toBe(true);
    await term2.waitFor(/# $/);
  });

  it('tells the student at once when the init dies anyway, saves the work, and gives a fresh box', async () => {
    const client = clients.at(-1) as Client;
    const seen = statuses(client);
    const box = ownedBy('killer');
    await sh(box?.id as string, 'echo before-death > /root/d.txt');
    // Only the host can do this.
    process.kill(box?.pid as number, 'SIGKILL');
    await until('the died status', () => seen.some((s) => s.state === 'stopped'));
    const status = seen.find((s) => s.state === 'stopped');
    expect(status?.reason).toBe('died');
    expect(status?.message?.en).toMatch(/Reconnect for a new one/);
    expect(status?.message?.['zh-CN']).toMatch(/重新连接/);
    await until('the dead box to be cleared', () => ownedBy('killer') === undefined);
    expect(leftovers([box?.id as string])).toEqual([]);
    const again = await connect(sandboxd.url, { sub: 'killer' }, clients);
    await ready(again);
    const fresh = ownedBy('killer');
    expect(fresh?.id).not.toBe(box?.id);
    expect(await sh(fresh?.id as string, 'cat /root/d.txt')).toBe('before-death\n');
  });
});

describe('terminal attachments', () => {
  it('reattaches with replay when dyshim drops a browser that fell behind, while the shell lives on', async () => {
    const box = await sandboxd.boxes.create({ owner: 'reattach' });
    let pending = 0;
    let text = '';
    const drains: Array<() => void> = [];
    let reattached = 0;
    let exitCode: number | null | undefined;
    const terminal = await TerminalAttachment.open(
      sandboxd.boxes,
      box.id,
      't0',
      { rows: 24, cols: 80 },
      {
        data: (chunk) => {
          text = (text + chunk).slice(-MAX_PENDING_BYTES);
        },
        exit: (code) => {
          exitCode = code;
        },
        pendingBytes: () => pending,
        onDrain: (cb) => drains.push(cb),
        reattached: () => reattached++,
      },
      { readOnly: false },
    );
    try {
      await until('a prompt', () => /# $/.test(text));
      pending = Number.MAX_SAFE_INTEGER;
      // A browser that never catches up: we stop reading, the shell floods, dyshim drops us (1 MiB buffered).
      terminal.input('yes\n');
      const stateDir = join(sandboxd.boxes.terminalsDir(box.id), 't0');
      const shimPid = Number(readFileSync(join(stateDir, 'shim.pid'), 'utf8'));
      const clientsOfShim = () =>
        execFileSync('ss', ['-x', '-p', '-H'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.includes(`pid=${shimPid},`) && l.startsWith('u_str') && l.includes('ESTAB'))
          .length;
      await until('dyshim to drop the attachment', () => clientsOfShim() === 0, 60_000);
      expect(reattached).toBe(0);
      // The browser catches up: the broken attachment is noticed and made again, with a replay after a reset.
      pending = 0;
      for (const drain of drains) drain();
      await until('the reattachment', () => reattached === 1);
      terminal.input('\x03');
      await sleep(200);
      text = '';
      terminal.input('echo alive-$((40+2))\n');
      await until('output after the reattachment', () => /alive-42/.test(text));
      expect(exitCode).toBeUndefined();
      expect(clientsOfShim()).toBe(1);
      expect(TERMINAL_RESET).toBe('\x1bc');
    } finally {
      terminal.hangUp();
      await sandboxd.boxes.destroy(box.id);
    }
  });
});
