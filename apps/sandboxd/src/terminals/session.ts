import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attachShim, readExit, type ShimAttachment } from '@dockyard/runtime/shim';
import type { BoxManager } from '../boxes/manager.js';

/** Output queued towards one browser before we stop reading from the shell (dyshim buffers, then drops us). */
export const MAX_PENDING_BYTES = 256 * 1024;

/** Clears the browser's terminal before a reattachment replays the scrollback, so nothing shows twice. */
export const TERMINAL_RESET = '\x1bc';

export interface TerminalSink {
  data(text: string): void;
  exit(exitCode: number | null): void;
  /** Bytes handed to the transport and not yet flushed to the network. */
  pendingBytes(): number;
  onDrain(cb: () => void): void;
  /** The attachment to the shell broke and was made again (its scrollback replayed). */
  reattached?(): void;
}

/**
 * One browser's view of one terminal. The shell lives in its own dyshim (so it survives this process and
 * reconnects replay its scrollback); this object is only an attachment to it, with flow control: when the
 * browser falls behind, we pause reading, so a flood in one terminal costs bounded memory here. If the
 * attachment breaks while the shell lives on (a socket error, or dyshim dropping us after we paused too long),
 * we attach again with a replay, once the browser has caught up.
 */
export class TerminalAttachment {
  private decoder = new TextDecoder('utf-8');
  private paused = false;
  private attachment!: ShimAttachment;
  /** Detached or hung up on purpose, or the shell ended: no reattaching. */
  private finished = false;
  /** Broken while the browser was behind: reattach on its next drain. */
  private brokenWhilePaused = false;
  private failures = 0;

  private constructor(
    private readonly stateDir: string,
    private readonly sink: TerminalSink,
    private readonly opts: { readOnly: boolean },
  ) {
    sink.onDrain(() => {
      if (this.sink.pendingBytes() >= MAX_PENDING_BYTES / 2) return;
      if (this.brokenWhilePaused) {
        this.brokenWhilePaused = false;
        void this.reattach();
      } else if (this.paused) {
        this.paused = false;
        this.attachment.resume();
      }
    });
  }

  static async open(
    boxes: BoxManager,
    boxId: string,
    terminalId: string,
    size: { rows: number; cols: number },
    sink: TerminalSink,
    opts: { readOnly: boolean },
  ): Promise<TerminalAttachment> {
    const stateDir = join(boxes.terminalsDir(boxId), terminalId);
    const live = existsSync(join(stateDir, 'shim.pid')) && (await readExit(stateDir)) === null;
    if (!live) {
      if (opts.readOnly) throw new Error(`terminal ${terminalId} is not running`);
      rmSync(stateDir, { recursive: true, force: true });
      await boxes.startTerminal(boxId, stateDir, size);
    }
    const terminal = new TerminalAttachment(stateDir, sink, opts);
    terminal.attach();
    if (!opts.readOnly) terminal.attachment.resize(size.rows, size.cols);
    return terminal;
  }

  private attach() {
    // Always replay: a new shell may print its first prompt before we are attached.
    const attachment = attachShim(this.stateDir, { replay: true, stdin: !this.opts.readOnly });
    this.attachment = attachment;
    this.paused = false;
    this.decoder = new TextDecoder('utf-8');
    let exited = false;
    attachment.onStdout((chunk) => this.forward(chunk));
    attachment.onStderr((chunk) => this.forward(chunk));
    attachment.onReplayEnd(() => {
      this.failures = 0;
    });
    attachment.onExit((exit) => {
      exited = true;
      this.finished = true;
      this.sink.exit(exit.exitCode);
    });
    attachment.onClose(() => {
      if (exited || this.finished || attachment !== this.attachment) return;
      if (this.paused) this.brokenWhilePaused = true;
      else void this.reattach();
    });
  }

  /** The shell's shim still serves its attach socket and the shell has not exited. */
  private async shellAlive(): Promise<boolean> {
    if ((await readExit(this.stateDir)) !== null) return false;
    try {
      const pid = Number(readFileSync(join(this.stateDir, 'shim.pid'), 'utf8').trim());
      process.kill(pid, 0);
      return existsSync(join(this.stateDir, 'attach.sock'));
    } catch {
      return false;
    }
  }

  private async reattach() {
    if (this.finished) return;
    // A few quick tries: a shim that keeps refusing us is treated as gone.
    if (this.failures >= 5 || !(await this.shellAlive())) {
      this.finished = true;
      this.sink.exit((await readExit(this.stateDir))?.exitCode ?? null);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** this.failures));
    this.failures++;
    if (this.finished) return;
    this.sink.data(TERMINAL_RESET);
    this.attach();
    this.sink.reattached?.();
  }

  private forward(chunk: Buffer) {
    const text = this.decoder.decode(chunk, { stream: true });
    if (text) this.sink.data(text);
    if (!this.paused && this.sink.pendingBytes() > MAX_PENDING_BYTES) {
      this.paused = true;
      this.attachment.pause();
    }
  }

  input(text: string) {
    this.attachment.write(text);
  }

  resize(rows: number, cols: number) {
    this.attachment.resize(rows, cols);
  }

  /** Ends the shell (the browser closed the tab). */
  hangUp() {
    this.finished = true;
    this.attachment.signal(1);
    this.attachment.close();
  }

  /** Detaches this browser; the shell keeps running for the next connection. */
  detach() {
    this.finished = true;
    this.attachment.close();
  }
}

/** Terminal ids that still have a live shell in a box (re-adopted after a sandboxd restart). */
export async function liveTerminals(boxes: BoxManager, boxId: string): Promise<string[]> {
  const dir = boxes.terminalsDir(boxId);
  if (!existsSync(dir)) return [];
  const live: string[] = [];
  for (const name of readdirSync(dir)) if ((await readExit(join(dir, name))) === null) live.push(name);
  return live;
}
