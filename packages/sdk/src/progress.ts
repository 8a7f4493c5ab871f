import type { Readable } from 'node:stream';
import { DockerProgressError } from './errors.js';
import {
  type DockerEvent,
  EventSchema,
  type ProgressEvent,
  ProgressEventSchema,
  type Stats,
  StatsSchema,
} from './schemas.js';
import { JsonLines } from './transport.js';

/**
 * A pull/push/build/load progress stream: an object-mode stream of validated lines (iterate it with
 * `for await`), and `done()` for the whole result, rejecting when the engine reported an error.
 */
export class ProgressStream extends JsonLines<ProgressEvent> {
  constructor(source: Readable) {
    super(ProgressEventSchema);
    source.on('error', (e) => this.destroy(e));
    source.pipe(this);
  }

  /** Collects every line; rejects with the engine's message when one carries an error. */
  async done(onProgress?: (e: ProgressEvent) => void): Promise<ProgressEvent[]> {
    const events: ProgressEvent[] = [];
    for await (const e of this) {
      events.push(e);
      onProgress?.(e);
    }
    const failed = events.find((e) => e.error !== undefined || e.errorDetail !== undefined);
    if (failed) throw new DockerProgressError(failed.errorDetail?.message ?? failed.error ?? 'failed');
    return events;
  }
}

/** The image a build produced: its `aux.ID`, else the id in "Successfully built <id>". */
export function builtImageId(events: ProgressEvent[]): string | undefined {
  for (const e of events) if (e.aux?.ID) return e.aux.ID;
  for (const e of events) {
    const m = e.stream ? /Successfully built ([0-9a-f]+)/.exec(e.stream) : null;
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** `GET /events` as validated objects; destroy() it to stop following. */
export class EventStream extends JsonLines<DockerEvent> {
  constructor(private readonly source: Readable) {
    super(EventSchema);
    source.on('error', (e) => this.destroy(e));
    source.pipe(this);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.source.destroy();
    done(error);
  }
}

/** `GET /containers/{id}/stats?stream=1` as validated samples. */
export class StatsStream extends JsonLines<Stats> {
  constructor(private readonly source: Readable) {
    super(StatsSchema);
    source.on('error', (e) => this.destroy(e));
    source.pipe(this);
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.source.destroy();
    done(error);
  }
}
