import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PgPrismaClient } from './generated/pg/client.js';
import { PrismaClient } from './generated/sqlite/client.js';
import { databaseKind, databaseUrl, prepareSqliteUrl } from './url.js';

export type { Prisma } from './generated/sqlite/client.js';
export * from './generated/sqlite/enums.js';
export type * from './generated/sqlite/models.js';
export { databaseKind, databaseUrl, defaultSqlitePath } from './url.js';

/** The client type; both generated clients share one API, the SQLite one names it. */
export type Db = PrismaClient;

/** A new client for `url` (default: $DATABASE_URL or the SQLite file under apps/web/.data). */
export function createDb(url: string = databaseUrl()): Db {
  if (databaseKind(url) === 'postgresql') {
    // Same schema, provider compiled into a second client: identical API at run time.
    return new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as Db;
  }
  return new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: prepareSqliteUrl(url) }) });
}

const shared = globalThis as unknown as { dockyardDb?: Db };

/** One client per process (survives Next's module reloads in development). */
export function getDb(): Db {
  shared.dockyardDb ??= createDb();
  return shared.dockyardDb;
}
