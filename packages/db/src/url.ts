import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Default SQLite file: apps/web/.data/dockyard.db in the repository. */
export const defaultSqlitePath = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../apps/web/.data/dockyard.db',
);

export type DatabaseKind = 'sqlite' | 'postgresql';

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  return url ? url : `file:${defaultSqlitePath}`;
}

export function databaseKind(url: string): DatabaseKind {
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgresql';
  if (url.startsWith('file:')) return 'sqlite';
  throw new Error(`DATABASE_URL must start with file: (SQLite) or postgres:// (PostgreSQL), got "${url}"`);
}

/** Makes a SQLite URL absolute (relative to the working directory) and creates its directory. */
export function prepareSqliteUrl(url: string): string {
  const file = url.slice('file:'.length);
  if (file === ':memory:') return url;
  const absolute = path.resolve(file);
  fs.mkdirSync(path.dirname(absolute), { recursive: true });
  return `file:${absolute}`;
}
