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
fs.mkdirSync(path.join(root, 'prisma/pg'), { recursive: true });
fs.writeFileSync(
  path.join(root, 'prisma/pg/schema.prisma'),
  `// GENERATED from prisma/schema.prisma by scripts/pg-schema.mjs — do not edit\n${pg}`,
);
