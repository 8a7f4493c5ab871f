import { readFileSync } from 'node:fs';
import { run } from '../util/exec.js';

/** Docker/OCI layer tars mark deletions with `.wh.<name>` and opaque dirs with `.wh..wh..opq`. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** overlayfs (non-userns) spelling of an opaque directory. */
export const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** overlayfs marks a deleted lower file with a 0/0 character device in the upper dir. */
export async function makeOverlayWhiteout(p: string): Promise<void> {
  const r = await run('mknod', [p, 'c', '0', '0']);
  if (r.code !== 0) throw new Error(`cannot create whiteout ${p}: ${r.stderr.trim()}`);
}

/**
 * Whether this process runs in a user namespace other than the initial one (e.g. the nested engine in a lab box).
 * There, trusted.* xattrs are out of reach, so overlays are mounted with `userxattr` and use user.overlay.*.
 */
export function inUserNamespace(): boolean {
  try {
    return readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/).join(' ') !== '0 0 4294967295';
  } catch {
    return false;
  }
}

export async function markOpaque(dir: string): Promise<void> {
  const name = inUserNamespace() ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
  const r = await run('setfattr', ['-n', name, '-v', 'y', dir]);
  if (r.code !== 0) throw new Error(`cannot mark ${dir} opaque: ${r.stderr.trim()}`);
}

/** Every directory under `root` that carries an overlay opaque xattr (absolute paths). */
export async function findOpaqueDirs(root: string): Promise<Set<string>> {
  const found = new Set<string>();
  const r = await run('getfattr', [
    '-R',
    '-P',
    '--absolute-names',
    '-m',
    '^(trusted|user)\\.overlay\\.opaque$',
    '-d',
    root,
  ]);
  if (r.code !== 0 && !r.stdout) return found;
  let current = '';
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = line.slice(8);
    else if (/^(trusted|user)\.overlay\.opaque="y"$/.test(line) && current) found.add(current);
  }
  return found;
}
