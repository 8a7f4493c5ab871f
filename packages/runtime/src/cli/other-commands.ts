import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { effectiveState } from '../containers/status.js';
import { DockyardError } from '../errors.js';
import { collect, confirm, err, exit, getEngine, out, verb } from './common.js';
import { formatRows } from './format.js';
import { inspectObjects } from './inspect-command.js';

export const VERSION = '0.1.0';

async function volumeUsers(name: string): Promise<string[]> {
  return (await getEngine().containers.list())
    .filter((c) => c.host.mounts.some((m) => m.name === name))
    .map((c) => c.id);
}

export function registerVolumeCommands(program: Command): void {
  const vol = verb(program, 'volume', 'Manage volumes');
  const engine = getEngine;
  verb(vol, 'create', 'Create a volume')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [])
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .option('--name <string>', 'Specify volume name')
    .argument('[name]')
    .action(async (name: string | undefined, f: { label: string[]; name?: string; driver: string }) => {
      if (f.driver !== 'local')
        throw new DockyardError(`Error response from daemon: plugin "${f.driver}" not found`);
      const labels = Object.fromEntries(
        f.label.map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]),
      );
      out((await engine().volumes.create(name ?? f.name, labels)).Name);
    });
  verb(vol, 'ls', 'List volumes')
    .alias('list')
    .option('-q, --quiet', 'Only display volume names')
    .option('-f, --filter <filter>', 'Provide filter values', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .action(async (f: { quiet?: boolean; format?: string; filter: string[] }) => {
      let vols = await engine().volumes.list();
      for (const flt of f.filter) {
        const [k, v] = flt.split('=');
        if (k === 'dangling') {
          const used = new Set(
            (await engine().containers.list()).flatMap((c) => c.host.mounts.map((m) => m.name)),
          );
          vols = vols.filter((x) => used.has(x.Name) === (v !== 'true'));
        } else if (k === 'name') vols = vols.filter((x) => x.Name.includes(v ?? ''));
      }
      if (f.quiet) {
        for (const v of vols) out(v.Name);
        return;
      }
      out(
        formatRows(f.format ?? 'table {{.Driver}}\t{{.Name}}', vols, {
          Driver: 'DRIVER',
          Name: 'VOLUME NAME',
          Mountpoint: 'MOUNTPOINT',
        }),
      );
    });
  verb(vol, 'inspect', 'Display detailed information on one or more volumes')
    .option('-f, --format <string>', 'Format output using a custom template')
    .argument('<volumes...>')
    .action(async (refs: string[], f: { format?: string }) => inspectObjects(refs, 'volume', f.format));
  verb(vol, 'rm', 'Remove one or more volumes')
    .alias('remove')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .argument('<volumes...>')
    .action(async (names: string[], f: { force?: boolean }) => {
      for (const n of names) {
        try {
          const users = await volumeUsers(n);
          if (users.length)
            throw new DockyardError(
              `Error response from daemon: remove ${n}: volume is in use - [${users.join(', ')}]`,
            );
          if (f.force && !(await engine().volumes.get(n))) {
            out(n);
            continue;
          }
          await engine().volumes.remove(n);
          out(n);
        } catch (e) {
          err((e as Error).message);
          exit.code = 1;
        }
      }
    });
  verb(vol, 'prune', 'Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values', collect, [])
    .action(async (f: { all?: boolean; force?: boolean }) => {
      if (
        !f.force &&
        !(await confirm(
          'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?',
        ))
      )
        return;
      const removed: string[] = [];
      for (const v of await engine().volumes.list()) {
        if (!f.all && !v.Anonymous) continue;
        if ((await volumeUsers(v.Name)).length) continue;
        await engine().volumes.remove(v.Name);
        removed.push(v.Name);
      }
      if (removed.length) out(`Deleted Volumes:\n${removed.join('\n')}\n`);
      out('Total reclaimed space: 0B');
    });
}

export function registerNetworkCommands(program: Command): void {
  const net = verb(program, 'network', 'Manage networks');
  const nets = () => getEngine().networks();
  verb(net, 'create', 'Create a network')
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('--subnet <string>', 'Subnet in CIDR format that represents a network segment')
    .option('--gateway <string>', 'IPv4 or IPv6 Gateway for the master subnet')
    .option('--internal', 'Restrict external access to the network')
    .option('--label <list>', 'Set metadata on a network', collect, [])
    .argument('<name>')
    .action(
      async (
        name: string,
        f: { driver: string; subnet?: string; gateway?: string; internal?: boolean; label: string[] },
      ) => {
        if (f.driver !== 'bridge')
          throw new DockyardError(`Error response from daemon: plugin "${f.driver}" not found`);
        const labels = Object.fromEntries(
          f.label.map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]),
        );
        const n = await (await nets()).create({
          name,
          subnet: f.subnet,
          gateway: f.gateway,
          internal: f.internal,
          labels,
        });
        out(n.Id);
      },
    );
  verb(net, 'ls', 'List networks')
    .alias('list')
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .option('-f, --filter <filter>', 'Provide filter values', collect, [])
    .option('--format <string>', 'Pretty-print networks using a Go template')
    .action(async (f: { quiet?: boolean; trunc: boolean; format?: string }) => {
      const m = await nets();
      await m.ensureDefaultBridge().catch(() => {});
      const list = await m.list();
      const rows = list.map((n) => ({
        ...n,
        ID: f.trunc ? n.Id.slice(0, 12) : n.Id,
        Name: n.Name,
        Driver: n.Driver,
        Scope: 'local',
      }));
      if (f.quiet) {
        for (const r of rows) out(r.ID);
        return;
      }
      out(
        formatRows(f.format ?? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}', rows, {
          ID: 'NETWORK ID',
          Name: 'NAME',
          Driver: 'DRIVER',
          Scope: 'SCOPE',
        }),
      );
    });
  verb(net, 'inspect', 'Display detailed information on one or more networks')
    .option('-f, --format <string>', 'Format output using a custom template')
    .argument('<networks...>')
    .action(async (refs: string[], f: { format?: string }) => inspectObjects(refs, 'network', f.format));
  verb(net, 'rm', 'Remove one or more networks')
    .alias('remove')
    .argument('<networks...>')
    .action(async (names: string[]) => {
      for (const n of names) {
        try {
          await (await nets()).remove(n);
          out(n);
        } catch (e) {
          err((e as Error).message);
          exit.code = 1;
        }
      }
    });
  verb(net, 'prune', 'Remove all unused networks')
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (f: { force?: boolean }) => {
      if (
        !f.force &&
        !(await confirm(
          'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?',
        ))
      )
        return;
      const m = await nets();
      const removed: string[] = [];
      for (const n of await m.list()) {
        if (['bridge', 'host', 'none'].includes(n.Name)) continue;
        const attached = Object.keys((n.Containers as Record<string, unknown>) ?? {}).length;
        if (attached) continue;
        if (
          await m.remove(n.Name).then(
            () => true,
            () => false,
          )
        )
          removed.push(n.Name);
      }
      if (removed.length) out(`Deleted Networks:\n${removed.join('\n')}\n`);
    });
  verb(net, 'connect', 'Connect a container to a network')
    .option('--alias <strings>', 'Add network-scoped alias for the container', collect, [])
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")')
    .argument('<network>')
    .argument('<container>')
    .action(async (network: string, ref: string, f: { alias: string[]; ip?: string }) => {
      const e = getEngine();
      const { containerNetns } = await import('../containers/networking.js');
      const rec = await e.containers.get(ref);
      const s = await effectiveState(e, rec);
      const ns = containerNetns(e, rec);
      if (s.status !== 'running' || !existsSync(ns)) {
        throw new DockyardError(
          `Error response from daemon: container ${rec.id} is not running with its own network namespace`,
        );
      }
      const m = await nets();
      const att = await m.connect(
        {
          containerId: rec.id,
          name: rec.name,
          netnsPath: ns,
          aliases: [rec.name, rec.id.slice(0, 12), ...f.alias],
          ip: f.ip,
        },
        network,
      );
      await e.containers.update(rec.id, (r) => {
        r.networks[att.network] = att;
      });
    });
  verb(net, 'disconnect', 'Disconnect a container from a network')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .argument('<network>')
    .argument('<container>')
    .action(async (network: string, ref: string) => {
      const e = getEngine();
      const { containerNetns } = await import('../containers/networking.js');
      const rec = await e.containers.get(ref);
      const m = await nets();
      await m.disconnect(rec.id, network, containerNetns(e, rec));
      await e.containers.update(rec.id, (r) => {
        const key = Object.keys(r.networks).find(
          (k) => k === network || r.networks[k]?.networkId.startsWith(network),
        );
        if (key) delete r.networks[key];
      });
    });
}

export function registerSystemCommands(program: Command): void {
  verb(program, 'version', 'Show the Dockyard version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(() => {
      const c = getEngine().cfg;
      out(
        [
          'Client: Dockyard',
          ` Version:           ${VERSION}`,
          ` Node version:      ${process.version}`,
          ' OS/Arch:           linux/amd64',
          '',
          'Server: Dockyard Engine (daemonless)',
          ' Engine:',
          `  Version:          ${VERSION}`,
          `  OCI runtime:      ${c.runtimeName} (${c.runtime})`,
          `  Root dir:         ${c.root}`,
        ].join('\n'),
      );
    });
  verb(program, 'info', 'Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action(async () => {
      const e = getEngine();
      const recs = await e.containers.list();
      let running = 0;
      let paused = 0;
      for (const r of recs) {
        const s = await effectiveState(e, r);
        if (s.status === 'running') running++;
        else if (s.status === 'paused') paused++;
      }
      const cgroupVersion = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1';
      out(
        [
          'Client:',
          ` Version:    ${VERSION}`,
          ' Context:    default',
          '',
          'Server:',
          ` Containers: ${recs.length}`,
          `  Running: ${running}`,
          `  Paused: ${paused}`,
          `  Stopped: ${recs.length - running - paused}`,
          ` Images: ${(await e.images.imageIds()).length}`,
          ` Server Version: ${VERSION}`,
          ' Storage Driver: overlay2',
          ' Logging Driver: json-file',
          ' Cgroup Driver: cgroupfs',
          ` Cgroup Version: ${cgroupVersion}`,
          ` Default Runtime: ${e.cfg.runtimeName}`,
          ` Docker Root Dir: ${e.cfg.root}`,
        ].join('\n'),
      );
    });
}
