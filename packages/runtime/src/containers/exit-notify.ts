import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { EngineConfig } from '../config.js';
import type { Engine } from '../engine.js';
import { cleanupContainer } from './cleanup.js';
import { readExitFile } from './status.js';

/**
 * Where a serving engine hears about container exits. dyshim connects here when its container exits and runs
 * its exit command (a whole CLI process) only when nothing listens, e.g. when no daemon is running.
 */
export const exitNotifySocket = (cfg: EngineConfig) => path.join(cfg.run, 'exits.sock');

const CONTAINER_ID = /^[0-9a-f]{64}$/;

export interface ExitListener {
  close(): Promise<void>;
}

export interface ExitHooks {
  /** The exit code as the shim recorded it, before the cleanup may remove the container (--rm). */
  exited?: (id: string, exitCode: number) => void;
  cleanedUp?: (id: string) => void;
}

/** Cleans up (exit record, --rm, restart policy) every container whose shim reports its exit here. */
export async function listenForExits(
  engine: Engine,
  hooks: ExitHooks = {},
): Promise<ExitListener | undefined> {
  const socketPath = exitNotifySocket(engine.cfg);
  await fs.mkdir(path.dirname(socketPath), { recursive: true });
  if (await answers(socketPath)) return undefined; // another server of this engine already listens
  await fs.rm(socketPath, { force: true });
  const server = net.createServer((conn) => {
    let text = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) conn.destroy();
    });
    conn.on('error', () => {});
    conn.on('end', () => {
      for (const id of text.split('\n')) {
        if (!CONTAINER_ID.test(id)) continue;
        void readExitFile(engine.containers.shimDir(id))
          .then((exit) => {
            if (exit) hooks.exited?.(id, exit.exitCode);
            return cleanupContainer(engine, id);
          })
          .catch(() => {})
          .finally(() => hooks.cleanedUp?.(id));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await fs.chmod(socketPath, 0o600);
  return {
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(socketPath, { force: true });
    },
  };
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
