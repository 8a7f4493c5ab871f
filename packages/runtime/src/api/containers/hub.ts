import { cleanupContainer } from '../../containers/cleanup.js';
import type { ContainerRecord } from '../../containers/record.js';
import type { Engine } from '../../engine.js';
import type { ShimAttachment } from '../../shim/index.js';

type StartListener = (rec: ContainerRecord) => void;

/**
 * What this server knows that the disk does not: who is waiting for a container's next start (attach before
 * start, wait?condition=next-exit), and the live shim attachments (so a resize reaches the right one).
 */
class Hub {
  private readonly starts = new Map<string, Set<StartListener>>();
  private readonly attachments = new Map<string, Set<ShimAttachment>>();

  /** Calls fn (once) when the container is started through this server, before its process runs. */
  onNextStart(id: string, fn: StartListener): () => void {
    const set = this.starts.get(id) ?? new Set();
    this.starts.set(id, set);
    const once: StartListener = (rec) => {
      off();
      fn(rec);
    };
    const off = () => {
      set.delete(once);
      if (!set.size) this.starts.delete(id);
    };
    set.add(once);
    return off;
  }

  /** The start hook: the shim holds the stdio, the process has not started yet. */
  started(rec: ContainerRecord): void {
    for (const fn of [...(this.starts.get(rec.id) ?? [])]) fn(rec);
  }

  track(key: string, att: ShimAttachment): void {
    const set = this.attachments.get(key) ?? new Set();
    this.attachments.set(key, set);
    set.add(att);
    void att.closed.then(() => {
      set.delete(att);
      if (!set.size) this.attachments.delete(key);
    });
  }

  private readonly exits = new Map<string, number>();

  /** The last exit code seen on a shim stream: what a wait reports when --rm removed the record first. */
  recordExit(id: string, code: number): void {
    this.exits.delete(id);
    this.exits.set(id, code);
    // Bounded: only recent exits matter.
    if (this.exits.size > 1000) this.exits.delete(this.exits.keys().next().value as string);
  }

  lastExit(id: string): number | undefined {
    return this.exits.get(id);
  }

  private readonly cleanups = new Map<string, Set<() => void>>();

  /** Resolves when a cleanup of the container (exit record, --rm, restart) next finishes; cancel() stops waiting. */
  nextCleanup(id: string): { done: Promise<void>; cancel: () => void } {
    const set = this.cleanups.get(id) ?? new Set();
    this.cleanups.set(id, set);
    let wake = () => {};
    const done = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const cancel = () => {
      set.delete(wake);
      if (!set.size) this.cleanups.delete(id);
    };
    set.add(wake);
    return { done, cancel };
  }

  cleanedUp(id: string): void {
    const set = this.cleanups.get(id);
    this.cleanups.delete(id);
    for (const wake of set ?? []) wake();
  }

  attachmentFor(key: string): ShimAttachment | undefined {
    return this.attachments.get(key)?.values().next().value;
  }
}

export const hub = new Hub();

/**
 * A run's exit seen by this server: clean it up now (exit record, --rm, restart policy) rather than wait for
 * dyshim's exit command to start a process for it. Idempotent; the generation makes a stale call a no-op.
 */
export function exitObserved(engine: Engine, rec: ContainerRecord, exitCode?: number): void {
  if (exitCode !== undefined) hub.recordExit(rec.id, exitCode);
  void cleanupContainer(engine, rec.id, rec.state.generation)
    .catch(() => {})
    .finally(() => hub.cleanedUp(rec.id));
}
