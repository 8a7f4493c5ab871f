import { constants } from 'node:os';
import type { ExitStatus, ShimAttachment } from '../containers/shim.js';

export interface PipeOptions {
  stdin: boolean;
  tty: boolean;
  /** Forward SIGINT/SIGTERM/SIGHUP to the container (docker's --sig-proxy, on for non-TTY attach). */
  proxySignals: boolean;
  /** Polled when no EXIT frame arrives (e.g. the shim is gone): resolves the exit code once known. */
  fallbackExit?: () => Promise<number | undefined>;
}

export type PipeResult = { kind: 'exit'; exitCode: number; status?: ExitStatus } | { kind: 'detached' };

const CTRL_P = 0x10;
const CTRL_Q = 0x11;

/** Connects this terminal to a dyshim attachment: raw mode, resize on SIGWINCH, detach with ctrl-p ctrl-q. */
export function pipeAttachment(att: ShimAttachment, o: PipeOptions): Promise<PipeResult> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    const rawMode = o.tty && o.stdin && stdin.isTTY;
    const cleanups: (() => void)[] = [];
    let done = false;
    const finish = (r: PipeResult) => {
      if (done) return;
      done = true;
      for (const c of cleanups) c();
      const flush = () => resolve(r);
      // Let stdout drain before the caller exits the process.
      if (process.stdout.writableLength) process.stdout.once('drain', flush);
      else flush();
    };
    att.onStdout((d) => process.stdout.write(d));
    att.onStderr((d) => process.stderr.write(d));
    att.onClose((error) => {
      if (done) return;
      if (error && !o.fallbackExit) {
        process.stderr.write(`error attaching: ${error.message}\n`);
        finish({ kind: 'exit', exitCode: 125 });
      }
      // Without an EXIT frame the exit file (polled below) settles it.
    });
    att.onExit((status) => {
      att.close();
      finish({ kind: 'exit', exitCode: status.exitCode, status });
    });
    if (o.tty && process.stdout.isTTY) {
      const resize = () => att.resize(process.stdout.rows, process.stdout.columns);
      resize();
      process.stdout.on('resize', resize);
      cleanups.push(() => process.stdout.off('resize', resize));
    }
    if (o.stdin) {
      if (rawMode) {
        stdin.setRawMode(true);
        cleanups.push(() => stdin.setRawMode(false));
      }
      let sawCtrlP = false;
      const onData = (d: Buffer) => {
        if (rawMode) {
          for (const b of d) {
            if (sawCtrlP && b === CTRL_Q) {
              att.close();
              finish({ kind: 'detached' });
              return;
            }
            sawCtrlP = b === CTRL_P;
          }
        }
        att.write(d);
      };
      const onEnd = () => att.closeStdin();
      stdin.on('data', onData);
      stdin.on('end', onEnd);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.off('end', onEnd);
        stdin.pause();
      });
    }
    if (o.proxySignals) {
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        const h = () => att.signal(constants.signals[name]);
        process.on(name, h);
        cleanups.push(() => process.off(name, h));
      }
    }
    if (o.fallbackExit) {
      const fallback = o.fallbackExit;
      let polling = false;
      const timer = setInterval(() => {
        if (polling) return;
        polling = true;
        fallback()
          .then((code) => {
            // Give the EXIT frame (and the output before it) a moment to arrive first.
            if (code !== undefined) setTimeout(() => finish({ kind: 'exit', exitCode: code }), 1500);
          })
          .finally(() => {
            polling = false;
          });
      }, 500);
      cleanups.push(() => clearInterval(timer));
    }
  });
}
