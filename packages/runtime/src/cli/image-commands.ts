import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { parseChanges } from '../build/changes.js';
import { DockyardError } from '../errors.js';
import { recordEvent } from '../events.js';
import { loadImages, saveImages } from '../images/archive.js';
import { importBaseImage, importTarball, openInput } from '../images/import.js';
import { intermediateImageIds } from '../images/intermediate.js';
import { type ProgressMessage, pullAllTags, pullImage } from '../images/pull.js';
import { pushImage } from '../images/push.js';
import { normalizeReference } from '../images/reference.js';
import { authFromDockerConfig, RegistryError } from '../images/registry.js';
import { fullName, parseRemoteReference } from '../images/registry-reference.js';
import { searchRegistry } from '../images/registry-search.js';
import { pruneImages, removeImage } from '../images/remove.js';
import { withLock } from '../state/lock.js';
import { collect, confirm, err, exit, getEngine, out, verb } from './common.js';
import { ago, formatRows, humanSize, table } from './format.js';
import { inspectObjects } from './inspect-command.js';

const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export function registerImageCommands(parent: Command, grouped: boolean): void {
  const engine = getEngine;

  verb(parent, grouped ? 'ls' : 'images', 'List images')
    .aliases(grouped ? ['list'] : [])
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('-q, --quiet', 'Only show image IDs')
    .option('--no-trunc', "Don't truncate output")
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .argument('[repository[:tag]]')
    .action(
      async (
        repo: string | undefined,
        f: {
          quiet?: boolean;
          trunc: boolean;
          filter: string[];
          format?: string;
          digests?: boolean;
          all?: boolean;
        },
      ) => {
        let images = await engine().images.list();
        if (!f.all) {
          const hidden = intermediateImageIds(images);
          images = images.filter((img) => !hidden.has(img.id));
        }
        const dangling = f.filter.find((x) => x.startsWith('dangling='))?.split('=')[1];
        const rows: Record<string, string>[] = [];
        for (const img of images) {
          if (dangling === 'true' && img.tags.length) continue;
          if (dangling === 'false' && !img.tags.length) continue;
          const id = f.trunc ? shortId(img.id) : img.id;
          const base = {
            ID: id,
            CreatedSince: ago(img.created),
            CreatedAt: img.created,
            Size: humanSize(img.size),
            Digest: '<none>',
          };
          const tags = img.tags.length ? img.tags : ['<none>:<none>'];
          for (const t of tags) {
            const colon = t.lastIndexOf(':');
            const repository = t.slice(0, colon);
            const digest = img.digests.find((d) => d.slice(0, d.indexOf('@')) === repository);
            const row = {
              ...base,
              Repository: repository,
              Tag: t.slice(colon + 1),
              Digest: digest ? digest.slice(digest.indexOf('@') + 1) : '<none>',
            };
            if (
              repo &&
              !(row.Repository === repo || `${row.Repository}:${row.Tag}` === normalizeReference(repo))
            )
              continue;
            rows.push(row);
          }
        }
        if (f.quiet) {
          for (const id of [...new Set(rows.map((r) => r.ID))]) out(id as string);
          return;
        }
        const fmt =
          f.format ??
          (f.digests
            ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
            : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}');
        out(
          formatRows(fmt, rows, {
            Repository: 'REPOSITORY',
            Tag: 'TAG',
            ID: 'IMAGE ID',
            CreatedSince: 'CREATED',
            CreatedAt: 'CREATED AT',
            Size: 'SIZE',
            Digest: 'DIGEST',
          }),
        );
      },
    );

  verb(parent, grouped ? 'rm' : 'rmi', 'Remove one or more images')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .argument('<images...>')
    .action(async (refs: string[], f: { force?: boolean }) => {
      let failed = false;
      for (const ref of refs) {
        try {
          for (const line of await removeImage(engine(), ref, !!f.force)) out(line);
        } catch (e) {
          err((e as Error).message);
          failed = true;
        }
      }
      if (failed) exit.code = 1;
    });

  verb(parent, 'tag', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>')
    .argument('<target>')
    .action(async (src: string, target: string) => {
      const id = await engine().images.require(src);
      await engine().images.tag(id, target);
      await recordEvent(engine().cfg, {
        Type: 'image',
        Action: 'tag',
        Actor: { ID: id, Attributes: { name: normalizeReference(target) } },
      });
    });

  verb(parent, 'import', 'Import the contents from a tarball to create a filesystem image')
    .option('-c, --change <list>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <string>', 'Set commit message for imported image')
    .argument('<file|->')
    .argument('[repository[:tag]]')
    .action(async (file: string, ref: string | undefined, f: { change: string[]; message?: string }) => {
      const changes = parseChanges(f.change);
      if (ref) normalizeReference(ref);
      const id = await importTarball(engine().images, await openInput(file), {
        ref,
        message: f.message,
        changes,
      });
      await recordEvent(engine().cfg, {
        Type: 'image',
        Action: 'import',
        Actor: { ID: id, Attributes: { name: ref ? normalizeReference(ref) : id } },
      });
      out(id);
    });

  verb(parent, 'save', 'Save one or more images to a tar archive (streamed to STDOUT by default)')
    .option('-o, --output <string>', 'Write to a file, instead of STDOUT')
    .argument('<images...>')
    .action(async (refs: string[], f: { output?: string }) => {
      if (!f.output && process.stdout.isTTY) {
        throw new DockyardError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
      }
      const e = engine();
      const byId = new Map<string, string[]>();
      for (const r of refs) {
        const id = await e.images.require(r);
        const tags = byId.get(id) ?? [];
        const isId =
          /^(sha256:)?[0-9a-f]{6,64}$/.test(r) &&
          !(await e.images.tagsOf(id)).includes(normalizeReference(r));
        if (!isId) tags.push(normalizeReference(r));
        byId.set(id, tags);
      }
      const stream = saveImages(
        e.images,
        [...byId].map(([id, tags]) => ({ id, tags })),
      );
      const dest = f.output ? createWriteStream(f.output) : process.stdout;
      const { pipeline } = await import('node:stream/promises');
      await pipeline(stream, dest);
      for (const id of byId.keys())
        await recordEvent(e.cfg, {
          Type: 'image',
          Action: 'save',
          Actor: { ID: id, Attributes: { name: id } },
        });
    });

  verb(parent, 'load', 'Load an image from a tar archive or STDIN')
    .option('-i, --input <string>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (f: { input?: string; quiet?: boolean }) => {
      if (!f.input && process.stdin.isTTY) {
        throw new DockyardError('requested load from stdin, but stdin is empty', 1);
      }
      const lines = await loadImages(engine().images, await openInput(f.input));
      for (const l of lines) {
        const name = l.replace(/^Loaded image( ID)?: /, '');
        await recordEvent(engine().cfg, {
          Type: 'image',
          Action: 'load',
          Actor: { ID: name, Attributes: { name } },
        });
      }
      if (!f.quiet) for (const l of lines) out(l);
    });

  verb(parent, 'history', 'Show the history of an image')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .option('-H, --human <bool>', 'Print sizes and dates in human readable format', 'true')
    .argument('<image>')
    .action(async (ref: string, f: { trunc: boolean; quiet?: boolean }) => {
      const e = engine();
      const id = await e.images.require(ref);
      const c = await e.images.getConfig(id);
      const history: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[] = c
        .history?.length
        ? c.history
        : c.rootfs.diff_ids.map(() => ({ created: c.created, created_by: '' }));
      const layers = [...c.rootfs.diff_ids];
      const rows: string[][] = [];
      for (const [i, h] of history.entries()) {
        const layer = h.empty_layer ? undefined : layers.shift();
        const size = layer ? ((await e.images.layerMeta(layer))?.size ?? 0) : 0;
        const createdBy = h.created_by ?? '';
        rows.push([
          '<missing>',
          h.created ? ago(h.created) : '',
          f.trunc && createdBy.length > 45 ? `${createdBy.slice(0, 44)}…` : createdBy,
          humanSize(size),
          h.comment ?? '',
          String(i),
        ]);
      }
      rows.reverse();
      if (rows[0]) rows[0][0] = f.trunc ? shortId(id) : id;
      if (f.quiet) {
        for (const r of rows) out(r[0] as string);
        return;
      }
      out(table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...rows.map((r) => r.slice(0, 5))]));
    });

  verb(parent, 'pull', 'Download an image from a registry')
    .option('-a, --all-tags', 'Download all tagged images in the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .argument('<name[:tag|@digest]>')
    .action(async (ref: string, f: { quiet?: boolean; allTags?: boolean }) => {
      const r = registryRef(ref);
      if (f.allTags) {
        if (r.tag || r.digest) throw new DockyardError("tag can't be used with --all-tags/-a", 1);
        await registryCall(async () =>
          pullAllTags(engine(), ref, {
            auth: await authFromDockerConfig(r.domain),
            progress: f.quiet ? undefined : printProgress,
          }),
        );
        out(fullName(r));
        return;
      }
      if (!r.tag && !r.digest && !f.quiet) out('Using default tag: latest');
      const result = await registryCall(async () =>
        pullImage(engine(), ref, {
          auth: await authFromDockerConfig(r.domain),
          progress: f.quiet ? undefined : printProgress,
        }),
      );
      out(result.fullName);
    });

  verb(parent, 'push', 'Upload an image to a registry')
    .option('-a, --all-tags', 'Push all tagged images in the repository')
    .option('-q, --quiet', 'Suppress verbose output')
    .argument('<name[:tag]>')
    .action(async (ref: string, f: { quiet?: boolean; allTags?: boolean }) => {
      const r = registryRef(ref);
      if (r.digest) throw new DockyardError('cannot push a digest reference', 1);
      if (r.tag && f.allTags) throw new DockyardError("tag can't be used with --all-tags/-a", 1);
      let tag = r.tag;
      if (!tag && !f.allTags) {
        if (!f.quiet) out('Using default tag: latest');
        tag = 'latest';
      }
      const name = r.tag ? ref.slice(0, ref.lastIndexOf(':')) : ref;
      const results = await registryCall(async () =>
        pushImage(engine(), name, tag, {
          auth: await authFromDockerConfig(r.domain),
          progress: f.quiet ? undefined : printProgress,
        }),
      );
      if (f.quiet) for (const p of results) out(`${name}:${p.tag}`);
    });

  if (!grouped) {
    verb(parent, 'search', 'Search a registry for images')
      .option('--limit <int>', 'Max number of search results', '25')
      .option('--no-trunc', "Don't truncate output")
      .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
      .option('--format <string>', 'Pretty-print search using a Go template')
      .argument('<term>')
      .action(async (term: string, f: { limit: string; format?: string }) => {
        const limit = Number(f.limit);
        const results = await registryCall(() => searchRegistry(term, limit));
        const rows = results.map((s) => ({
          Name: s.name,
          Description: s.description,
          StarCount: String(s.star_count),
          IsOfficial: s.is_official ? '[OK]' : '',
          IsAutomated: s.is_automated ? '[OK]' : '',
        }));
        const fmt =
          f.format ?? 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}';
        out(
          formatRows(fmt, rows, {
            Name: 'NAME',
            Description: 'DESCRIPTION',
            StarCount: 'STARS',
            IsOfficial: 'OFFICIAL',
            IsAutomated: 'AUTOMATED',
          }),
        );
      });
  }

  if (!grouped) return;

  verb(parent, 'inspect', 'Display detailed information on one or more images')
    .option('-f, --format <string>', 'Format output using a custom template')
    .argument('<images...>')
    .action(async (refs: string[], f: { format?: string }) => inspectObjects(refs, 'image', f.format));

  verb(parent, 'prune', 'Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values', collect, [])
    .action(async (f: { all?: boolean; force?: boolean }) => {
      if (
        !f.force &&
        !(await confirm('WARNING! This will remove all dangling images.\nAre you sure you want to continue?'))
      )
        return;
      const lines = await pruneImages(engine(), !!f.all);
      if (lines.length) out(`Deleted Images:\n${lines.join('\n')}\n`);
      out('Total reclaimed space: 0B');
    });

  verb(parent, 'import-base', 'Build (from Debian packages) and import a base image: busybox or debian')
    .argument('<name>')
    .action(async (name: string) => {
      const id = await withLock(engine().cfg.root, `base-image-${name}`, () =>
        importBaseImage(engine().images, name),
      );
      out(id);
    });
}

function registryRef(ref: string) {
  try {
    return parseRemoteReference(ref);
  } catch (e) {
    throw new DockyardError((e as Error).message, 1);
  }
}

/** Registry failures print like the docker CLI's: "Error response from daemon: …", exit 1. */
async function registryCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RegistryError) throw new DockyardError(`Error response from daemon: ${e.message}`, 1);
    if (e instanceof DockyardError && !e.message.startsWith('Error response from daemon:'))
      throw new DockyardError(`Error response from daemon: ${e.message}`, 1, e.code);
    throw e;
  }
}

/** The docker CLI's progress output when stdout is not a terminal: one line per status, byte counters left out. */
function printProgress(m: ProgressMessage): void {
  if (m.aux || !m.status) return;
  if (m.progressDetail?.current !== undefined) return;
  out(m.id ? `${m.id}: ${m.status}` : m.status);
}
