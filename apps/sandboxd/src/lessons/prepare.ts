import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { statInRoot, writeFileInRoot } from '@dockyard/grader';
import { loadLesson } from '@dockyard/lessons';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BoxManager, BoxRecord } from '../boxes/manager.js';

/** Where a box gets its lesson: `files/` goes to `<dir>/files`, and `lab.setup` runs as `bash <dir>/<setup>`. */
export const LESSON_BOX_DIR = '/opt/lesson';

const LESSON_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MAX_FILE_BYTES = 16 * 2 ** 20;
const MAX_TOTAL_BYTES = 64 * 2 ** 20;
const MAX_ENTRIES = 2000;
/** The tail of a setup's output kept for the operator log. */
const MAX_OUTPUT_BYTES = 64 * 1024;
const MARKER = 'lesson.json';

const markerSchema = z.object({
  lesson: z.string(),
  setup: z.enum(['none', 'ok', 'failed']),
  preparedAt: z.string(),
});
export type LessonMarker = z.infer<typeof markerSchema>;

export interface Preparation extends LessonMarker {
  /** False when the box already had this lesson and nothing was done. */
  fresh: boolean;
  /** Setup's exit status (-1: it did not finish, e.g. timed out), when it ran. */
  exitCode?: number;
  /** Why it failed, in words for the operator. */
  error?: string;
  /** The tail of setup's output (for the operator log). */
  output?: string;
}

export class LessonPrepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LessonPrepError';
  }
}

/**
 * A lesson's folder for an id from a token: a kebab id whose real path stays inside one of the lesson roots.
 * `lessonsDir` is a search path like PATH (`/srv/course:/var/lib/dockyard/web/lessons-published`): the first
 * root holding the lesson wins, so the course and lessons instructors published are both found.
 */
export async function resolveLessonDir(lessonsDir: string, lessonId: string): Promise<string> {
  if (lessonId.length > 100 || !LESSON_ID.test(lessonId)) {
    throw new LessonPrepError(`invalid lesson id: ${JSON.stringify(lessonId.slice(0, 100))}`);
  }
  const roots = lessonsDir.split(':').filter(Boolean);
  for (const candidate of roots) {
    let root: string;
    let dir: string;
    try {
      root = await realpath(candidate);
      dir = await realpath(join(root, lessonId));
    } catch {
      continue;
    }
    if (!dir.startsWith(root + sep)) throw new LessonPrepError(`lesson ${lessonId} lies outside ${root}`);
    return dir;
  }
  throw new LessonPrepError(`no lesson ${lessonId} in ${roots.join(', ')}`);
}

interface LessonFile {
  /** Path relative to files/. */
  rel: string;
  type: 'dir' | 'file';
  mode: number;
}

/** Everything under `dir` (directories before their contents), never following a symlink. */
async function listTree(dir: string, log: Logger): Promise<LessonFile[]> {
  const out: LessonFile[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stats = await lstat(join(dir, path));
      if (out.length >= MAX_ENTRIES) throw new LessonPrepError(`more than ${MAX_ENTRIES} lesson files`);
      if (stats.isDirectory()) {
        out.push({ rel: path, type: 'dir', mode: stats.mode & 0o777 });
        await walk(path);
      } else if (stats.isFile()) {
        out.push({ rel: path, type: 'file', mode: stats.mode & 0o777 });
      } else {
        log.warn({ file: join(dir, path) }, 'lesson file that is not a regular file or directory not copied');
      }
    }
  };
  await walk('');
  return out;
}

/**
 * Makes a box ready for a student's lesson, once per box and lesson: the lesson's `files/` (never its solutions
 * or checks) copied to /opt/lesson/files (replacing another lesson's), then `lab.setup` run as the box's root.
 * Which lesson a box has is kept in its state dir, so it survives a sandboxd restart.
 */
export class LessonPreparer {
  private readonly running = new Map<string, Promise<Preparation>>();

  constructor(
    private readonly boxes: BoxManager,
    private readonly opts: { lessonsDir: string; setupTimeoutMs: number },
    private readonly log: Logger,
  ) {}

  private markerFile(boxId: string) {
    return join(this.boxes.stateDir(boxId), MARKER);
  }

  /** The lesson a box was last prepared for, if any. */
  prepared(boxId: string): LessonMarker | null {
    const file = this.markerFile(boxId);
    if (!existsSync(file)) return null;
    try {
      const parsed = markerSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** Prepares the box for the lesson unless it already is; several callers for one box take turns. */
  prepare(box: BoxRecord, lessonId: string): Promise<Preparation> {
    const before = this.running.get(box.id) ?? Promise.resolve(null);
    const next = before
      .catch(() => null)
      .then(() => this.prepareNow(box, lessonId))
      .finally(() => {
        if (this.running.get(box.id) === next) this.running.delete(box.id);
      });
    this.running.set(box.id, next);
    return next;
  }

  private async prepareNow(box: BoxRecord, lessonId: string): Promise<Preparation> {
    const done = this.prepared(box.id);
    if (done?.lesson === lessonId) return { ...done, fresh: false };
    // Gone while preparing: a crash half-way prepares again next time.
    rmSync(this.markerFile(box.id), { force: true });
    const started = Date.now();
    const result = await this.copyAndSetup(box, lessonId).catch(
      (error): Omit<Preparation, 'preparedAt' | 'lesson' | 'fresh'> => ({
        setup: 'failed',
        error: (error as Error).message,
      }),
    );
    const marker: LessonMarker = {
      lesson: lessonId,
      setup: result.setup,
      preparedAt: new Date().toISOString(),
    };
    writeFileSync(this.markerFile(box.id), JSON.stringify(marker));
    const entry = { box: box.id, lesson: lessonId, ms: Date.now() - started, ...result };
    if (result.setup === 'failed') this.log.warn(entry, 'lesson preparation failed');
    else this.log.info(entry, 'lesson prepared');
    return { ...marker, ...result, fresh: true };
  }

  private async copyAndSetup(
    box: BoxRecord,
    lessonId: string,
  ): Promise<Pick<Preparation, 'setup' | 'exitCode' | 'error' | 'output'>> {
    const dir = await resolveLessonDir(this.opts.lessonsDir, lessonId);
    const lesson = await loadLesson(dir);
    const filesDir = join(dir, 'files');
    const entries = existsSync(filesDir) ? await listTree(filesDir, this.log) : [];
    const boxFiles = `${LESSON_BOX_DIR}/files`;
    // Directories are made by the box's own root, inside the box: nothing it has placed there can lead outside.
    // A box without lesson files needs nothing for a lesson without files (keeps "Start lab" fast).
    const root = `/proc/${box.pid}/root`;
    const present = (() => {
      try {
        return statInRoot(root, boxFiles, { follow: false }) !== null;
      } catch {
        return true;
      }
    })();
    if (entries.length > 0 || present) {
      await this.boxes.exec(
        box.id,
        [
          'sh',
          '-c',
          'rm -rf -- "$1" && mkdir -p -- "$@"',
          'sh',
          boxFiles,
          ...entries.filter((e) => e.type === 'dir').map((e) => `${boxFiles}/${e.rel}`),
        ],
        { timeoutMs: 60_000 },
      );
    }
    // Contents are written from the host, resolved inside the box's root, owned by the box's root.
    let total = 0;
    for (const entry of entries.filter((e) => e.type === 'file')) {
      const data = await readFile(join(filesDir, entry.rel));
      total += data.byteLength;
      if (total > MAX_TOTAL_BYTES) throw new LessonPrepError(`lesson files exceed ${MAX_TOTAL_BYTES} bytes`);
      writeFileInRoot(root, `${boxFiles}/${entry.rel}`, data, {
        maxBytes: MAX_FILE_BYTES,
        owner: { uid: box.idBase, gid: box.idBase },
        mode: entry.mode,
      });
    }
    if (!lesson.lab.setup) return { setup: 'none' };
    // Output goes to a file, not the exec pipe, so daemons the setup leaves running cannot hold it open.
    const script =
      'cd /root; out=$(mktemp /tmp/.dy-setup.XXXXXX); bash "$1" >"$out" 2>&1 </dev/null; status=$?; ' +
      `tail -c ${MAX_OUTPUT_BYTES} "$out"; rm -f "$out"; echo "__status=$status"`;
    let text: string;
    try {
      text = await this.boxes.exec(
        box.id,
        ['bash', '-c', script, 'bash', `${LESSON_BOX_DIR}/${lesson.lab.setup}`],
        { timeoutMs: this.opts.setupTimeoutMs },
      );
    } catch (error) {
      return { setup: 'failed', exitCode: -1, error: `setup did not finish: ${(error as Error).message}` };
    }
    const match = /__status=(\d+)\n?$/.exec(text);
    const exitCode = match ? Number(match[1]) : -1;
    const output = match ? text.slice(0, match.index) : text;
    return exitCode === 0
      ? { setup: 'ok', exitCode, output }
      : { setup: 'failed', exitCode, output, error: `setup exited ${exitCode}` };
  }
}
