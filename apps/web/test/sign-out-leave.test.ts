// Sign-out is the student leaving: the web server tells sandboxd (`POST /lab/leave`) with a lab token for
// that user, and a sandboxd that is down or hangs does not keep anyone signed in.
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LAB_LEAVE_PATH, verifyLabToken } from '@dockyard/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTempDatabase } from './db-helper';

const secret = 'web-test-lab-secret-0123456789abcdef';
let dir: string;
let auth: typeof import('../lib/auth');
let db: import('@dockyard/db').Db;
let fake: Server | null = null;

interface Seen {
  method?: string;
  url?: string;
  authorization?: string;
}

/** A stand-in sandboxd on loopback: records each request; `answer` false leaves requests hanging. */
async function fakeSandboxd(answer: boolean): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  fake = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    if (!answer) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ stopped: 1, saved: true }));
  });
  await new Promise<void>((resolve) => fake?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, seen };
}

/** A loopback port with nothing listening on it. */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function signedIn(email: string): Promise<{ headers: Headers; userId: string }> {
  const { headers, response } = await auth.getAuth().api.signUpEmail({
    body: { name: 'Leaver', email, password: 'correct-horse-leave' },
    returnHeaders: true,
  });
  const cookie = headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { headers: new Headers({ cookie }), userId: response.user.id };
}

async function signOut(headers: Headers) {
  await auth.getAuth().api.signOut({ headers });
  return auth.getAuth().api.getSession({ headers });
}

beforeAll(async () => {
  process.env.DOCKYARD_LAB_TOKEN_SECRET = secret;
  dir = await useTempDatabase('leave');
  auth = await import('../lib/auth');
  db = (await import('@dockyard/db')).getDb();
});

afterEach(async () => {
  const server = fake;
  fake = null;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  delete process.env.DOCKYARD_SANDBOX_INTERNAL_URL;
  delete process.env.DOCKYARD_SANDBOX_URL;
});

afterAll(async () => {
  await db?.$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sign-out leaves the lab', () => {
  it('posts /lab/leave with a fresh lab token for the user to the internal sandboxd address', async () => {
    const sandboxd = await fakeSandboxd(true);
    process.env.DOCKYARD_SANDBOX_URL = await deadUrl();
    process.env.DOCKYARD_SANDBOX_INTERNAL_URL = sandboxd.url;
    const { headers, userId } = await signedIn('leave-once@example.test');
    expect(sandboxd.seen).toEqual([]);

    expect(await signOut(headers)).toBeNull();
    expect(sandboxd.seen).toHaveLength(1);
    const [request] = sandboxd.seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(LAB_LEAVE_PATH);
    const token = /^Bearer (.+)$/.exec(request?.authorization ?? '')?.[1] ?? '';
    const claims = await verifyLabToken(token, secret);
    expect(claims.sub).toBe(userId);
    // The first account of a fresh install is its admin; the token carries the role the database has.
    expect(claims.role).toBe((await db.user.findUniqueOrThrow({ where: { id: userId } })).role);
  });

  it('falls back to DOCKYARD_SANDBOX_URL when no internal address is set', async () => {
    const sandboxd = await fakeSandboxd(true);
    process.env.DOCKYARD_SANDBOX_URL = sandboxd.url;
    const { headers } = await signedIn('leave-public@example.test');
    expect(await signOut(headers)).toBeNull();
    expect(sandboxd.seen.map((r) => r.url)).toEqual([LAB_LEAVE_PATH]);
  });

  it('still signs out when sandboxd is down', async () => {
    process.env.DOCKYARD_SANDBOX_URL = await deadUrl();
    const { headers } = await signedIn('leave-down@example.test');
    expect(await signOut(headers)).toBeNull();
  });

  it('still signs out when sandboxd never answers (gives up after its timeout)', async () => {
    const sandboxd = await fakeSandboxd(false);
    process.env.DOCKYARD_SANDBOX_URL = sandboxd.url;
    const { headers } = await signedIn('leave-hang@example.test');
    expect(await signOut(headers)).toBeNull();
    expect(sandboxd.seen).toHaveLength(1);
  });

  it('a request without a session does not call sandboxd', async () => {
    const sandboxd = await fakeSandboxd(true);
    process.env.DOCKYARD_SANDBOX_URL = sandboxd.url;
    await auth
      .getAuth()
      .api.signOut({ headers: new Headers() })
      .catch(() => null);
    expect(sandboxd.seen).toEqual([]);
  });
});
