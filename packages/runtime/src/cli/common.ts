import { type Command, Option } from 'commander';
import { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';

let engine: Engine | undefined;
export const getEngine = () => {
  engine ??= new Engine();
  return engine;
};

/** Repeatable options (-e, -p, -v, --label …). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function out(s: string): void {
  process.stdout.write(s.endsWith('\n') || s === '' ? s : `${s}\n`);
}
export function err(s: string): void {
  process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
}

/** Exit code set by a verb; main() exits with it once output is flushed. */
export const exit = { code: 0 };

/** Runs `fn` for each ref like docker's multi-container verbs: prints the ref on success, the error otherwise. */
export async function forEachRef(
  refs: string[],
  fn: (ref: string) => Promise<void>,
  print = true,
): Promise<void> {
  const errors: string[] = [];
  for (const ref of refs) {
    try {
      await fn(ref);
      if (print) out(ref);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (errors.length) {
    for (const e of errors) err(e);
    exit.code = 1;
  }
}

export const hidden = (flags: string, description: string) => new Option(flags, description).hideHelp();

/** Docker's help flag is only --help (-h is --hostname for run/create). */
export function verb(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).helpOption('--help', 'Print usage');
}

export function requireArgs(cmd: Command, args: unknown[], min: number): void {
  if (args.length < min) {
    throw new DockyardError(
      `"dockyard ${cmd.name()}" requires at least ${min} argument${min > 1 ? 's' : ''}.\nSee 'dockyard ${cmd.name()} --help'.`,
    );
  }
}

export async function confirm(question: string): Promise<boolean> {
  process.stderr.write(`${question} [y/N] `);
  const line: string = await new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve(buf);
      }
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', () => resolve(buf));
  });
  return /^y(es)?$/i.test(line.trim());
}
