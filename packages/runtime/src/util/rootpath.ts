import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Resolves `p` inside `root` the way the kernel would after chroot(root) — with RESOLVE_IN_ROOT semantics:
 * `..` never climbs above root, absolute symlinks are relative to root. Returns a host path under root.
 * The last component is not followed when followLast is false (for lstat-like uses).
 */
export async function resolveInRoot(root: string, p: string, followLast = true): Promise<string> {
  const rootAbs = path.resolve(root);
  const pending = p.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(rootAbs, ...resolved, part);
    const isLast = pending.length === 0;
    const st = await fs.lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink() && (!isLast || followLast)) {
      if (++links > 40)
        throw Object.assign(new Error(`too many levels of symbolic links: ${p}`), { code: 'ELOOP' });
      const target = await fs.readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter(Boolean));
      continue;
    }
    resolved.push(part);
  }
  return path.join(rootAbs, ...resolved);
}

/** Finds an executable like execvp would, inside the container rootfs. */
export async function lookPathInRoot(
  root: string,
  cmd: string,
  env: string[],
): Promise<{ found: boolean; executable: boolean }> {
  const pathVar =
    env.find((e) => e.startsWith('PATH='))?.slice(5) ??
    '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const candidates = cmd.includes('/')
    ? [cmd]
    : pathVar
        .split(':')
        .filter(Boolean)
        .map((d) => path.posix.join(d, cmd));
  let sawNonExec = false;
  for (const c of candidates) {
    const host = await resolveInRoot(root, c);
    const st = await fs.stat(host).catch(() => undefined);
    if (!st || st.isDirectory()) {
      if (st?.isDirectory() && cmd.includes('/')) sawNonExec = true;
      continue;
    }
    if (st.mode & 0o111) return { found: true, executable: true };
    sawNonExec = true;
  }
  return { found: sawNonExec, executable: false };
}
