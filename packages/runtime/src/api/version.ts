import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../config.js';

/** The API version this server speaks, and the oldest client version it accepts. */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.41';

export const ENGINE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
})();

/** Headers every response carries (upgrade responses add them by hand). */
export const baseHeaders = (): Record<string, string> => ({
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: `Dockyard/${ENGINE_VERSION} (linux)`,
});

const versionPart = (v: string, k: number) => Number.parseInt(v.split('.')[k] ?? '0', 10);
/** True when the client's API version is older than `v` (e.g. "1.44"). */
export function olderThan(apiVersion: string, v: string): boolean {
  const [a, b] = [versionPart(apiVersion, 0), versionPart(apiVersion, 1)];
  const [c, d] = [versionPart(v, 0), versionPart(v, 1)];
  return a < c || (a === c && b < d);
}
