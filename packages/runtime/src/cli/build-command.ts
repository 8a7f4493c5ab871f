import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildFromTar } from '../build/builder.js';
import { packContext } from '../build/context.js';
import { DockyardError } from '../errors.js';
import { collect, getEngine, out, verb } from './common.js';

interface BuildFlags {
  tag: string[];
  file?: string;
  buildArg: string[];
  cache: boolean;
  target?: string;
  quiet?: boolean;
  label: string[];
  rm?: string;
  forceRm?: boolean;
  pull?: boolean;
  network: string;
}

/** `--build-arg K=V`, or `--build-arg K` to take K from the environment (skipped when unset, like docker). */
export function parseBuildArgs(list: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new DockyardError(`invalid argument "${a}" for "--build-arg" flag`);
    if (eq > 0) args[a.slice(0, eq)] = a.slice(eq + 1);
    else if (process.env[a] !== undefined) args[a] = process.env[a] as string;
  }
  return args;
}

export function parseLabelList(list: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of list) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return labels;
}

export function registerBuildCommand(parent: Command): void {
  verb(parent, 'build', 'Build an image from a Dockerfile')
    .option('-t, --tag <list>', "Name and optionally a tag in the 'name:tag' format", collect, [])
    .option('-f, --file <string>', "Name of the Dockerfile (Default is 'PATH/Dockerfile')")
    .option('--build-arg <list>', 'Set build-time variables', collect, [])
    .option('--no-cache', 'Do not use cache when building the image')
    .option('--target <string>', 'Set the target build stage to build.')
    .option('-q, --quiet', 'Suppress the build output and print image ID on success')
    .option('--label <list>', 'Set metadata for an image', collect, [])
    .option('--rm <bool>', 'Remove intermediate containers after a successful build (always done)', 'true')
    .option('--force-rm', 'Always remove intermediate containers (always done)')
    .option('--network <string>', 'Set the networking mode for the RUN instructions during build', 'default')
    .option('--pull', 'Always attempt to pull a newer version of the image (images here are local)')
    .argument('<path>')
    .action(async (dir: string, f: BuildFlags) => {
      const context = path.resolve(dir);
      const st = await fs.stat(context).catch(() => undefined);
      if (!st?.isDirectory())
        throw new DockyardError(`unable to prepare context: path "${dir}" not found`, 1);
      let dockerfile: string | undefined;
      let dockerfileText: string | undefined;
      if (f.file) {
        const abs = path.resolve(f.file);
        const rel = path.relative(context, abs);
        if (rel.startsWith('..') || path.isAbsolute(rel)) {
          dockerfileText = await fs.readFile(abs, 'utf8').catch(() => {
            throw new DockyardError(
              `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`,
              1,
            );
          });
        } else dockerfile = rel.split(path.sep).join('/');
      }
      const tar = await packContext(context, dockerfile);
      const quiet = !!f.quiet;
      // Ctrl-C cancels like docker's: the running step stops and the build's containers are removed.
      const cancel = new AbortController();
      const onSignal = () => cancel.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await buildFromTar(getEngine(), tar, {
        signal: cancel.signal,
        network: f.network,
        dockerfile,
        dockerfileText,
        tags: f.tag,
        buildArgs: parseBuildArgs(f.buildArg),
        noCache: !f.cache,
        target: f.target,
        labels: parseLabelList(f.label),
        out: quiet ? undefined : (s) => process.stdout.write(s),
      }).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      if (quiet) out(result.id);
    });
}
