import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DockyardError } from '../errors.js';
import { type EngineEvent, type EventFilter, followEvents, matchEvent, readEvents } from '../events.js';
import { collect, getEngine, out, verb } from './common.js';

interface DaemonFlags {
  host: string[];
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  spareNetns: string;
}

/** `dockyard daemon`: serves the Engine API in the foreground until SIGTERM/SIGINT. */
async function runDaemon(f: DaemonFlags): Promise<void> {
  const { startApiServer } = await import('../api/server.js');
  const engine = getEngine();
  engine.backgroundCleanup = true;
  const spares = Number(f.spareNetns);
  if (!Number.isInteger(spares) || spares < 0 || spares > 64)
    throw new DockyardError(`invalid --spare-netns ${f.spareNetns}: a whole number from 0 to 64`);
  const hosts = f.host.length ? f.host : [`unix://${engine.cfg.run}/docker.sock`];
  let socketPath: string | undefined;
  let tcp: Parameters<typeof startApiServer>[0]['tcp'];
  for (const host of hosts) {
    if (host.startsWith('unix://')) {
      if (socketPath) throw new DockyardError('only one unix:// --host is supported');
      socketPath = host.slice('unix://'.length);
    } else if (host.startsWith('tcp://')) {
      if (tcp) throw new DockyardError('only one tcp:// --host is supported');
      // The socket is root-equivalent: over TCP only with mutual TLS, never in the clear.
      if (!f.tlsverify || !f.tlscacert || !f.tlscert || !f.tlskey)
        throw new DockyardError(
          'refusing to listen on TCP without --tlsverify --tlscacert --tlscert --tlskey (anyone reaching the port would be root)',
        );
      const u = new URL(host.replace(/^tcp:/, 'https:'));
      tcp = {
        host: u.hostname,
        port: Number(u.port || 2376),
        ca: await fs.readFile(f.tlscacert),
        cert: await fs.readFile(f.tlscert),
        key: await fs.readFile(f.tlskey),
      };
    } else throw new DockyardError(`invalid --host ${host}: use unix:///path or tcp://host:port`);
  }
  // A stream error nobody listened for must not take every client down with it: log it and keep serving.
  process.on('uncaughtException', (e) =>
    process.stderr.write(`dockyard daemon: uncaught: ${e.stack ?? e}\n`),
  );
  process.on('unhandledRejection', (e) => process.stderr.write(`dockyard daemon: unhandled: ${String(e)}\n`));
  // Registered before anything is awaited: a SIGTERM during start-up still stops the daemon cleanly.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  // Made before serving, so the first start does not wait for it.
  engine.runtime.useSealedCopy = true;
  await engine.runtime.shimRuntime();
  // The unix socket always exists; TCP is added on top when asked for.
  const server = await startApiServer({ engine, socketPath, tcp });
  if (spares > 0 && (await engine.networks()).available) {
    const { SpareNetns } = await import('../containers/spare-netns.js');
    engine.spareNetns = new SpareNetns(path.join(engine.cfg.run, 'netns'), spares);
    const records = await engine.containers.list();
    await engine.spareNetns.removeLeftovers(new Set(records.flatMap((r) => r.state.sandboxKey ?? [])));
    engine.spareNetns.fill();
  }
  process.stderr.write(
    `dockyard daemon: API listening on unix://${server.socketPath}${server.tcpPort ? ` and tcp port ${server.tcpPort} (TLS)` : ''}\n`,
  );
  await stopped;
  await server.close();
  await engine.spareNetns?.close();
}

function formatEvent(e: EngineEvent): string {
  const t = new Date(e.timeNano / 1e6).toISOString().replace('Z', '');
  const nanos = String(Math.floor(e.timeNano % 1e9)).padStart(9, '0');
  const attrs = Object.entries(e.Actor.Attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${t.slice(0, 19)}.${nanos}Z ${e.Type} ${e.Action} ${e.Actor.ID}${attrs ? ` (${attrs})` : ''}`;
}

function parseTimeFlag(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const dur = /^(\d+(?:\.\d+)?)(s|m|h)$/.exec(v);
  if (dur) return Date.now() / 1000 - Number(dur[1]) * ({ s: 1, m: 60, h: 3600 }[dur[2] as 's'] ?? 1);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new DockyardError(`invalid value for time: ${v}`);
  return t / 1000;
}

/** `dockyard events`: the same stored events the API's GET /events serves. */
async function showEvents(f: {
  since?: string;
  until?: string;
  filter: string[];
  format?: string;
}): Promise<void> {
  const engine = getEngine();
  const filters: Record<string, string[]> = {};
  for (const x of f.filter) {
    const eq = x.indexOf('=');
    if (eq === -1) throw new DockyardError(`invalid filter '${x}'`);
    const k = x.slice(0, eq);
    filters[k] = [...(filters[k] ?? []), x.slice(eq + 1)];
  }
  const since = parseTimeFlag(f.since);
  const until = parseTimeFlag(f.until);
  const print = (e: EngineEvent) => {
    const t = e.timeNano / 1e9;
    if ((since !== undefined && t < since) || (until !== undefined && t > until)) return;
    if (!matchEvent(e, filters as EventFilter)) return;
    out(f.format === '{{json .}}' ? JSON.stringify(e) : formatEvent(e));
  };
  const { events, offset } = await readEvents(engine.cfg);
  if (since !== undefined) for (const e of events) print(e);
  if (until !== undefined && until <= Date.now() / 1000) return;
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  if (until !== undefined) setTimeout(() => ac.abort(), (until - Date.now() / 1000) * 1000 + 200).unref();
  await followEvents(engine.cfg, offset, print, ac.signal);
}

export function registerDaemonCommands(program: Command): void {
  verb(program, 'daemon', 'Serve the Docker Engine API (unix socket; TCP only with TLS client certificates)')
    .option(
      '-H, --host <string>',
      'Where to listen (repeatable): unix:///path (default $DOCKYARD_RUN/docker.sock), tcp://host:port (TLS only)',
      collect,
      [],
    )
    .option('--tlsverify', 'Require TLS client certificates signed by --tlscacert')
    .option('--tlscacert <file>', 'CA certificate that signs client certificates')
    .option('--tlscert <file>', 'Server certificate')
    .option('--tlskey <file>', 'Server private key')
    .option(
      '--spare-netns <n>',
      'Network namespaces (with a veth pair) kept ready for container starts (default $DOCKYARD_SPARE_NETNS or 2)',
      process.env.DOCKYARD_SPARE_NETNS ?? '2',
    )
    .action(async (f: DaemonFlags) => runDaemon(f));

  verb(program, 'events', 'Get real time events from the server')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format the output using the given Go template')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .action(async (f: { since?: string; until?: string; filter: string[]; format?: string }) =>
      showEvents(f),
    );
}
