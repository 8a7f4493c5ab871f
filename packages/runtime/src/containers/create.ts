import { promises as fs } from 'node:fs';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { baseImageFor, importBaseImage } from '../images/import.js';
import { pullImage } from '../images/pull.js';
import { normalizeReference } from '../images/reference.js';
import { authFromDockerConfig, RegistryError } from '../images/registry.js';
import { parseRemoteReference } from '../images/registry-reference.js';
import { withLock } from '../state/lock.js';
import {
  type ApiHealthcheck,
  ApiHealthcheckSchema,
  mergeHealthcheck,
  validateHealthcheck,
} from './healthcheck.js';
import {
  invalidParameter,
  normalizeCaps,
  parseLink,
  type StoredLink,
  validateCpuShares,
  validateDns,
  validateExtraHosts,
} from './hostconfig.js';
import { generateName, newContainerId, VALID_NAME } from './names.js';
import {
  buildEnv,
  parseBytes,
  parseCpus,
  parseLabels,
  parsePublish,
  parseRestart,
  parseVolume,
  type VolumeRequest,
} from './options.js';
import type { ContainerRecord, MountSpec } from './record.js';

export interface CreateOptions {
  image: string;
  command: string[];
  name?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  tty?: boolean;
  interactive?: boolean;
  label?: string[];
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
  network?: string;
  publish?: string[];
  volume?: string[];
  restart?: string;
  rm?: boolean;
  init?: boolean;
  /** The Engine API's list form of the entrypoint (overrides `entrypoint`); [] resets the image's. */
  entrypointArgs?: string[];
  /** Extra exposed ports (`80/tcp`), as the API's ExposedPorts. */
  expose?: string[];
  stopSignal?: string;
  stopTimeout?: number;
  capAdd?: string[];
  capDrop?: string[];
  cpuShares?: number;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  /** `name[:alias]` of containers on the default bridge (legacy links). */
  link?: string[];
  /** Docker's Healthcheck (request side); merged over the image's HEALTHCHECK. */
  healthcheck?: ApiHealthcheck;
}

/** Finds the image, importing a base image (busybox, debian) from its local recipe on first use like a pull. */
export async function ensureImage(engine: Engine, ref: string, log: (s: string) => void): Promise<string> {
  const found = await engine.images.resolve(ref);
  if (found) return found;
  const norm = (() => {
    try {
      return normalizeReference(ref);
    } catch {
      return ref;
    }
  })();
  log(`Unable to find image '${norm}' locally`);
  const base = baseImageFor(norm);
  if (!base) {
    // Like `docker run`: pull what isn't here from its registry (Docker Hub stays off unless configured).
    try {
      const pulled = await pullImage(engine, ref, {
        auth: await authFromDockerConfig(parseRemoteReference(ref).domain),
        progress: (m) => {
          if (m.status && m.progressDetail?.current === undefined)
            log(m.id ? `${m.id}: ${m.status}` : m.status);
        },
      });
      return pulled.id;
    } catch (e) {
      if (
        e instanceof RegistryError ||
        (e instanceof DockyardError && !e.message.startsWith('Error response'))
      ) {
        throw new DockyardError(`Error response from daemon: ${e.message}`);
      }
      throw e;
    }
  }
  await withLock(engine.cfg.root, `base-image-${base}`, async () => {
    if (!(await engine.images.resolve(norm))) await importBaseImage(engine.images, base);
  });
  log(`${norm.split(':')[1]}: Imported from the local ${base} base image recipe`);
  return engine.images.require(norm);
}

const NETWORK_MODES = new Set(['bridge', 'host', 'none', 'default']);

export async function createContainer(
  engine: Engine,
  o: CreateOptions,
  log: (s: string) => void = () => {},
): Promise<ContainerRecord> {
  // Validate everything that needs no side effects first, so a bad flag leaves nothing behind.
  if (o.name !== undefined && !VALID_NAME.test(o.name)) {
    throw new DockyardError(
      `Error response from daemon: Invalid container name (${o.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  validateHealthcheck(o.healthcheck);
  const restart = parseRestart(o.restart);
  if (o.rm && restart.name !== 'no') throw new DockyardError('Conflicting options: --restart and --rm');
  const ports = (o.publish ?? []).map(parsePublish);
  const volumeReqs = (o.volume ?? []).map(parseVolume);
  const memory = parseBytes(o.memory, '--memory');
  const memorySwap = parseBytes(o.memorySwap, '--memory-swap', true);
  if (memory && memory < 6 * 1024 * 1024) {
    throw new DockyardError('Error response from daemon: Minimum memory limit allowed is 6MB');
  }
  if (memorySwap > 0 && memory === 0) {
    throw new DockyardError(
      'Error response from daemon: You should always set the Memory limit when using Memoryswap limit, see usage.',
    );
  }
  if (memorySwap > 0 && memorySwap < memory) {
    throw new DockyardError(
      'Error response from daemon: Minimum memoryswap limit should be larger than memory limit, see usage.',
    );
  }
  const nanoCpus = parseCpus(o.cpus);
  const pidsLimit = o.pidsLimit ? Number(o.pidsLimit) : 0;
  if (!Number.isInteger(pidsLimit))
    throw new DockyardError(`invalid argument "${o.pidsLimit}" for "--pids-limit" flag`);
  let networkMode = o.network || 'bridge';
  if (networkMode === 'default') networkMode = 'bridge';
  const nets = await engine.networks();
  if (networkMode.startsWith('container:')) {
    await engine.containers.get(networkMode.slice('container:'.length));
    if (ports.length)
      throw new DockyardError(
        'Error response from daemon: conflicting options: port publishing and the container type network mode',
      );
  } else if (!NETWORK_MODES.has(networkMode)) {
    await nets.inspect(networkMode).catch(() => {
      throw new DockyardError(`Error response from daemon: network ${networkMode} not found`);
    });
  }
  const hostSettings = await validateHostSettings(engine, o, networkMode);
  if ((networkMode === 'host' || networkMode === 'none') && ports.length) {
    // docker ignores -p with host/none (warning only).
    ports.length = 0;
  }

  const imageId = await ensureImage(engine, o.image, log);
  const image = await engine.images.getConfig(imageId);
  const ic = image.config ?? {};
  let entrypoint: string[] | null = ic.Entrypoint ?? null;
  let cmd: string[] | null = o.command.length ? o.command : (ic.Cmd ?? null);
  if (o.entrypoint !== undefined) {
    entrypoint = o.entrypoint === '' ? null : [o.entrypoint];
    cmd = o.command.length ? o.command : null;
  }
  if (o.entrypointArgs !== undefined) {
    const ep = o.entrypointArgs.filter((a, i) => i > 0 || a !== '');
    entrypoint = ep.length ? ep : null;
    cmd = o.command.length ? o.command : null;
  }
  if (![...(entrypoint ?? []), ...(cmd ?? [])].length) {
    throw new DockyardError('Error response from daemon: No command specified');
  }
  const env = await buildEnv(ic.Env ?? [], o.envFile ?? [], o.env ?? []);
  const id = newContainerId();
  const exposed = new Set(Object.keys(ic.ExposedPorts ?? {}));
  for (const p of ports) exposed.add(`${p.containerPort}/${p.proto}`);
  for (const p of o.expose ?? []) exposed.add(p.includes('/') ? p : `${p}/tcp`);

  return engine.containers.withNamesLock(async () => {
    const existing = await engine.containers.list();
    const taken = new Set(existing.map((c) => c.name));
    const name = o.name ? o.name.replace(/^\//, '') : generateName(taken);
    const holder = existing.find((c) => c.name === name);
    if (holder) {
      throw new DockyardError(
        `Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const mounts: MountSpec[] = [];
    const createdVolumes: string[] = [];
    try {
      for (const v of volumeReqs) mounts.push(await resolveMount(engine, v, createdVolumes));
      for (const dest of Object.keys(ic.Volumes ?? {})) {
        if (mounts.some((m) => m.destination === dest)) continue;
        mounts.push(
          await resolveMount(
            engine,
            { type: 'volume', source: '', destination: dest, rw: true },
            createdVolumes,
          ),
        );
      }
      const rec: ContainerRecord = {
        id,
        name,
        created: new Date().toISOString(),
        image: o.image,
        imageId,
        layers: image.rootfs.diff_ids,
        config: {
          entrypoint,
          cmd,
          env,
          workdir: o.workdir || ic.WorkingDir || '/',
          user: o.user ?? ic.User ?? '',
          hostname: o.hostname || id.slice(0, 12),
          domainname: '',
          tty: !!o.tty,
          openStdin: !!o.interactive,
          labels: { ...(ic.Labels ?? {}), ...parseLabels(o.label ?? []) },
          exposedPorts: [...exposed].sort(),
          stopSignal: o.stopSignal || ic.StopSignal || 'SIGTERM',
          stopTimeout: o.stopTimeout ?? 10,
          healthcheck: mergeHealthcheck(ApiHealthcheckSchema.safeParse(ic.Healthcheck).data, o.healthcheck),
        },
        host: {
          memory,
          memorySwap,
          nanoCpus,
          pidsLimit,
          networkMode,
          ports,
          mounts,
          restart,
          autoRemove: !!o.rm,
          init: !!o.init,
          ...hostSettings,
        },
        state: {
          status: 'created',
          pid: 0,
          shimPid: 0,
          exitCode: 0,
          oomKilled: false,
          error: '',
          startedAt: '0001-01-01T00:00:00Z',
          finishedAt: '0001-01-01T00:00:00Z',
          restartCount: 0,
          manuallyStopped: false,
          generation: 0,
          ports: [],
        },
        networks: {},
      };
      await fs.mkdir(engine.containers.dir(id), { recursive: true });
      await engine.containers.save(rec);
      return rec;
    } catch (e) {
      await engine.containers.removeFiles(id);
      for (const v of createdVolumes) await engine.volumes.remove(v).catch(() => {});
      throw e;
    }
  });
}

/** CapAdd/CapDrop, CpuShares, DNS, extra hosts and links, checked like dockerd does at create. */
async function validateHostSettings(engine: Engine, o: CreateOptions, networkMode: string) {
  const capAdd = o.capAdd ?? [];
  const capDrop = o.capDrop ?? [];
  normalizeCaps(capAdd, 'CapAdd');
  normalizeCaps(capDrop, 'CapDrop');
  const cpuShares = validateCpuShares(o.cpuShares ?? 0);
  const dns = o.dns ?? [];
  const dnsSearch = o.dnsSearch ?? [];
  const dnsOptions = o.dnsOption ?? [];
  const extraHosts = o.addHost ?? [];
  validateDns(dns);
  validateExtraHosts(extraHosts);
  const joined = networkMode.startsWith('container:');
  const fail = invalidParameter;
  if (joined && (dns.length || dnsSearch.length || dnsOptions.length))
    throw fail('conflicting options: dns and the network mode');
  if (joined && extraHosts.length)
    throw fail('conflicting options: custom host-to-IP mapping and the network mode');
  const links: StoredLink[] = [];
  for (const spec of o.link ?? []) {
    if (networkMode === 'host')
      throw fail(
        "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
      );
    if (joined)
      throw fail(
        "conflicting options: container type network can't be used with links. This would result in undefined behavior",
      );
    const { name, alias } = parseLink(spec);
    const child = await engine.containers.get(name).catch((e: Error) => {
      throw fail(
        `could not get container for ${name}: ${e.message.replace(/^Error response from daemon: /, '')}`,
      );
    });
    if (child.host.networkMode === 'host')
      throw fail(
        "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
      );
    links.push({ id: child.id, alias });
  }
  return { capAdd, capDrop, cpuShares, dns, dnsSearch, dnsOptions, extraHosts, links };
}

async function resolveMount(engine: Engine, v: VolumeRequest, created: string[]): Promise<MountSpec> {
  if (v.type === 'bind') {
    // docker -v creates a missing host directory (unlike --mount).
    await fs.mkdir(v.source, { recursive: true }).catch(() => {});
    await fs.stat(v.source).catch(() => {
      throw new DockyardError(
        `Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${v.source}`,
      );
    });
    return { type: 'bind', source: v.source, destination: v.destination, rw: v.rw };
  }
  const existed = v.source ? await engine.volumes.get(v.source) : undefined;
  const vol = await engine.volumes.create(v.source || undefined, {}, !v.source);
  // Remember volumes made here so a failed create can take them back.
  if (!existed) created.push(vol.Name);
  return { type: 'volume', source: vol.Mountpoint, destination: v.destination, rw: v.rw, name: vol.Name };
}
