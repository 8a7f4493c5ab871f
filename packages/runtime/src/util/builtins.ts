import path from 'node:path';
import { packageRoot } from '../config.js';
import { run } from './exec.js';
import { privateHelper, spawnViaHelper } from './spawner.js';

const dyspawn = path.join(packageRoot, 'native/bin/dyspawn');

/** Exit status of `@umount` when nothing is mounted at the path. */
export const NOT_MOUNTED = 3;

export interface BuiltinResult {
  code: number;
  stderr: string;
}

/**
 * Runs one of dyspawn's builtins (native/src/dyspawn/builtins.c): a mount, umount, network namespace or veth step
 * done by kernel calls in the helper instead of by starting mount/umount/unshare/ip. Without a helper running,
 * the same builtin runs in a one-off dyspawn process.
 */
export async function runBuiltin(name: string, args: string[]): Promise<BuiltinResult> {
  const argv = [`@${name}`, ...args];
  const viaHelper = spawnViaHelper(argv, Buffer.alloc(0));
  const r = viaHelper
    ? await viaHelper.then((x) => ({ code: x.code, stderr: x.stderr.toString() }))
    : await run(dyspawn, argv);
  return { code: r.code, stderr: r.stderr.trim().replace(/^dyspawn: /, '') };
}

/** Like runBuiltin, but a failure throws with the builtin's message. */
export async function builtinOk(name: string, args: string[]): Promise<void> {
  const r = await runBuiltin(name, args);
  if (r.code !== 0) throw new Error(r.stderr || `@${name}: exit ${r.code}`);
}

let sealed:
  | { binary: string; path: string; holder: NonNullable<ReturnType<typeof privateHelper>> }
  | undefined;
const unsealable = new Set<string>();

/**
 * A sealed in-memory copy of `binary` that a helper of its own keeps open, as the path to exec it by (under
 * /proc/<helper>/fd); made again if that helper is gone. undefined when there is no helper or sealing failed
 * (then not tried again for that binary).
 */
export async function sealedCopy(binary: string): Promise<string | undefined> {
  if (sealed && sealed.binary === binary && !sealed.holder.dead) return sealed.path;
  if (unsealable.has(binary)) return undefined;
  const holder = privateHelper();
  if (!holder) return undefined;
  const r = await holder.run(['@seal-copy', binary], Buffer.alloc(0)).catch(() => undefined);
  const copy = r?.code === 0 ? r.stdout.toString().trim() : '';
  if (!copy) {
    holder.close();
    unsealable.add(binary);
    return undefined;
  }
  sealed = { binary, path: copy, holder };
  return copy;
}
