import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientToServerEvents,
  type LabLimits,
  type ServerToClientEvents,
  signLabToken,
} from '@dockyard/protocol';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { z } from 'zod';
import { removeLabNetwork } from '../src/boxes/network.js';
import { configSchema } from '../src/config.js';
import { type Sandboxd, startSandboxd } from '../src/server.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
export interface Reply {
  ok: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: acks differ per event; tests read the fields they expect
  value: any;
  error: { code: string; message: { en: string; 'zh-CN': string } };
}

export const SECRET = 'test-secret-that-is-long-enough-0123456789';

export function labImage(): string {
  return execFileSync('bash', [join(import.meta.dirname, '../../../infra/images/build.sh'), 'lab-debian'], {
    encoding: 'utf8',
  }).trim();
}

/** A short random hex suffix and numbers derived from it, so concurrent suites never share names. */
export function uniqueNames(part: string) {
  const suffix = Math.random().toString(16).slice(2, 6);
  const n = Number.parseInt(suffix, 16);
  return { suffix, n, bridge: `dyt${part}${suffix}`.slice(0, 15), cgroupParent: `/dytest-${part}-${suffix}` };
}

/** Removes a test's cgroup parent from every hierarchy (children are gone with their boxes). */
export function removeCgroupParent(parent: string) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  for (const line of mounts) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const fstype = fields[dash + 1];
    if (fstype === 'cgroup' || fstype === 'cgroup2') spawnSync('rmdir', [`${fields[4]}${parent}`]);
  }
}

export async function connect(
  url: string,
  claims: { sub: string; lesson?: string; role?: 'student' | 'instructor'; box?: string; limits?: LabLimits },
  clients: Client[],
  opts: { ttlSeconds?: number; secret?: string } = {},
): Promise<Client> {
  const token = await signLabToken(
    { lesson: 'sandbox-check', role: 'student', ...claims },
    opts.secret ?? SECRET,
    { ttlSeconds: opts.ttlSeconds ?? 300 },
  );
  const client: Client = io(`${url}/lab`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  clients.push(client);
  return client;
}

export function ready(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    client.on('lab:status', (status) => status.state === 'ready' && resolve());
    client.on('lab:error', (error) => reject(new Error(error.code)));
    client.on('connect_error', reject);
  });
}

export function call(client: Client, event: string, payload: unknown): Promise<Reply> {
  const emit = client.emit as unknown as (
    event: string,
    payload: unknown,
    ack: (reply: Reply) => void,
  ) => void;
  return new Promise((resolve) => emit.call(client, event, payload, resolve));
}

/** Everything a terminal prints, and a way to wait for a pattern in it. */
export function screen(client: Client, terminalId: string) {
  let text = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  client.on('terminal:data', (chunk) => {
    if (chunk.terminalId !== terminalId) return;
    text += chunk.data;
    if (text.length > 200_000) text = text.slice(-100_000);
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
    clear() {
      text = '';
    },
    type(data: string) {
      client.emit('terminal:data', { terminalId, data });
    },
    waitFor(pattern: RegExp, timeoutMs = 20_000) {
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

/** Mount points, veths and dyshim processes that mention a test's names: what a leak looks like. */
export function leftovers(markers: string[]): string[] {
  const found: string[] = [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of mounts.split('\n'))
    if (markers.some((m) => line.includes(m))) found.push(`mount ${line}`);
  const links = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout;
  for (const line of links.split('\n')) if (markers.some((m) => line.includes(m))) found.push(`link ${line}`);
  const procs = spawnSync('pgrep', ['-a', 'dyshim'], { encoding: 'utf8' }).stdout;
  for (const line of procs.split('\n'))
    if (markers.some((m) => line.includes(m))) found.push(`process ${line}`);
  return found;
}

/** Builds the box toolchain (nested engine, box-init, docker client) into `dir` and returns its version dir. */
export function buildToolchain(dir: string): string {
  return execFileSync('bash', [join(import.meta.dirname, '../../../infra/box-toolchain/build.sh'), dir], {
    encoding: 'utf8',
  }).trim();
}

/**
 * A sandboxd of one test file on names, addresses, uid ranges and cgroups of its own (`part` names them; `net`
 * picks 10.<net>.x.0/24; boxes get `idsPerBox` × 65536 uids from `idBase`). close() ends every box and asserts
 * that nothing of the file is left on the host.
 */
export function sandboxdFixture(
  part: string,
  o: {
    net: number;
    idBase: number;
    boxes: number;
    /** Boxes run a toolchain built for this file (box-init, nested engine), as in production. */
    toolchain?: boolean;
  } & Partial<z.input<typeof configSchema>>,
) {
  const { net, idBase, boxes, toolchain, ...settings } = o;
  const names = uniqueNames(part);
  const work = mkdtempSync(join(tmpdir(), `dy-${part}-`));
  chmodSync(work, 0o711);
  const config: z.output<typeof configSchema> = configSchema.parse({
    port: 0,
    tokenSecret: SECRET,
    dataRoot: join(work, 'data'),
    runRoot: join(work, 'run'),
    lessonsDir: join(import.meta.dirname, 'fixtures/lessons'),
    imageRootfs: labImage(),
    idBase: idBase + (names.n % 100) * (boxes + 1) * 65536,
    maxBoxes: boxes,
    bridge: names.bridge,
    subnet: `10.${net}.${names.n % 250}.0/24`,
    cgroupParent: names.cgroupParent,
    ...(toolchain ? { toolchainDir: join(buildToolchain(join(work, 'toolchain')), '..', 'current') } : {}),
    ...settings,
  });
  const clients: Client[] = [];
  let sandboxd: Sandboxd | undefined;
  return {
    names,
    work,
    config,
    clients,
    /** Starts sandboxd, or a new one after the last was closed (close() then ends the newest one's boxes). */
    async start(log = pino({ level: 'silent' })): Promise<Sandboxd> {
      sandboxd = await startSandboxd(config, log);
      return sandboxd;
    },
    async close(): Promise<void> {
      for (const client of clients) client.close();
      if (sandboxd) {
        await sandboxd.close();
        for (const box of sandboxd.boxes.list()) await sandboxd.boxes.destroy(box.id);
      }
      await removeLabNetwork({ bridge: config.bridge, subnet: config.subnet, chain: 'DOCKYARD-LABS' });
      removeCgroupParent(config.cgroupParent);
      expect(leftovers([work, names.bridge])).toEqual([]);
      rmSync(work, { recursive: true, force: true });
    },
  };
}
