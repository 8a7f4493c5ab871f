import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** The exit record dyshim writes to STATE/exit and sends in the EXIT frame. */
export const ExitRecordSchema = z.object({
  exitCode: z.number().int(),
  signal: z.number().int().nullable(),
  oomKilled: z.boolean(),
  finishedAt: z.iso.datetime({ offset: true }),
});
export type ExitRecord = z.infer<typeof ExitRecordSchema>;

export function parseExitRecord(text: string): ExitRecord {
  return ExitRecordSchema.parse(JSON.parse(text));
}

/** The process's exit record, or null while it has not exited. */
export async function readExit(stateDir: string): Promise<ExitRecord | null> {
  let text: string;
  try {
    text = await readFile(join(stateDir, 'exit'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseExitRecord(text);
}

/** The shim's pid from STATE/shim.pid, or null if there is none (it removes it when it exits). */
export async function readShimPid(stateDir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(stateDir, 'shim.pid'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return z.coerce.number().int().positive().parse(text.trim());
}
