// Derives the PostgreSQL schema from the canonical SQLite one: the provider is compiled into
// each generated client, so PostgreSQL needs its own schema, client and migrations.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = fs.readFileSync(path.join(root, 'prisma/schema.prisma'), 'utf8');
const pg = source
  .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
  .replace(/output\s*=\s*"\.\.\/src\/generated\/sqlite"/, 'output   = "../../src/generated/pg"');
if (pg === source) throw new Error('pg-schema: provider/output lines not found in prisma/schema.prisma');
const target = path.join(root, 'prisma/pg/schema.prisma');
const content = `// GENERATED from prisma/schema.prisma by scripts/pg-schema.mjs — do not edit\n${pg}`;
// Rewrite only on change: its mtime tells build-if-needed whether the web app must be rebuilt.
if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== content) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
}
