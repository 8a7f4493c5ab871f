import { Command, CommanderError } from 'commander';
import { DockyardError } from '../errors.js';
import { registerBuildCommand } from './build-command.js';
import { exit, getEngine, verb } from './common.js';
import { internalCleanup, registerContainerCommands } from './container-commands.js';
import { registerDaemonCommands } from './daemon-commands.js';
import { registerImageCommands } from './image-commands.js';
import { checkType, inspectObjects } from './inspect-command.js';
import {
  registerNetworkCommands,
  registerSystemCommands,
  registerVolumeCommands,
  VERSION,
} from './other-commands.js';

function buildProgram(): Command {
  const program = new Command('dockyard')
    .description('A container engine with docker-compatible verbs')
    .helpOption('--help', 'Print usage')
    .version(`Dockyard version ${VERSION}`, '-v, --version', 'Print version information and quit')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError(false)
    .allowExcessArguments(false);

  registerContainerCommands(program, true);
  registerImageCommands(program, false);
  registerSystemCommands(program);
  registerVolumeCommands(program);
  registerNetworkCommands(program);
  registerBuildCommand(program);
  registerDaemonCommands(program);

  verb(program, 'inspect', 'Return low-level information on Docker objects')
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('--type <string>', 'Return JSON for specified type')
    .option('-s, --size', 'Display total file sizes if the type is container')
    .argument('<names...>')
    .action(async (refs: string[], f: { format?: string; type?: string }) =>
      inspectObjects(refs, checkType(f.type), f.format),
    );

  const container = verb(program, 'container', 'Manage containers');
  registerContainerCommands(container, false);
  verb(container, 'cleanup', 'Internal: runs when a container exits (dyshim --exit-command)')
    .argument('<id>')
    .argument('[generation]')
    .action(async (id: string, generation?: string) => internalCleanup(id, generation));

  verb(
    container,
    'recover',
    'Record exits of containers whose shim is gone and apply restart policies (run at boot)',
  ).action(async () => {
    const { recoverContainers } = await import('../containers/recover.js');
    for (const id of await recoverContainers(getEngine())) process.stdout.write(`${id}\n`);
  });

  const image = verb(program, 'image', 'Manage images');
  registerImageCommands(image, true);
  registerBuildCommand(image);
  return program;
}

/** Docker's wording for argv errors, exit 125. */
function usageError(e: CommanderError, argv: string[]): DockyardError {
  const verbName = argv.find((a) => !a.startsWith('-')) ?? '';
  const see = `See 'dockyard ${verbName ? `${verbName} ` : ''}--help'.`;
  const opt = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'commander.unknownOption': {
      if (/^-[^-]/.test(opt))
        return new DockyardError(`unknown shorthand flag: '${opt.slice(1, 2)}' in ${opt}\n${see}`);
      return new DockyardError(`unknown flag: ${opt.split('=')[0]}\n${see}`);
    }
    case 'commander.optionMissingArgument':
      return new DockyardError(`flag needs an argument: ${opt.split(' ').pop()?.replace(/,$/, '')}\n${see}`);
    case 'commander.missingArgument':
      return new DockyardError(`"dockyard ${verbName}" requires at least 1 argument.\n${see}`);
    case 'commander.excessArguments':
      return new DockyardError(
        `"dockyard ${verbName}" accepts no more arguments than it has parameters.\n${see}`,
      );
    case 'commander.unknownCommand':
      return new DockyardError(`dockyard: '${opt}' is not a dockyard command.\nSee 'dockyard --help'`, 1);
    default:
      return new DockyardError(e.message.replace(/^error: /, ''), 125);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      const u = usageError(e, argv);
      process.stderr.write(`${u.message}\n`);
      return u.exitCode;
    }
    if (e instanceof DockyardError) {
      process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`Error response from daemon: ${msg}\n`);
    if (process.env.DOCKYARD_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return 125;
  }
}

export { getEngine };
