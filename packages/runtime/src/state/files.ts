import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

export interface WriteOptions {
  mode?: number;
  /**
   * fsync before the rename, so the new content survives a power cut (default). Files rebuilt on every container
   * start (its OCI spec, hostname, resolv.conf) skip it: a crash makes them again, and each fsync costs about 1 ms.
   */
  durable?: boolean;
}

/** Write-to-temp + fsync + rename: readers see the old or the new file, never half of one. */
export async function writeFileAtomic(
  file: string,
  data: string | Buffer,
  o: WriteOptions = {},
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fs.open(tmp, 'w', o.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (o.durable !== false) await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

export async function writeJsonAtomic(file: string, value: unknown, o: WriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`, o);
}

export async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return schema.parse(JSON.parse(text));
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
