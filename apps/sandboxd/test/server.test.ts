import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientToServerEvents, type ServerToClientEvents, signLabToken } from '@dockyard/protocol';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeLabNetwork } from '../src/boxes/network.js';
import { configSchema } from '../src/config.js';
import { type Sandboxd, startSandboxd } from '../src/server.js';
import { removeCgroupParent } from './helpers.js';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
/** An ack as the tests read it: every field the handlers may answer with. */
interface Reply {
  ok: boolean;
  value: {
    terminalId?: string;
    passed?: boolean;
    results: Array<{ message: { en: string } }>;
    path?: string;
    content?: string;
    encoding?: string;
  };
  error: { code: string };
}

const suffix = Math.random().toString(16).slice(2, 6);
const secret = 'test-secret-that-is-long-enough-0123456789';
const work = mkdtempSync(join(tmpdir(), 'dy-sandboxd-'));
chmodSync(work, 0o711);
const hostSecret = join(tmpdir(), `dy-host-secret-${suffix}`);
const config = configSchema.parse({
  port: 0,
  tokenSecret: secret,
  allowedOrigins: ['http://web.test'],
  dataRoot: join(work, 'data'),
  runRoot: join(work, 'run'),
  lessonsDir: join(import.meta.dirname, 'fixtures/lessons'),
  imageRootfs: execFileSync(
    'bash',
    [join(import.meta.dirname, '../../../infra/images/build.sh'), 'lab-debian'],
    {
      encoding: 'utf8',
    },
  ).trim(),
  idBase: 5_000_000 + (Number.parseInt(suffix, 16) % 100) * 4 * 65536,
  maxBoxes: 3,
  bridge: `dytsd${suffix}`,
  subnet: `10.233.${Number.parseInt(suffix, 16) % 250}.0/24`,
  cgroupParent: `/dytest-sandboxd-${suffix}`,
});

let sandboxd: Sandboxd;
const clients: Client[] = [];

async function connect(
  claims: { sub: string; role?: 'student' | 'instructor'; box?: string },
  ttlSeconds = 60,
) {
  const token = await signLabToken({ lesson: 'sandbox-check', role: 'student', ...claims }, secret, {
    ttlSeconds,
  });
  const client: Client = io(`${sandboxd.url}/lab`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(client);
  return client;
}

function ready(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.on('lab:status', (status) => status.state === 'ready' && resolve());
    client.on('lab:error', (error) => reject(new Error(error.code)));
    client.on('connect_error', reject);
  });
}

function call<E extends keyof ClientToServerEvents>(
  client: Client,
  event: E,
  payload: unknown,
): Promise<Reply> {
  const emit = client.emit as unknown as (
    event: string,
    payload: unknown,
    ack: (reply: Reply) => void,
  ) => void;
  return new Promise((resolve) => emit.call(client, event, payload, resolve));
}

/** Everything the terminal prints, and a way to wait for a pattern in it. */
function screen(client: Client, terminalId: string) {
  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  client.on('terminal:data', (chunk) => {
    if (chunk.terminalId !== terminalId) return;
    text += chunk.data;
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return {
    get text() {
      return text;
    },
    waitFor(pattern: RegExp, timeoutMs = 40_000) {
      if (pattern.test(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; screen: ${text.slice(-500)}`)),
          timeoutMs,
        );
      });
    },
  };
}

beforeAll(async () => {
  writeFileSync(hostSecret, 'host secret\n');
  sandboxd = await startSandboxd(config, pino({ level: 'silent' }));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await sandboxd.close();
  for (const box of sandboxd.boxes.list()) await sandboxd.boxes.destroy(box.id);
  await removeLabNetwork({ bridge: config.bridge, subnet: config.subnet, chain: 'DOCKYARD-LABS' });
  rmSync(work, { recursive: true, force: true });
  rmSync(hostSecret, { force: true });
  removeCgroupParent(config.cgroupParent);
});

describe('a student at the terminal', () => {
  let student: Client;
  let term: ReturnType<typeof screen>;

  beforeAll(async () => {
    student = await connect({ sub: 'student-a' });
    await ready(student);
    term = screen(student, 't1');
    const opened = await call(student, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    expect(opened).toEqual({ ok: true, value: { terminalId: 't1' } });
    // Typeahead sent before bash sets up the terminal is discarded, as on any real terminal.
    await term.waitFor(/# $/);
  });

  it('types a command and sees its real output', async () => {
    student.emit('terminal:data', { terminalId: 't1', data: "unshare -u sh -c 'hostname lab2; hostname'\n" });
    await term.waitFor(/\rlab2\r\n/);
  });

  it('resizes the terminal and the shell sees the new size', async () => {
    student.emit('terminal:resize', { terminalId: 't1', rows: 33, cols: 101 });
    student.emit('terminal:data', { terminalId: 't1', data: 'stty size\n' });
    await term.waitFor(/33 101/);
  });

  it('rejects a resize out of bounds with a clear error', async () => {
    const result = await call(student, 'terminal:open', { terminalId: 't2', rows: 0, cols: 80 });
    expect(result.ok).toBe(false);
    expect(result.error.code).toBe('bad-request');
  });

  it('fails a check first, with the hint, then passes it after the work is done', async () => {
    const before = await call(student, 'check:run', { lessonId: 'sandbox-check', stepId: 'new-pid-ns' });
    expect(before.ok).toBe(true);
    expect(before.value.passed).toBe(false);
    expect(before.value.results[0]?.message.en).toMatch(/Try unshare -p -f --mount-proc/);
    student.emit('terminal:data', { terminalId: 't1', data: 'unshare -p -f --mount-proc sleep 777 &\n' });
    await new Promise((r) => setTimeout(r, 500));
    const after = await call(student, 'check:run', { lessonId: 'sandbox-check', stepId: 'new-pid-ns' });
    expect(after.value.passed).toBe(true);
  });

  it('cannot fake a check by printing what the grader would look for', async () => {
    student.emit('terminal:data', {
      terminalId: 't1',
      // `wait` reaps the killed job here, so its "Killed" notice does not land in a later test's output.
      data: "pkill -9 -f 'sleep 777'; wait; echo 'sleep 777 pid 1'\n",
    });
    await new Promise((r) => setTimeout(r, 300));
    const result = await call(student, 'check:run', { lessonId: 'sandbox-check', stepId: 'new-pid-ns' });
    expect(result.value.passed).toBe(false);
  });

  it('writes a file from the editor that the shell then reads, and a file check sees it', async () => {
    const wrote = await call(student, 'file:write', {
      path: '/root/hello.txt',
      content: 'hello\n',
      encoding: 'utf8',
    });
    expect(wrote.ok).toBe(true);
    student.emit('terminal:data', {
      terminalId: 't1',
      data: 'stat -c "%U %s" /root/hello.txt; cat /root/hello.txt\n',
    });
    await term.waitFor(/root 6\r\nhello/);
    const read = await call(student, 'file:read', { path: '/root/hello.txt' });
    expect(read.value).toEqual({ path: '/root/hello.txt', content: 'hello\n', encoding: 'utf8' });
    const check = await call(student, 'check:run', { lessonId: 'sandbox-check', stepId: 'hello-file' });
    expect(check.value.passed).toBe(true);
  });

  it('cannot read host files through symlinks or .. in the file API', async () => {
    student.emit('terminal:data', {
      terminalId: 't1',
      data: `ln -sf ${hostSecret} /root/evil; ln -sf /../../../../${hostSecret} /root/evil2\n`,
    });
    await new Promise((r) => setTimeout(r, 300));
    for (const path of ['/root/evil', '/root/evil2']) {
      const read = await call(student, 'file:read', { path });
      expect(read.ok).toBe(false);
    }
    const dotdot = await call(student, 'file:read', { path: `/../../..${hostSecret}` });
    expect(dotdot.ok).toBe(false);
    expect(dotdot.error.code).toBe('bad-request');
  });

  it('reconnects and gets the scrollback replayed', async () => {
    student.close();
    const again = await connect({ sub: 'student-a' });
    await ready(again);
    const replay = screen(again, 't1');
    await call(again, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    await replay.waitFor(/33 101/);
    student = again;
  });
});

describe('access control', () => {
  it('refuses a websocket opened from a page of another origin, even with a valid token', async () => {
    const token = await signLabToken({ sub: 'student-x', lesson: 'sandbox-check', role: 'student' }, secret);
    const foreign: Client = io(`${sandboxd.url}/lab`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: 'http://evil.test' },
    });
    clients.push(foreign);
    await expect(ready(foreign)).rejects.toThrow();
    const own: Client = io(`${sandboxd.url}/lab`, {
      auth: {
        token: await signLabToken({ sub: 'student-a', lesson: 'sandbox-check', role: 'student' }, secret),
      },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: 'http://web.test' },
    });
    clients.push(own);
    await ready(own);
  });

  it('refuses an expired or forged token', async () => {
    const expired = await signLabToken({ sub: 'x', lesson: 'sandbox-check', role: 'student' }, secret, {
      ttlSeconds: 1,
      now: new Date(Date.now() - 60_000),
    });
    const client: Client = io(`${sandboxd.url}/lab`, {
      auth: { token: expired },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(client);
    await expect(ready(client)).rejects.toThrow(/expired/);
    const forged = await signLabToken(
      { sub: 'x', lesson: 'sandbox-check', role: 'student' },
      `${secret}-other`,
    );
    const other: Client = io(`${sandboxd.url}/lab`, {
      auth: { token: forged },
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(other);
    await expect(ready(other)).rejects.toThrow(/invalid-signature/);
  });

  it("does not let one student into another student's box", async () => {
    const owner = sandboxd.boxes.list().find((b) => b.owner === 'student-a');
    expect(owner).toBeDefined();
    const intruder = await connect({ sub: 'student-b', box: owner?.id });
    await expect(ready(intruder)).rejects.toThrow(/box-not-found/);
  });

  it('lets an instructor watch but not type', async () => {
    const owner = sandboxd.boxes.list().find((b) => b.owner === 'student-a');
    const instructor = await connect({ sub: 'teacher', role: 'instructor', box: owner?.id });
    await ready(instructor);
    const view = screen(instructor, 't1');
    const opened = await call(instructor, 'terminal:open', { terminalId: 't1', rows: 24, cols: 80 });
    expect(opened).toEqual({ ok: true, value: { terminalId: 't1' } });
    await view.waitFor(/33 101/);
    const wrote = await call(instructor, 'file:write', { path: '/root/x', content: 'x', encoding: 'utf8' });
    expect(wrote.ok).toBe(false);
  });
});

describe('host endpoints', () => {
  it('answers /healthz and /metrics', async () => {
    const health = (await fetch(`${sandboxd.url}/healthz`).then((r) => r.json())) as { ok: boolean };
    expect(health.ok).toBe(true);
    const metrics = await fetch(`${sandboxd.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/dockyard_boxes \d+/);
    expect(metrics).toMatch(/dockyard_check_seconds_count \d+/);
  });
});
