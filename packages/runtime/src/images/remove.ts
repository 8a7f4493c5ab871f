import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { recordEvent } from '../events.js';
import { normalizeReference } from './reference.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** docker rmi, recording Docker's untag/delete events for what it did. Returns the output lines. */
export async function removeImage(engine: Engine, ref: string, force: boolean): Promise<string[]> {
  const id = await engine.images.require(ref);
  const lines = await removeImageLines(engine, ref, force);
  for (const line of lines) {
    const untagged = /^Untagged: (.+)$/.exec(line)?.[1];
    if (untagged)
      await recordEvent(engine.cfg, {
        Type: 'image',
        Action: 'untag',
        Actor: { ID: id, Attributes: { name: untagged } },
      });
  }
  if (lines.includes(`Deleted: ${id}`))
    await recordEvent(engine.cfg, {
      Type: 'image',
      Action: 'delete',
      Actor: { ID: id, Attributes: { name: id } },
    });
  return lines;
}

/** untag vs delete semantics, refusing images that containers use unless forced. */
async function removeImageLines(engine: Engine, ref: string, force: boolean): Promise<string[]> {
  const id = await engine.images.require(ref);
  const tags = await engine.images.tagsOf(id);
  const byTag = (() => {
    try {
      return tags.includes(normalizeReference(ref));
    } catch {
      return false;
    }
  })();
  const users = (await engine.containers.list()).filter((c) => c.imageId === id);
  const running = users.find((c) => c.state.status === 'running' || c.state.status === 'paused');
  const out: string[] = [];
  if (byTag && (tags.length > 1 || (users.length && force))) {
    // Other names (or a container) still refer to it: only this name goes.
    await engine.images.untag(ref);
    return [`Untagged: ${normalizeReference(ref)}`, ...(await orphanedDigests(engine, id, ref))];
  }
  if (users.length) {
    if (running && (!force || !byTag)) {
      throw new DockyardError(
        `Error response from daemon: conflict: unable to delete ${short(id)} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`,
      );
    }
    if (!force) {
      throw new DockyardError(
        byTag
          ? `Error response from daemon: conflict: unable to remove repository reference "${ref}" (must force) - container ${users[0]?.id.slice(0, 12)} is using its referenced image ${short(id)}`
          : `Error response from daemon: conflict: unable to delete ${short(id)} (must be forced) - image is being used by stopped container ${users[0]?.id.slice(0, 12)}`,
      );
    }
    for (const t of tags) {
      await engine.images.untag(t);
      out.push(`Untagged: ${t}`, ...(await orphanedDigests(engine, id, t)));
    }
    return out;
  }
  if (!byTag && tags.length > 1 && !force) {
    throw new DockyardError(
      `Error response from daemon: conflict: unable to delete ${short(id)} (must be forced) - image is referenced in multiple repositories`,
    );
  }
  for (const t of tags) out.push(`Untagged: ${t}`);
  for (const d of await engine.images.digestsOf(id)) out.push(`Untagged: ${d}`);
  const layers = await engine.images.deleteImage(id);
  out.push(`Deleted: ${id}`);
  for (const l of layers) out.push(`Deleted: ${l}`);
  return out;
}

/** docker image prune: images without a tag that no container uses. */
export async function pruneImages(engine: Engine, all: boolean): Promise<string[]> {
  const used = new Set((await engine.containers.list()).map((c) => c.imageId));
  const out: string[] = [];
  for (const img of await engine.images.list()) {
    if (used.has(img.id) || (!all && img.tags.length)) continue;
    for (const t of img.tags) {
      await engine.images.untag(t);
      out.push(`untagged: ${t}`);
    }
    await engine.images.deleteImage(img.id);
    await recordEvent(engine.cfg, {
      Type: 'image',
      Action: 'delete',
      Actor: { ID: img.id, Attributes: { name: img.id } },
    });
    out.push(`deleted: ${img.id}`);
  }
  return out;
}

/** Like dockerd: once a repository has no tag left on the image, its digest references go too. */
async function orphanedDigests(engine: Engine, id: string, untagged: string): Promise<string[]> {
  const norm = normalizeReference(untagged);
  const repo = norm.slice(0, norm.lastIndexOf(':'));
  const tags = await engine.images.tagsOf(id);
  if (tags.some((t) => t.slice(0, t.lastIndexOf(':')) === repo)) return [];
  const digests = (await engine.images.digestsOf(id)).filter((d) => d.slice(0, d.indexOf('@')) === repo);
  return (await engine.images.removeRepoDigests(digests)).map((d) => `Untagged: ${d}`);
}
