// Usage: tsx scripts/migrate.ts deploy | create <name> | diff   (database from $DATABASE_URL)
import { migrateCreate, migrateDeploy, migrationDiff } from '../src/migrate.js';
import { databaseUrl } from '../src/url.js';

async function main(): Promise<void> {
  const [command = 'deploy', name = 'migration'] = process.argv.slice(2);
  const url = databaseUrl();
  if (command === 'deploy') {
    const applied = await migrateDeploy(url);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
  } else if (command === 'create') {
    const dir = await migrateCreate(url, name);
    console.log(dir ? `created ${dir}/migration.sql` : 'no schema changes');
  } else if (command === 'diff') {
    process.stdout.write(await migrationDiff(url));
  } else {
    throw new Error(`unknown command "${command}" (deploy | create <name> | diff)`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
