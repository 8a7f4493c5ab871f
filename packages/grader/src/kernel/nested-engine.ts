import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InRootError, listDirInRoot, readFileInRoot, statInRoot } from '../safe-path.js';
import { type BoxTarget, boxPids, boxRoot } from '../target.js';
import { cgroupDirFor } from './cgroup.js';
import { type MountEntry, mountAt, overlayLayers, readMountinfo } from './mountinfo.js';
import { readProcess, readProcessCgroups } from './proc.js';

/**
 * The nested engine's on-disk records, read from the host through the box root with in-root resolution.
 * Everything here is writable by the student, so records only say where to look: container checks confirm
 * them against the kernel (processes in the box's cgroup subtree, their mounts and namespaces), and image
 * records are accepted only when their content digests still match.
 */

export const NESTED_STATE_ROOT = '/var/lib/dockyard';
const RECORD_MAX_BYTES = 1024 * 1024;
/** Layers up to this size have their digest recomputed; bigger ones are checked by size only. */
const LAYER_REHASH_MAX_BYTES = 256 * 1024 * 1024;

const HexId = z.string().regex(/^[0-9a-f]{64}$/);

export const ContainerRecordSchema = z.object({
  id: HexId,
  name: z.string(),
  image: z.string(),
  imageId: z.string(),
  layers: z.array(z.string()).default([]),
  config: z
    .object({
      env: z.array(z.string()).default([]),
      hostname: z.string().default(''),
    })
    .loose()
    .default({ env: [], hostname: '' }),
  host: z
    .object({
      restart: z.object({ name: z.string() }).loose().optional(),
      mounts: z
        .array(z.object({ type: z.string(), source: z.string().optional(), destination: z.string() }).loose())
        .default([]),
      ports: z
        .array(
          z.object({
            hostIp: z.string(),
            hostPort: z.number(),
            containerPort: z.number(),
            proto: z.string(),
          }),
        )
        .default([]),
    })
    .loose(),
  state: z
    .object({ status: z.string(), exitCode: z.number().int().default(0), pid: z.number().int().default(0) })
    .loose(),
  networks: z
    .record(z.string(), z.object({ network: z.string(), networkId: z.string() }).loose())
    .default({}),
});
export type ContainerRecord = z.infer<typeof ContainerRecordSchema>;

function readJsonInRoot(root: string, path: string): unknown | null {
  try {
    return JSON.parse(readFileInRoot(root, path, { maxBytes: RECORD_MAX_BYTES }).toString('utf8'));
  } catch (error) {
    if (error instanceof InRootError || error instanceof SyntaxError) return null;
    throw error;
  }
}

function listOrEmpty(root: string, path: string): string[] {
  try {
    return listDirInRoot(root, path);
  } catch (error) {
    // The engine's state root exists before its first container does: a missing final directory is empty.
    if (error instanceof InRootError || (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The record of the nested container with this name (Docker names may be given with a leading slash). */
export function findContainerRecord(target: BoxTarget, name: string): ContainerRecord | null {
  const root = boxRoot(target);
  const wanted = name.replace(/^\//, '');
  for (const id of listOrEmpty(root, `${NESTED_STATE_ROOT}/containers`)) {
    if (!HexId.safeParse(id).success) continue;
    const parsed = ContainerRecordSchema.safeParse(
      readJsonInRoot(root, `${NESTED_STATE_ROOT}/containers/${id}/container.json`),
    );
    // A record must sit in the directory named after its own id.
    if (parsed.success && parsed.data.id === id && parsed.data.name.replace(/^\//, '') === wanted) {
      return parsed.data;
    }
  }
  return null;
}

/**
 * Host pid of a nested container's init, from kernel state only: a process of the box's cgroup subtree in a cgroup
 * named after the container id, PID 1 of a pid namespace one level below the box's, whose root is the overlay
 * whose upper dir is that container's. Null when no such process lives (created, exited, or never real).
 */
export function containerInitPid(target: BoxTarget, id: string): number | null {
  const box = readProcess(target.initPid);
  if (!box) return null;
  const level = box.nsPids.length + 1;
  const upper = `${NESTED_STATE_ROOT}/containers/${id}/upper`;
  for (const pid of boxPids(target)) {
    const info = readProcess(pid);
    if (!info || info.nsPids.length !== level || info.nsPids[level - 1] !== 1) continue;
    const inCgroup = [...readProcessCgroups(pid).values()].some((path) => path.split('/').includes(id));
    if (!inCgroup) continue;
    const rootMount = containerRootMount(pid);
    if (rootMount && overlayLayers(rootMount).upper === upper) return pid;
  }
  return null;
}

function containerRootMount(pid: number): MountEntry | undefined {
  try {
    return mountAt(readMountinfo(pid), '/');
  } catch {
    return undefined;
  }
}

/** Image layers (diff ids, bottom first) a running container's root overlay really stacks. */
export function containerLayersFromMounts(pid: number): string[] | null {
  const rootMount = containerRootMount(pid);
  if (rootMount?.fstype !== 'overlay') return null;
  const layers: string[] = [];
  for (const dir of overlayLayers(rootMount).lower) {
    const match = new RegExp(`^${NESTED_STATE_ROOT}/images/layers/([0-9a-f]{64})/diff$`).exec(dir);
    if (!match) return null;
    layers.push(`sha256:${match[1]}`);
  }
  return layers.reverse();
}

/** Whether a container's cgroup is frozen (paused): the v1 freezer's state, or v2's cgroup.events. */
export function isFrozen(pid: number): boolean {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  };
  const freezer = cgroupDirFor(pid, 'freezer');
  if (freezer?.version === 1)
    return (read(join(freezer.dir, 'freezer.state')) ?? 'THAWED').trim() !== 'THAWED';
  const unified = cgroupDirFor(pid, 'memory') ?? cgroupDirFor(pid, 'pids');
  if (unified?.version === 2) return /^frozen 1$/m.test(read(join(unified.dir, 'cgroup.events')) ?? '');
  return false;
}

export const ImageConfigSchema = z
  .object({
    config: z
      .object({
        Cmd: z.array(z.string()).nullish(),
        Entrypoint: z.array(z.string()).nullish(),
        Env: z.array(z.string()).nullish(),
        ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
        User: z.string().nullish(),
        Labels: z.record(z.string(), z.string()).nullish(),
        Healthcheck: z.unknown().optional(),
        OnBuild: z.array(z.string()).nullish(),
      })
      .loose()
      .default({}),
    rootfs: z.object({ diff_ids: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/)) }),
  })
  .loose();
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

export interface VerifiedImage {
  id: string;
  config: ImageConfig;
  /** Sum of the layer tarballs' sizes on disk. */
  size: number;
}

export type ImageLookup =
  | { ok: true; image: VerifiedImage }
  | { ok: false; reason: 'not-found' | 'tampered'; detail: string };

/** Docker's reference normalization, as far as a local store needs it: a missing tag is `latest`. */
export function normalizeRef(ref: string): string {
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || lastSegment.includes('@') ? ref : `${ref}:latest`;
}

function sha256File(root: string, path: string, maxBytes: number): string {
  return createHash('sha256')
    .update(readFileInRoot(root, path, { maxBytes }))
    .digest('hex');
}

/**
 * An image of the nested engine by reference (or id), accepted only if its config still hashes to its id and
 * every layer it names is in the store with a matching digest (recomputed where cheap, else size-checked).
 */
export function lookupImage(target: BoxTarget, ref: string): ImageLookup {
  const root = boxRoot(target);
  const store = `${NESTED_STATE_ROOT}/images`;
  let id: string | undefined;
  const byId = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
  if (byId) id = `sha256:${byId[1]}`;
  else {
    const repositories = z
      .record(z.string(), z.string())
      .safeParse(readJsonInRoot(root, `${store}/repositories.json`));
    id = repositories.success ? repositories.data[normalizeRef(ref)] : undefined;
  }
  const hex = id === undefined ? undefined : /^sha256:([0-9a-f]{64})$/.exec(id)?.[1];
  if (hex === undefined) return { ok: false, reason: 'not-found', detail: `no image ${ref}` };
  const configPath = `${store}/configs/${hex}.json`;
  let configBytes: Buffer;
  try {
    configBytes = readFileInRoot(root, configPath, { maxBytes: RECORD_MAX_BYTES });
  } catch (error) {
    if (error instanceof InRootError)
      return { ok: false, reason: 'not-found', detail: `no config for ${id}` };
    throw error;
  }
  if (createHash('sha256').update(configBytes).digest('hex') !== hex) {
    return { ok: false, reason: 'tampered', detail: `the config of ${ref} does not match its id` };
  }
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(configBytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'tampered', detail: `the config of ${ref} is not JSON` };
  }
  const config = ImageConfigSchema.safeParse(parsedJson);
  if (!config.success) return { ok: false, reason: 'tampered', detail: `the config of ${ref} is malformed` };
  let size = 0;
  for (const diffId of config.data.rootfs.diff_ids) {
    const layerHex = diffId.slice('sha256:'.length);
    const tarPath = `${store}/layers/${layerHex}/layer.tar`;
    const stat = statInRoot(root, tarPath);
    if (!stat?.isFile()) return { ok: false, reason: 'tampered', detail: `layer ${diffId} is missing` };
    if (
      stat.size <= LAYER_REHASH_MAX_BYTES &&
      sha256File(root, tarPath, LAYER_REHASH_MAX_BYTES) !== layerHex
    ) {
      return { ok: false, reason: 'tampered', detail: `layer ${diffId} does not match its digest` };
    }
    size += stat.size;
  }
  return { ok: true, image: { id: `sha256:${hex}`, config: config.data, size } };
}

/** Host pid of a running nested container's init by container name, confirmed by the kernel; else null. */
export function nestedContainerPid(target: BoxTarget, name: string): number | null {
  const record = findContainerRecord(target, name);
  return record ? containerInitPid(target, record.id) : null;
}

const NESTED_RUN_ROOT = '/run/dockyard';

/**
 * The exit code of a nested container whose process is gone. The engine records it in the container's record
 * once its exit cleanup ran; until then (an attached `run` returns first) only dyshim's exit file has it.
 * Neither is kernel state, but the kernel has kept nothing of a process that has been reaped.
 */
export function containerExitCode(target: BoxTarget, record: ContainerRecord): number {
  if (record.state.status === 'exited') return record.state.exitCode;
  const exit = z
    .object({ exitCode: z.number().int() })
    .safeParse(readJsonInRoot(boxRoot(target), `${NESTED_RUN_ROOT}/shim/${record.id}/exit`));
  return exit.success ? exit.data.exitCode : record.state.exitCode;
}
