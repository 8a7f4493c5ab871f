import { promises as fs } from 'node:fs';
import { z } from 'zod';
import type { Engine } from '../engine.js';
import { effectiveState, isLive, sleep } from './status.js';

const LogLineSchema = z.object({ log: z.string(), stream: z.enum(['stdout', 'stderr']), time: z.string() });
export type LogLine = z.infer<typeof LogLineSchema>;

export interface LogsOptions {
  follow?: boolean;
  tail?: number; // undefined = all
  timestamps?: boolean;
  write: (stream: 'stdout' | 'stderr', text: string) => void;
  /** Stops following when it resolves (e.g. the CLI got SIGINT). */
  signal?: AbortSignal;
}

function parseLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const parsed = LogLineSchema.safeParse(JSON.parse(line));
      if (!parsed.success) continue;
      // dyshim writes whole read() chunks; docker's json-file has one record per line, and --tail counts lines.
      for (const piece of parsed.data.log.split(/(?<=\n)/))
        if (piece) out.push({ ...parsed.data, log: piece });
    } catch {
      // A line being written right now: skipped, re-read on the next poll.
    }
  }
  return out;
}

/** Rotated files oldest first: FILE.N … FILE.1, FILE (dyshim's json-file rotation). */
async function logFiles(base: string): Promise<string[]> {
  const files: string[] = [];
  for (let i = 20; i >= 1; i--) {
    if (
      await fs.access(`${base}.${i}`).then(
        () => true,
        () => false,
      )
    )
      files.push(`${base}.${i}`);
  }
  files.push(base);
  return files;
}

export async function readLogs(engine: Engine, ref: string, o: LogsOptions): Promise<void> {
  const rec = await engine.containers.get(ref);
  const base = engine.containers.logPath(rec.id);
  const emit = (l: LogLine) => o.write(l.stream, o.timestamps ? `${l.time} ${l.log}` : l.log);
  let lines: LogLine[] = [];
  for (const f of await logFiles(base))
    lines.push(...parseLines(await fs.readFile(f, 'utf8').catch(() => '')));
  if (o.tail !== undefined && o.tail >= 0) lines = o.tail === 0 ? [] : lines.slice(-o.tail);
  for (const l of lines) emit(l);
  if (!o.follow) return;
  // Follow: keep reading the live file from its current end; a shrink or new inode means it was rotated.
  let st = await fs.stat(base).catch(() => undefined);
  let offset = st?.size ?? 0;
  let ino = st?.ino ?? 0;
  let partial = '';
  let finalPass = false;
  for (;;) {
    if (o.signal?.aborted) return;
    st = await fs.stat(base).catch(() => undefined);
    if (st && (st.ino !== ino || st.size < offset)) {
      ino = st.ino;
      offset = 0;
      partial = '';
    }
    if (st && st.size > offset) {
      const fh = await fs.open(base, 'r');
      const buf = Buffer.alloc(st.size - offset);
      await fh.read(buf, 0, buf.length, offset);
      await fh.close();
      offset = st.size;
      const text = partial + buf.toString();
      const cut = text.lastIndexOf('\n');
      partial = cut === -1 ? text : text.slice(cut + 1);
      for (const l of parseLines(cut === -1 ? '' : text.slice(0, cut))) emit(l);
      continue;
    }
    if (finalPass) return;
    const cur = await engine.containers.load(rec.id);
    if (!cur) return;
    const s = await effectiveState(engine, cur);
    // One more read after the exit so the last lines written before it are not lost.
    if (!isLive(s) && s.status !== 'restarting') finalPass = true;
    // The shim may still be draining the last output into the log right after the exit.
    await sleep(finalPass ? 250 : 100);
  }
}
