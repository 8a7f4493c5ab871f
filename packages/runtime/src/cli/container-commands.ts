import { createWriteStream, promises as fs } from 'node:fs';
import type { Command } from 'commander';
import { cleanupContainer } from '../containers/cleanup.js';
import { commitContainer } from '../containers/commit.js';
import { copyFromContainer, copyToContainer } from '../containers/cp.js';
import { type CreateOptions, createContainer } from '../containers/create.js';
import { containerChanges } from '../containers/diff.js';
import { startExec } from '../containers/exec.js';
import { exportContainer } from '../containers/export.js';
import {
  checkHealthFilter,
  type HealthFlags,
  healthcheckFromFlags,
  healthFilterValue,
  healthSuffix,
} from '../containers/healthcheck.js';
import { inspectContainer } from '../containers/inspect.js';
import { killContainer } from '../containers/kill.js';
import { readLogs } from '../containers/logs.js';
import { pauseContainer } from '../containers/pause.js';
import { containerPorts } from '../containers/port.js';
import { pruneContainers } from '../containers/prune.js';
import type { ContainerRecord } from '../containers/record.js';
import { renameContainer } from '../containers/rename.js';
import { restartContainer } from '../containers/restart.js';
import { removeContainer } from '../containers/rm.js';
import { loadShim } from '../containers/shim.js';
import { startContainer } from '../containers/start.js';
import { sampleStats } from '../containers/stats.js';
import { effectiveState, isLive, readExitFile } from '../containers/status.js';
import { stopContainer } from '../containers/stop.js';
import { topContainer } from '../containers/top.js';
import { updateContainer } from '../containers/update.js';
import { waitContainer } from '../containers/wait.js';
import { DockyardError } from '../errors.js';
import { pipeAttachment } from './attach-io.js';
import { collect, confirm, err, exit, forEachRef, getEngine, hidden, out, verb } from './common.js';
import { ago, binarySize, formatRows, humanDuration, table } from './format.js';

/** pflag's int parsing, with docker's message. */
function cpuSharesFlag(v: string): number {
  if (!/^[-+]?\d+$/.test(v))
    throw new DockyardError(
      `invalid argument "${v}" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "${v}": invalid syntax`,
    );
  return Number(v);
}

function addCreateFlags(cmd: Command): Command {
  return cmd
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('--name <string>', 'Assign a name to the container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect, [])
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap")
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', cpuSharesFlag)
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [])
    .option('--dns <list>', 'Set custom DNS servers', collect, [])
    .option('--dns-search <list>', 'Set custom DNS search domains', collect, [])
    .option('--dns-option <list>', 'Set DNS options', collect, [])
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--link <list>', 'Add link to another container', collect, [])
    .option('--network <network>', 'Connect a container to a network', 'bridge')
    .addOption(hidden('--net <network>', 'Connect a container to a network (alias of --network)'))
    .option('-h, --hostname <string>', 'Container host name')
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--sig-proxy <bool>', 'Proxy received signals to the process', 'true')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .option('--health-cmd <string>', 'Command to run to check health')
    .option('--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)')
    .option('--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)')
    .option('--health-retries <int>', 'Consecutive failures needed to report unhealthy')
    .option(
      '--health-start-period <duration>',
      'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
    )
    .option(
      '--health-start-interval <duration>',
      'Time between running the check during the start period (ms|s|m|h) (default 0s)',
    )
    .option('--no-healthcheck', 'Disable any container-specified HEALTHCHECK')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions();
}

type CreateFlags = Omit<CreateOptions, 'image' | 'command' | 'healthcheck'> &
  HealthFlags & {
    detach?: boolean;
    sigProxy?: string;
    net?: string;
  };

function toCreateOptions(image: string, command: string[], f: CreateFlags): CreateOptions {
  const {
    healthCmd,
    healthInterval,
    healthTimeout,
    healthRetries,
    healthStartPeriod,
    healthStartInterval,
    healthcheck,
    ...rest
  } = f;
  return {
    ...rest,
    healthcheck: healthcheckFromFlags({
      healthCmd,
      healthInterval,
      healthTimeout,
      healthRetries,
      healthStartPeriod,
      healthStartInterval,
      healthcheck,
    }),
    image,
    command,
    pidsLimit: f.pidsLimit === '-1' ? undefined : f.pidsLimit,
    network: f.net ?? f.network,
    rm: f.rm,
  };
}

async function attachAndStart(
  rec: ContainerRecord,
  o: { stdin: boolean; tty: boolean; sigProxy: boolean },
): Promise<number> {
  const engine = getEngine();
  const shim = await loadShim();
  let piping: ReturnType<typeof pipeAttachment> | undefined;
  await startContainer(engine, rec.id, {
    beforeStart: async (r) => {
      const att = shim.attachShim(engine.containers.shimDir(r.id), { replay: true, stdin: o.stdin });
      piping = pipeAttachment(att, {
        stdin: o.stdin,
        tty: o.tty,
        proxySignals: !o.tty && o.sigProxy,
        fallbackExit: async () => (await readExitFile(engine.containers.shimDir(r.id)))?.exitCode,
      });
    },
  });
  const result = await (piping as NonNullable<typeof piping>);
  return result.kind === 'exit' ? result.exitCode : 0;
}

export function registerContainerCommands(parent: Command, topLevel: boolean): void {
  const engine = getEngine;
  const log = (s: string) => err(s);

  addCreateFlags(verb(parent, 'run', 'Create and run a new container from an image')).action(
    async (image: string, command: string[], f: CreateFlags) => {
      const rec = await createContainer(engine(), toCreateOptions(image, command, f), log);
      if (f.detach) {
        try {
          await startContainer(engine(), rec.id);
        } catch (e) {
          if (rec.host.autoRemove) await removeContainer(engine(), rec.id, { force: true }).catch(() => {});
          throw e;
        }
        out(rec.id);
        return;
      }
      let code: number;
      try {
        code = await attachAndStart(rec, {
          stdin: !!f.interactive,
          tty: !!f.tty,
          sigProxy: f.sigProxy !== 'false',
        });
      } catch (e) {
        if (rec.host.autoRemove) await removeContainer(engine(), rec.id, { force: true }).catch(() => {});
        throw e;
      }
      // --rm: remove now rather than leave it to the exit command, so the container is gone when run returns.
      if (rec.host.autoRemove) await cleanupContainer(engine(), rec.id);
      exit.code = code;
    },
  );

  addCreateFlags(verb(parent, 'create', 'Create a new container')).action(
    async (image: string, command: string[], f: CreateFlags) => {
      const rec = await createContainer(engine(), toCreateOptions(image, command, f), log);
      out(rec.id);
    },
  );

  verb(parent, 'start', 'Start one or more stopped containers')
    .option('-a, --attach', 'Attach STDOUT/STDERR and forward signals')
    .option('-i, --interactive', "Attach container's STDIN")
    .argument('<containers...>')
    .action(async (refs: string[], f: { attach?: boolean; interactive?: boolean }) => {
      if (f.attach || f.interactive) {
        const rec = await engine().containers.get(refs[0] as string);
        exit.code = await attachAndStart(rec, {
          stdin: !!f.interactive && rec.config.openStdin,
          tty: rec.config.tty,
          sigProxy: true,
        });
        return;
      }
      await forEachRef(refs, async (ref) => {
        await startContainer(engine(), ref);
      });
    });

  verb(parent, 'stop', 'Stop one or more running containers')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .argument('<containers...>')
    .action(async (refs: string[], f: { time?: string; signal?: string }) => {
      await forEachRef(refs, (ref) =>
        stopContainer(engine(), ref, { time: f.time ? Number(f.time) : undefined, signal: f.signal }),
      );
    });

  verb(parent, 'restart', 'Restart one or more containers')
    .option('-t, --time <int>', 'Seconds to wait before killing the container')
    .option('-s, --signal <string>', 'Signal to send to the container')
    .argument('<containers...>')
    .action(async (refs: string[], f: { time?: string; signal?: string }) => {
      await forEachRef(refs, (ref) =>
        restartContainer(engine(), ref, { time: f.time ? Number(f.time) : undefined, signal: f.signal }),
      );
    });

  verb(parent, 'kill', 'Kill one or more running containers')
    .option('-s, --signal <string>', 'Signal to send to the container', 'KILL')
    .argument('<containers...>')
    .action(async (refs: string[], f: { signal: string }) => {
      await forEachRef(refs, (ref) => killContainer(engine(), ref, f.signal));
    });

  verb(parent, 'pause', 'Pause all processes within one or more containers')
    .argument('<containers...>')
    .action(async (refs: string[]) => forEachRef(refs, (ref) => pauseContainer(engine(), ref, true)));
  verb(parent, 'unpause', 'Unpause all processes within one or more containers')
    .argument('<containers...>')
    .action(async (refs: string[]) => forEachRef(refs, (ref) => pauseContainer(engine(), ref, false)));

  verb(parent, 'rm', 'Remove one or more containers')
    .option('-f, --force', 'Force the removal of a running container (uses SIGKILL)')
    .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
    .argument('<containers...>')
    .action(async (refs: string[], f: { force?: boolean; volumes?: boolean }) => {
      await forEachRef(refs, async (ref) => {
        await removeContainer(engine(), ref, f);
      });
    });

  const ps = verb(parent, topLevel ? 'ps' : 'ls', 'List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .option('-s, --size', 'Display total file sizes')
    .action(async (f: PsFlags) => listContainers(f));
  if (!topLevel) ps.aliases(['ps', 'list']);

  verb(parent, 'logs', 'Fetch the logs of a container')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--since <string>', 'Show logs since timestamp')
    .option('--details', 'Show extra details provided to logs')
    .argument('<container>')
    .action(async (ref: string, f: { follow?: boolean; tail: string; timestamps?: boolean }) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await readLogs(engine(), ref, {
        follow: f.follow,
        tail: f.tail === 'all' ? undefined : Number(f.tail),
        timestamps: f.timestamps,
        signal: ac.signal,
        write: (stream, text) => (stream === 'stdout' ? process.stdout : process.stderr).write(text),
      });
    });

  verb(parent, 'exec', 'Execute a command in a running container')
    .option('-d, --detach', 'Detached mode: run command in the background')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-u, --user <string>', 'Username or UID (format: "<name|uid>[:<group|gid>]")')
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('--privileged', 'Give extended privileges to the command')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .action(
      async (
        ref: string,
        cmd: string[],
        f: {
          detach?: boolean;
          interactive?: boolean;
          tty?: boolean;
          env: string[];
          envFile: string[];
          user?: string;
          workdir?: string;
        },
      ) => {
        const e = engine();
        const started = await startExec(e, ref, { cmd, ...f, interactive: !f.detach && f.interactive });
        if (f.detach) return;
        const shim = await loadShim();
        const att = shim.attachShim(started.stateDir, { replay: true, stdin: !!f.interactive });
        const r = await pipeAttachment(att, {
          stdin: !!f.interactive,
          tty: !!f.tty,
          proxySignals: !f.tty,
          fallbackExit: async () => (await readExitFile(started.stateDir))?.exitCode,
        });
        if (r.kind === 'exit') {
          exit.code = r.exitCode;
          await fs.rm(started.stateDir, { recursive: true, force: true }).catch(() => {});
        }
      },
    );

  verb(parent, 'attach', 'Attach local standard input, output, and error streams to a running container')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy <bool>', 'Proxy all received signals to the process', 'true')
    .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
    .argument('<container>')
    .action(async (ref: string, f: { stdin: boolean; sigProxy: string }) => {
      const e = engine();
      const rec = await e.containers.get(ref);
      const s = await effectiveState(e, rec);
      if (!isLive(s)) throw new DockyardError('You cannot attach to a stopped container, start it first', 1);
      if (s.status === 'paused')
        throw new DockyardError('You cannot attach to a paused container, unpause it first', 1);
      const stdin = f.stdin && rec.config.openStdin;
      const shim = await loadShim();
      const att = shim.attachShim(e.containers.shimDir(rec.id), { replay: false, stdin });
      const r = await pipeAttachment(att, {
        stdin,
        tty: rec.config.tty,
        proxySignals: !rec.config.tty && f.sigProxy !== 'false',
        fallbackExit: async () => (await readExitFile(e.containers.shimDir(rec.id)))?.exitCode,
      });
      if (r.kind === 'exit') exit.code = r.exitCode;
    });

  if (!topLevel)
    verb(parent, 'inspect', 'Display detailed information on one or more containers')
      .option('-f, --format <string>', 'Format output using a custom template')
      .option('-s, --size', 'Display total file sizes')
      .argument('<containers...>')
      .action(async (refs: string[], f: { format?: string }) => {
        const { inspectObjects } = await import('./inspect-command.js');
        await inspectObjects(refs, 'container', f.format);
      });

  verb(parent, 'top', 'Display the running processes of a container')
    .argument('<container>')
    .argument('[ps options...]')
    .passThroughOptions()
    .action(async (ref: string, psArgs: string[]) => {
      const t = await topContainer(engine(), ref, psArgs);
      out(table([t.titles, ...t.processes]));
    });

  verb(parent, 'stats', 'Display a live stream of container(s) resource usage statistics')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', 'Do not truncate output')
    .option('--format <string>', 'Format output using a custom template')
    .argument('[containers...]')
    .action(async (refs: string[], f: { stream: boolean; trunc: boolean; format?: string }) => {
      const e = engine();
      const recs: ContainerRecord[] = [];
      if (refs.length) for (const r of refs) recs.push(await e.containers.get(r));
      else for (const r of await e.containers.list()) if (isLive(await effectiveState(e, r))) recs.push(r);
      const render = async () => {
        const samples = await sampleStats(e, recs);
        const rows = samples.map((s) => ({
          ID: f.trunc ? s.id.slice(0, 12) : s.id,
          Container: f.trunc ? s.id.slice(0, 12) : s.id,
          Name: s.name,
          CPUPerc: `${s.cpuPercent.toFixed(2)}%`,
          MemUsage: `${binarySize(s.memUsage)} / ${binarySize(s.memLimit)}`,
          MemPerc: `${s.memPercent.toFixed(2)}%`,
          NetIO: '0B / 0B',
          BlockIO: '0B / 0B',
          PIDs: String(s.pids),
        }));
        const fmt =
          f.format ??
          'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
        return formatRows(fmt, rows, {
          ID: 'CONTAINER ID',
          Container: 'CONTAINER',
          Name: 'NAME',
          CPUPerc: 'CPU %',
          MemUsage: 'MEM USAGE / LIMIT',
          MemPerc: 'MEM %',
          NetIO: 'NET I/O',
          BlockIO: 'BLOCK I/O',
          PIDs: 'PIDS',
        });
      };
      if (!f.stream) {
        out(await render());
        return;
      }
      for (;;) {
        const text = await render();
        process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
      }
    });

  verb(parent, 'cp', 'Copy files/folders between a container and the local filesystem')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'Suppress progress output during copy')
    .argument('<src>')
    .argument('<dest>')
    .action(async (src: string, dest: string) => {
      const split = (s: string) => {
        const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(s);
        return m && !s.startsWith('/') && !s.startsWith('.')
          ? { ref: m[1] as string, path: m[2] as string }
          : undefined;
      };
      const from = split(src);
      const to = split(dest);
      if (from && to) throw new DockyardError('copying between containers is not supported');
      if (!from && !to) throw new DockyardError('must specify at least one container source');
      if (from) await copyFromContainer(engine(), from.ref, from.path || '/', dest, process.stdout);
      else if (to) await copyToContainer(engine(), to.ref, src, to.path || '/', process.stdin);
    });

  verb(parent, 'diff', "Inspect changes to files or directories on a container's filesystem")
    .argument('<container>')
    .action(async (ref: string) => {
      const e = engine();
      const { changes } = await containerChanges(e, await e.containers.get(ref));
      for (const c of changes) out(`${c.kind} ${c.path}`);
    });

  verb(parent, 'port', 'List port mappings or a specific mapping for the container')
    .argument('<container>')
    .argument('[private port]')
    .action(async (ref: string, port?: string) => {
      for (const l of await containerPorts(engine(), ref, port)) out(l);
    });

  verb(parent, 'rename', 'Rename a container')
    .argument('<container>')
    .argument('<new name>')
    .action(async (ref: string, name: string) => renameContainer(engine(), ref, name));

  verb(parent, 'update', 'Update configuration of one or more containers')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--memory-swap <bytes>', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('-c, --cpu-shares <int>', 'CPU shares (relative weight)', cpuSharesFlag)
    .option('--restart <string>', 'Restart policy to apply when a container exits')
    .argument('<containers...>')
    .action(async (refs: string[], f: Parameters<typeof updateContainer>[2]) => {
      const o = { ...f, pidsLimit: f.pidsLimit === '-1' ? '0' : f.pidsLimit };
      await forEachRef(refs, (ref) => updateContainer(engine(), ref, o));
    });

  verb(parent, 'wait', 'Block until one or more containers stop, then print their exit codes')
    .argument('<containers...>')
    .action(async (refs: string[]) => {
      await forEachRef(
        refs,
        async (ref) => {
          out(String(await waitContainer(engine(), ref)));
        },
        false,
      );
    });

  verb(parent, 'export', "Export a container's filesystem as a tar archive")
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .argument('<container>')
    .action(async (ref: string, f: { output?: string }) => {
      if (!f.output && process.stdout.isTTY) {
        throw new DockyardError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      }
      await exportContainer(engine(), ref, f.output ? createWriteStream(f.output) : process.stdout);
    });

  verb(parent, 'commit', "Create a new image from a container's changes")
    .option('-a, --author <string>', 'Author')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Commit message')
    .option('-p, --pause <bool>', 'Pause container during commit', 'true')
    .argument('<container>')
    .argument('[repository[:tag]]')
    .action(
      async (
        ref: string,
        target: string | undefined,
        f: { author?: string; change: string[]; message?: string; pause: string },
      ) => {
        out(
          await commitContainer(engine(), ref, {
            ref: target,
            author: f.author,
            message: f.message,
            changes: f.change,
            pause: f.pause !== 'false',
          }),
        );
      },
    );

  if (topLevel) return;
  verb(parent, 'prune', 'Remove all stopped containers')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values', collect, [])
    .action(async (f: { force?: boolean }) => {
      if (
        !f.force &&
        !(await confirm(
          'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?',
        ))
      )
        return;
      const removed = await pruneContainers(engine());
      if (removed.length) out(`Deleted Containers:\n${removed.join('\n')}\n`);
      out('Total reclaimed space: 0B');
    });
}

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  filter: string[];
  format?: string;
  trunc: boolean;
  last?: string;
  latest?: boolean;
}

export function statusText(s: ContainerRecord['state']): string {
  switch (s.status) {
    case 'running':
      return `Up ${humanDuration(Date.now() - Date.parse(s.startedAt))}${healthSuffix(s.health)}`;
    case 'paused':
      return `Up ${humanDuration(Date.now() - Date.parse(s.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${ago(s.finishedAt)}`;
    case 'exited':
      return s.finishedAt.startsWith('0001')
        ? `Exited (${s.exitCode})`
        : `Exited (${s.exitCode}) ${ago(s.finishedAt)}`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return 'Created';
  }
}

function ellipsis(s: string, max: number): string {
  return [...s].length > max ? `${[...s].slice(0, max - 1).join('')}…` : s;
}

async function listContainers(f: PsFlags): Promise<void> {
  const e = getEngine();
  let recs = await e.containers.list();
  const states = new Map<string, ContainerRecord['state']>();
  for (const r of recs) states.set(r.id, await effectiveState(e, r));
  const filters = f.filter.map((x) => {
    const eq = x.indexOf('=');
    if (eq === -1) throw new DockyardError(`Error response from daemon: invalid filter '${x}'`);
    return { key: x.slice(0, eq), value: x.slice(eq + 1) };
  });
  const showAll =
    f.all ||
    f.last !== undefined ||
    f.latest ||
    filters.some((x) => x.key === 'status' || x.key === 'exited');
  recs = recs.filter((r) => {
    const s = states.get(r.id) as ContainerRecord['state'];
    if (!showAll && !isLive(s) && s.status !== 'restarting') return false;
    return filters.every(({ key, value }) => {
      switch (key) {
        case 'name':
          return new RegExp(value).test(r.name);
        case 'id':
          return r.id.startsWith(value);
        case 'status':
          return s.status === value;
        case 'exited':
          return s.status === 'exited' && String(s.exitCode) === value;
        case 'health':
          checkHealthFilter(value);
          return healthFilterValue(s.health) === value;
        case 'ancestor':
          return (
            r.image === value || r.imageId === value || r.imageId.replace('sha256:', '').startsWith(value)
          );
        case 'label': {
          const [k, v] = value.split('=');
          return k !== undefined && k in r.config.labels && (v === undefined || r.config.labels[k] === v);
        }
        default:
          throw new DockyardError(`Error response from daemon: invalid filter '${key}'`);
      }
    });
  });
  if (f.latest) recs = recs.slice(0, 1);
  else if (f.last !== undefined) recs = recs.slice(0, Number(f.last));
  if (f.quiet) {
    for (const r of recs) out(f.trunc ? r.id.slice(0, 12) : r.id);
    return;
  }
  const rows = recs.map((r) => {
    const s = states.get(r.id) as ContainerRecord['state'];
    const cmd = [...(r.config.entrypoint ?? []), ...(r.config.cmd ?? [])].join(' ');
    const published = s.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.proto}`);
    const exposedOnly = r.config.exposedPorts.filter(
      (p) => !s.ports.some((b) => `${b.containerPort}/${b.proto}` === p),
    );
    return {
      ID: f.trunc ? r.id.slice(0, 12) : r.id,
      Image: r.image,
      Command: JSON.stringify(f.trunc ? ellipsis(cmd, 20) : cmd),
      CreatedAt: r.created,
      RunningFor: ago(r.created),
      Status: statusText(s),
      State: s.status,
      Ports: [...published, ...exposedOnly].join(', '),
      Names: r.name,
      Labels: Object.entries(r.config.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Networks: r.host.networkMode,
      Mounts: r.host.mounts.map((m) => m.name ?? m.source).join(','),
    };
  });
  const fmt =
    f.format ??
    'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
  out(
    formatRows(fmt, rows, {
      ID: 'CONTAINER ID',
      Image: 'IMAGE',
      Command: 'COMMAND',
      CreatedAt: 'CREATED AT',
      RunningFor: 'CREATED',
      Status: 'STATUS',
      State: 'STATE',
      Ports: 'PORTS',
      Names: 'NAMES',
      Labels: 'LABELS',
      Networks: 'NETWORKS',
      Mounts: 'MOUNTS',
    }),
  );
}

export async function internalCleanup(id: string, generation?: string): Promise<void> {
  await cleanupContainer(getEngine(), id, generation !== undefined ? Number(generation) : undefined);
}

export { inspectContainer };
