// Starts a throw-away PostgreSQL (Debian's postgresql package) in a temp dir, listening only on a
// unix socket inside that dir, so tests need no running server and cannot collide with others.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const pgBin = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

// initdb refuses to run as root: run the server as the `postgres` system user then.
function asServerUser(command: string, args: string[]): [string, string[]] {
  const isRoot = process.getuid?.() === 0;
  return isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export async function startPostgres(database = 'dockyard'): Promise<PostgresServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-db-pg-'));
  const dataDir = path.join(dir, 'data');
  if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dir]);
  const pgCtl = path.join(pgBin, 'pg_ctl');
  let started = false;
  const stop = async () => {
    try {
      if (started) await run(...asServerUser(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await run(
      ...asServerUser(path.join(pgBin, 'initdb'), [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ]),
    );
    const options = `-c listen_addresses= -k ${dir} -c fsync=off -c full_page_writes=off`;
    await run(
      ...asServerUser(pgCtl, [
        '-D',
        dataDir,
        '-o',
        options,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        'start',
      ]),
    );
    started = true;
    const adminUrl = `postgresql://postgres@localhost:5432/postgres?host=${encodeURIComponent(dir)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database}"`);
    } finally {
      await admin.end();
    }
    return { url: `postgresql://postgres@localhost:5432/${database}?host=${encodeURIComponent(dir)}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
