import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = path.dirname(fileURLToPath(import.meta.url));

// Prisma 7's CLI downloads a native schema engine at start-up unless this names an existing file.
// `prisma generate` never executes it; migrations run through scripts/migrate.ts (WASM engine).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(here, 'scripts/no-schema-engine.cjs');

export default defineConfig({
  schema: path.join(here, 'prisma/schema.prisma'),
  migrations: { path: path.join(here, 'prisma/migrations') },
});
