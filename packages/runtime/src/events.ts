import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { EngineConfig } from './config.js';
import type { ContainerRecord } from './containers/record.js';

export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon';

export interface EventInput {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
}

export const EventSchema = z.object({
  Type: z.enum(['container', 'image', 'network', 'volume', 'daemon']),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()).default({}) }),
  scope: z.string().default('local'),
  time: z.number().int(),
  timeNano: z.number(),
});
export type EngineEvent = z.infer<typeof EventSchema>;

/** Records a container event with Docker's attributes: image, name, the labels, plus any extras. */
export function containerEvent(
  engine: { cfg: Pick<EngineConfig, 'run'> },
  rec: Pick<ContainerRecord, 'id' | 'name' | 'image' | 'config'>,
  action: string,
  extra: Record<string, string> = {},
): Promise<void> {
  return recordEvent(engine.cfg, {
    Type: 'container',
    Action: action,
    Actor: { ID: rec.id, Attributes: { ...rec.config.labels, image: rec.image, name: rec.name, ...extra } },
  });
}

/** Rotated at this size; one old file (`events.jsonl.1`) is kept. */
export const EVENTS_MAX_BYTES = 4 * 1024 * 1024;

export const eventsPath = (cfg: Pick<EngineConfig, 'run'>) => path.join(cfg.run, 'events.jsonl');

/** Appends one event in Docker's shape. Best-effort: never throws (an event lost is better than a verb failed). */
export async function recordEvent(cfg: Pick<EngineConfig, 'run'>, e: EventInput): Promise<void> {
  try {
    const nowMs = Date.now();
    const timeNano = nowMs * 1e6 + Number(process.hrtime.bigint() % 1_000_000n);
    const line = `${JSON.stringify({
      Type: e.Type,
      Action: e.Action,
      Actor: { ID: e.Actor.ID, Attributes: e.Actor.Attributes ?? {} },
      scope: 'local',
      time: Math.floor(nowMs / 1000),
      timeNano,
    })}\n`;
    const file = eventsPath(cfg);
    const st = await fs.stat(file).catch(() => undefined);
    if (st && st.size + line.length > EVENTS_MAX_BYTES) await fs.rename(file, `${file}.1`).catch(() => {});
    // The run dir exists but for the first event after a boot: make it only then.
    if (!st) await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, line);
  } catch {
    // Events are best-effort.
  }
}

/** Parses event lines, skipping any that are torn or not events. */
export function parseEvents(text: string): EngineEvent[] {
  const out: EngineEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = EventSchema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // A torn line (being written): skipped.
    }
  }
  return out;
}

/** Every stored event, oldest first (the rotated file, then the live one). */
export async function readEvents(
  cfg: Pick<EngineConfig, 'run'>,
): Promise<{ events: EngineEvent[]; offset: number }> {
  const file = eventsPath(cfg);
  const old = await fs.readFile(`${file}.1`, 'utf8').catch(() => '');
  const cur = await fs.readFile(file, 'utf8').catch(() => '');
  const complete = cur.slice(0, cur.lastIndexOf('\n') + 1);
  return { events: [...parseEvents(old), ...parseEvents(complete)], offset: Buffer.byteLength(complete) };
}

export interface EventFilter {
  type?: string[];
  container?: string[];
  event?: string[];
  image?: string[];
  label?: string[];
  network?: string[];
  volume?: string[];
}

/** Docker's event filters: OR within a key, AND across keys. */
export function matchEvent(e: EngineEvent, f: EventFilter): boolean {
  const attrs = e.Actor.Attributes;
  const any = (vals: string[] | undefined, test: (v: string) => boolean) => !vals?.length || vals.some(test);
  const idOrName = (v: string) => e.Actor.ID === v || e.Actor.ID.startsWith(v) || attrs.name === v;
  return (
    any(f.type, (v) => e.Type === v) &&
    any(f.event, (v) => e.Action === v || e.Action.split(':')[0] === v) &&
    any(f.container, (v) => e.Type === 'container' && idOrName(v)) &&
    any(f.network, (v) => e.Type === 'network' && idOrName(v)) &&
    any(f.volume, (v) => e.Type === 'volume' && idOrName(v)) &&
    any(f.image, (v) => attrs.image === v || (e.Type === 'image' && idOrName(v))) &&
    any(f.label, (v) => {
      const eq = v.indexOf('=');
      return eq === -1 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

/**
 * Follows the events file from `offset`, calling `emit` for each new event until `signal` aborts.
 * Polling (not fs.watch) because writers are other processes and the file rotates.
 */
export async function followEvents(
  cfg: Pick<EngineConfig, 'run'>,
  offset: number,
  emit: (e: EngineEvent) => void,
  signal: AbortSignal,
  intervalMs = 100,
): Promise<void> {
  const file = eventsPath(cfg);
  let pos = offset;
  let ino = (await fs.stat(file).catch(() => undefined))?.ino ?? 0;
  while (!signal.aborted) {
    const st = await fs.stat(file).catch(() => undefined);
    if (st && (st.ino !== ino || st.size < pos)) {
      // Rotated: the rest of the old file first, then the new one from its start.
      if (ino) {
        const old = await fs.readFile(`${file}.1`).catch(() => Buffer.alloc(0));
        if (old.length > pos) for (const e of parseEvents(old.subarray(pos).toString())) emit(e);
      }
      ino = st.ino;
      pos = 0;
    }
    if (st && st.size > pos) {
      const fh = await fs.open(file, 'r');
      try {
        const buf = Buffer.alloc(st.size - pos);
        await fh.read(buf, 0, buf.length, pos);
        const cut = buf.lastIndexOf(0x0a);
        if (cut !== -1) {
          for (const e of parseEvents(buf.subarray(0, cut + 1).toString())) emit(e);
          pos += cut + 1;
        }
      } finally {
        await fh.close();
      }
      continue;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, intervalMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
