import { applyChanges, parseChanges } from '../build/changes.js';
import type { Engine } from '../engine.js';
import { packTree } from '../images/pack.js';
import type { ImageConfig } from '../images/types.js';
import { containerChanges } from './diff.js';
import { apiHealthcheck } from './healthcheck.js';
import type { ContainerRecord } from './record.js';
import { rootfsPaths } from './rootfs.js';
import { effectiveState } from './status.js';

export interface CommitOptions {
  ref?: string;
  message?: string;
  author?: string;
  pause?: boolean;
  changes?: string[];
}

/** docker commit: the upper dir becomes a new layer (overlay whiteouts → .wh. files) on top of the image's. */
export async function commitContainer(engine: Engine, ref: string, o: CommitOptions): Promise<string> {
  const rec = await engine.containers.get(ref);
  const changes = parseChanges(o.changes ?? []);
  const state = await effectiveState(engine, rec);
  const pause = o.pause !== false && state.status === 'running';
  if (pause) await engine.runtime.exec(['pause', rec.id]);
  try {
    const diffId = await commitLayer(engine, rec);
    const base = await engine.images.getConfig(rec.imageId);
    const created = new Date().toISOString();
    const cfg = {
      ...(base.config ?? {}),
      Env: rec.config.env,
      Cmd: rec.config.cmd,
      Entrypoint: rec.config.entrypoint,
      WorkingDir: rec.config.workdir === '/' ? '' : rec.config.workdir,
      User: rec.config.user,
      Labels: rec.config.labels,
      ExposedPorts: rec.config.exposedPorts.length
        ? Object.fromEntries(rec.config.exposedPorts.map((p) => [p, {}]))
        : undefined,
      // The container's check (the image's merged with its own), as docker commit keeps it.
      Healthcheck: rec.config.healthcheck ? apiHealthcheck(rec.config.healthcheck) : base.config?.Healthcheck,
    };
    const config: ImageConfig = {
      ...base,
      created,
      author: o.author,
      config: applyChanges(cfg, changes),
      container_config: undefined,
      rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffId] },
      history: [
        ...(base.history ?? []),
        {
          created,
          created_by: [...(rec.config.entrypoint ?? []), ...(rec.config.cmd ?? [])].join(' '),
          comment: o.message,
        },
      ],
    };
    const id = await engine.images.putConfig(Buffer.from(JSON.stringify(config)));
    if (o.ref) await engine.images.tag(id, o.ref);
    return id;
  } finally {
    if (pause) await engine.runtime.exec(['resume', rec.id]);
  }
}

/** Stores a container's changes (its overlay upper dir, whiteouts as `.wh.` files) as a layer; returns the diff id. */
export async function commitLayer(engine: Engine, rec: ContainerRecord): Promise<string> {
  const { excluded } = await containerChanges(engine, rec);
  const upper = rootfsPaths(engine.containers.dir(rec.id)).upper;
  return engine.images.addLayer(
    packTree(upper, { overlayWhiteouts: true, skipRoot: true, exclude: (rel) => excluded.has(`/${rel}`) }),
  );
}
