import fs from 'node:fs';

// Runs after the web server is stopped: remove the temp database and secrets.
export default function globalTeardown(): void {
  const dir = process.env.DY_E2E_DIR;
  if (dir?.includes('dy-e2e-')) fs.rmSync(dir, { recursive: true, force: true });
}
