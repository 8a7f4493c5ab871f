import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const dataDir = process.env.DOCKYARD_DATA_DIR ?? path.join(process.cwd(), '.data');

/**
 * A secret from the environment or, for a zero-setup install, one generated once and kept in
 * the data directory (0600) so sessions and lab tokens survive restarts.
 */
export function getSecret(envVar: string, fileName: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, fileName);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = crypto.randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another worker wrote it first.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}
