import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attachShim, readExit, type ShimAttachment } from '@dockyard/runtime/shim';
import type { BoxManager } from '../boxes/manager.js';

/** Output queued towards one browser before we stop reading from the shell (dyshim buffers, then drops us). */
export const MAX_PENDING_BYTES = 256 * 1024;

export interface TerminalSink {
  data(text: string): void;
  exit(exitCode: number | null): void;
  /** Bytes handed to the transport and not yet flushed to the network. */
  pendingBytes(): number;
  onDrain(cb: () => void): void;
}

/**
 * One browser's view of one terminal. The shell lives in its own dyshim (so it survives this process and
 * reconnects replay its scrollback); this object is only an attachment to it, with flow control: when the
 * browser falls behind, we pause reading, so a flood in one terminal costs bounded memory here.
 */
export class TerminalAttachment {
  private readonly decoder = new TextDecoder('utf-8');
  private paused = false;

  private constructor(
    private readonly attachment: ShimAttachment,
    private readonly sink: TerminalSink,
  ) {
    attachment.onStdout((chunk) => this.forward(chunk));
    attachment.onStderr((chunk) => this.forward(chunk));
    attachment.onExit((exit) => sink.exit(exit.exitCode));
    sink.onDrain(() => {
      if (this.paused && sink.pendingBytes() < MAX_PENDING_BYTES / 2) {
        this.paused = false;
        attachment.resume();
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
    // Always replay: a new shell may print its first prompt before we are attached.
    const attachment = attachShim(stateDir, { replay: true, stdin: !opts.readOnly });
    const terminal = new TerminalAttachment(attachment, sink);
    if (!opts.readOnly) attachment.resize(size.rows, size.cols);
    return terminal;
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
    this.attachment.signal(1);
    this.attachment.close();
  }

  /** Detaches this browser; the shell keeps running for the next connection. */
  detach() {
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
