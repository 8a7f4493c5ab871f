#!/usr/bin/env node
// Placeholder for PRISMA_SCHEMA_ENGINE_BINARY: the native schema engine cannot be downloaded
// offline. `prisma generate` never runs it; migrations go through scripts/migrate.ts (WASM).
console.error('native Prisma schema engine unavailable offline; use `npm run db:*` (scripts/migrate.ts)');
process.exit(1);
