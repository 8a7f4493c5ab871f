import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createSpareVeth, deleteLink } from '../networks/links.js';
import { createNetns, removeNetns } from './netns.js';

/** A network namespace made ahead of time: `lo` up and a veth pair whose inner end is `eth0` (down, no address). */
export interface Spare {
  netnsPath: string;
  /** The pair's host end, not yet on any bridge. */
  hostVeth: string;
}

const PREFIX = 'spare-';
const REFILL_DELAY_MS = 300;

/**
 * Creating a namespace and a veth pair are the slowest kernel steps of a container's start (and they queue
 * behind the kernel's cleanup of namespaces that just went away). A long-lived daemon keeps a few made ahead
 * and refills in the background; the file name carries the daemon's pid and the host veth's name, so leftovers of
 * a crashed daemon are found and another daemon's are left alone.
 */
export class SpareNetns {
  private readonly spares: Spare[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly size: number,
  ) {}

  /** A ready spare, or undefined when none is left and the caller makes its own. Refills once starts pause. */
  take(): Spare | undefined {
    const spare = this.spares.shift();
    // Refilling at once would compete with the very start that took this spare (same kernel locks, 2 cores).
    clearTimeout(this.refillTimer);
    this.refillTimer = setTimeout(() => this.fill(), REFILL_DELAY_MS);
    this.refillTimer.unref();
    return spare;
  }

  /** Tops the pool up in the background; one filler at a time. */
  fill(): void {
    if (this.closed || this.filling || this.spares.length >= this.size) return;
    this.filling = (async () => {
      while (!this.closed && this.spares.length < this.size) {
        const spare = await makeSpare(this.dir).catch(() => undefined);
        if (!spare) return; // no netns support here (or the host is out of something): fresh ones per start
        if (this.closed) await destroySpare(spare);
        else this.spares.push(spare);
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }

  /** Stops refilling and removes the unused spares. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    await this.filling;
    for (const spare of this.spares.splice(0)) await destroySpare(spare);
  }

  /**
   * Removes unused spares of daemons that are gone (crashed or killed); another daemon's on the same state keeps
   * its own. `inUse`: the containers' netns files.
   */
  async removeLeftovers(inUse: Set<string>): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = SPARE_NAME.exec(name);
      if (!m || inUse.has(path.join(this.dir, name))) continue;
      if (Number(m[1]) !== process.pid && (await isDaemon(Number(m[1])))) continue;
      await destroySpare({ netnsPath: path.join(this.dir, name), hostVeth: m[2] as string });
    }
  }
}

/** spare-<daemon pid>-<host veth>: whose it is, and what to delete with it. */
const SPARE_NAME = /^spare-(\d+)-(veth[0-9a-f]{8})$/;

/** Whether `pid` is a live `dockyard daemon` (pids are reused, so its command line is checked too). */
async function isDaemon(pid: number): Promise<boolean> {
  const argv = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return argv.split('\0').includes('daemon');
}

async function makeSpare(dir: string): Promise<Spare> {
  const hostVeth = `veth${randomBytes(4).toString('hex')}`;
  const spare = { netnsPath: path.join(dir, `${PREFIX}${process.pid}-${hostVeth}`), hostVeth };
  await createNetns(spare.netnsPath);
  try {
    await createSpareVeth(hostVeth, spare.netnsPath);
  } catch (e) {
    await destroySpare(spare);
    throw e;
  }
  return spare;
}

/** The namespace's end goes with the namespace, and a veth pair with either end. */
async function destroySpare(spare: Spare): Promise<void> {
  await deleteLink(spare.hostVeth).catch(() => {});
  await removeNetns(spare.netnsPath).catch(() => {});
}
