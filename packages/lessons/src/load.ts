// Loading one lesson folder (with every per-lesson lint rule) and a whole course folder (with cross-lesson rules).
import { createHash } from 'node:crypto';
import { access, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { prepareMarkdown, sanitizeDiff, toHastStages } from './markdown.js';
import { checkParity } from './parity.js';
import { LOCALES, type Locale, lessonYamlSchema, TOPICS } from './schema.js';
import type { Lesson, LessonMarkdown, LintIssue, MarkdownOutline } from './types.js';
import { parseYamlSource, zodIssuesToLint } from './yaml-source.js';

export interface LessonResult {
  /** Undefined when lesson.yaml or a Markdown file could not be read or validated. */
  lesson?: Lesson;
  issues: LintIssue[];
}

export class LessonError extends Error {
  constructor(readonly issues: LintIssue[]) {
    super(`lesson has ${issues.length} error(s):\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'LessonError';
  }
}

export function formatIssue(i: LintIssue): string {
  return `${i.file}:${i.line}${i.column ? `:${i.column}` : ''}: ${i.rule}: ${i.message}`;
}

interface CheckedMarkdown {
  outline: MarkdownOutline;
  issues: LintIssue[];
}

// Parsing and the sanitize comparison are the slow part of loading; the app reloads unchanged lessons often.
const markdownCache = new Map<string, CheckedMarkdown>();
const MARKDOWN_CACHE_MAX = 500;

function checkMarkdown(source: string, file: string, locale: Locale): CheckedMarkdown {
  const key = createHash('sha256').update(`${file}\0${locale}\0${source}`).digest('hex');
  const hit = markdownCache.get(key);
  if (hit) return structuredClone(hit);
  const prepared = prepareMarkdown(source, file, locale);
  const checked = {
    outline: prepared.outline,
    issues: [...prepared.issues, ...sanitizeDiff(toHastStages(prepared.mdast), file)],
  };
  if (markdownCache.size >= MARKDOWN_CACHE_MAX)
    markdownCache.delete(markdownCache.keys().next().value as string);
  markdownCache.set(key, structuredClone(checked));
  return checked;
}

/** 'ok' for a regular file whose real path is inside the lesson folder. */
async function lessonFileState(root: string, relPath: string): Promise<'ok' | 'missing' | 'escapes'> {
  let real: string;
  try {
    real = await realpath(path.join(root, relPath));
  } catch {
    return 'missing';
  }
  if (!real.startsWith(root + path.sep)) return 'escapes';
  return (await stat(real)).isFile() ? 'ok' : 'missing';
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/**
 * Reads and checks one lesson folder. Issue paths are relative to the folder's parent
 * (e.g. `pid-namespace/lesson.yaml`).
 */
export async function readLesson(dir: string): Promise<LessonResult> {
  const abs = path.resolve(dir);
  const folder = path.basename(abs);
  const rel = (p: string) => toPosix(path.join(folder, p));
  const yamlFile = rel('lesson.yaml');
  const issues: LintIssue[] = [];
  let root: string;
  try {
    root = await realpath(abs);
  } catch {
    return { issues: [{ file: yamlFile, line: 1, rule: 'missing-file', message: `${dir} does not exist` }] };
  }
  // Uploaded folders may hold links: never read a lesson file from outside the folder.
  const readInside = async (name: string): Promise<string | undefined> => {
    const state = await lessonFileState(root, name);
    if (state === 'escapes')
      issues.push({
        file: rel(name),
        line: 1,
        rule: 'file-escape',
        message: `${name} is a link to somewhere outside the lesson folder`,
      });
    return state === 'ok' ? readFile(path.join(root, name), 'utf8') : undefined;
  };

  const yamlText = await readInside('lesson.yaml');
  if (yamlText === undefined) {
    if (!issues.length)
      issues.push({ file: yamlFile, line: 1, rule: 'missing-file', message: 'lesson.yaml is missing' });
    return { issues };
  }
  const src = parseYamlSource(yamlText, yamlFile);
  issues.push(...src.issues);

  const md: Partial<Record<Locale, { file: string; source: string; outline: MarkdownOutline }>> = {};
  for (const locale of LOCALES) {
    const file = rel(`${locale}.md`);
    const source = await readInside(`${locale}.md`);
    if (source === undefined) {
      if (issues.some((i) => i.file === file && i.rule === 'file-escape')) continue;
      issues.push({
        file,
        line: 1,
        rule: 'missing-file',
        message: `${locale}.md is missing: every lesson exists in zh-CN and en`,
      });
      continue;
    }
    const checked = checkMarkdown(source, file, locale);
    issues.push(...checked.issues);
    md[locale] = { file, source, outline: checked.outline };
  }

  if (src.value === undefined) return { issues };
  const parsed = lessonYamlSchema.safeParse(src.value);
  if (!parsed.success) {
    issues.push(...zodIssuesToLint(src, parsed.error.issues));
    return { issues };
  }
  const meta = parsed.data;
  if (meta.id !== folder)
    issues.push({
      file: yamlFile,
      ...src.position(['id']),
      rule: 'folder-id-mismatch',
      message: `lesson id "${meta.id}" must equal its folder name "${folder}"`,
    });

  // Step ids in lesson.yaml.
  const seen = new Map<string, number>();
  meta.steps.forEach((step, i) => {
    const pos = src.position(['steps', i, 'id']);
    const first = seen.get(step.id);
    if (first !== undefined)
      issues.push({
        file: yamlFile,
        ...pos,
        rule: 'duplicate-step-id',
        message: `step "${step.id}" already defined at line ${first}`,
      });
    else seen.set(step.id, pos.line);
  });

  // Files referenced from lesson.yaml, and a reference solution per non-quiz step. They run as root (in the box
  // or on the host), so they must be regular files that really live inside the lesson folder.
  const fileIssue = async (relPath: string, what: string, at: { line: number; column?: number }) => {
    const state = await lessonFileState(root, relPath);
    if (state === 'ok') return;
    issues.push(
      state === 'escapes'
        ? {
            file: yamlFile,
            ...at,
            rule: 'file-escape',
            message: `${what} "${relPath}" is a link to somewhere outside the lesson folder`,
          }
        : {
            file: yamlFile,
            ...at,
            rule: what === 'solution' ? 'missing-solution' : 'missing-file',
            message:
              what === 'solution'
                ? `step has no reference solution ${relPath}`
                : `${what} "${relPath}" does not exist in the lesson folder`,
          },
    );
  };
  if (meta.lab.setup) await fileIssue(meta.lab.setup, 'setup script', src.position(['lab', 'setup']));
  const checkIds = new Map<string, number>();
  for (const [si, step] of meta.steps.entries()) {
    for (const [ci, check] of step.checks.entries()) {
      if (check.kind === 'script')
        await fileIssue(check.file, 'script', src.position(['steps', si, 'checks', ci, 'file']));
      if (check.id) {
        const pos = src.position(['steps', si, 'checks', ci, 'id']);
        const first = checkIds.get(check.id);
        if (first !== undefined)
          issues.push({
            file: yamlFile,
            ...pos,
            rule: 'duplicate-check-id',
            message: `check id "${check.id}" is already used at line ${first}`,
          });
        else checkIds.set(check.id, pos.line);
      }
    }
    const quizOnly = step.checks.every((c) => c.kind === 'quiz');
    if (!quizOnly) await fileIssue(`solutions/${step.id}.sh`, 'solution', src.position(['steps', si, 'id']));
  }
  if (await exists(path.join(abs, 'solutions'))) {
    for (const name of await readdir(path.join(abs, 'solutions'))) {
      const stepId = name.replace(/\.sh$/, '');
      if (!name.endsWith('.sh') || !seen.has(stepId))
        issues.push({
          file: rel(`solutions/${name}`),
          line: 1,
          rule: 'orphan-solution',
          message: `solutions/${name} does not belong to any step of lesson.yaml`,
        });
    }
  }

  const zh = md['zh-CN'];
  const en = md.en;
  if (zh && en)
    issues.push(
      ...checkParity({
        yamlFile,
        steps: meta.steps,
        stepPosition: (i) => src.position(['steps', i, 'id']),
        checkPosition: (si, ci) => src.position(['steps', si, 'checks', ci, 'question']),
        zh: { file: zh.file, outline: zh.outline },
        en: { file: en.file, outline: en.outline },
      }),
    );
  if (!zh || !en) return { issues };

  const markdown = Object.fromEntries(
    [zh, en].map((m, i) => [
      LOCALES[i],
      { file: m.file, source: m.source, outline: m.outline } satisfies LessonMarkdown,
    ]),
  ) as Record<Locale, LessonMarkdown>;
  const hash = createHash('sha256');
  for (const part of [yamlText, zh.source, en.source]) hash.update(part).update('\0');
  // Scripts that grade or set up the lab change the lesson as much as its text does.
  const scripts = [
    meta.lab.setup,
    ...meta.steps.flatMap((s) => s.checks.map((c) => (c.kind === 'script' ? c.file : undefined))),
    ...meta.steps.map((s) => `solutions/${s.id}.sh`),
  ].filter((p): p is string => p !== undefined);
  for (const rel of [...new Set(scripts)].sort()) {
    if ((await lessonFileState(root, rel)) !== 'ok') continue;
    hash
      .update(rel)
      .update('\0')
      .update(await readFile(path.join(root, rel)))
      .update('\0');
  }
  const lesson: Lesson = {
    ...meta,
    dir: abs,
    markdown,
    hash: hash.digest('hex'),
  };
  return { lesson, issues };
}

/** Loads one lesson folder; throws LessonError listing every problem if it is not valid. */
/**
 * Loads one lesson folder. Throws LessonError when the lesson cannot be built (lesson.yaml invalid, a Markdown
 * file missing); with `strict`, on any lint issue.
 */
export async function loadLesson(dir: string, options: { strict?: boolean } = {}): Promise<Lesson> {
  const { lesson, issues } = await readLesson(dir);
  if (!lesson || (options.strict && issues.length)) throw new LessonError(issues);
  return lesson;
}

export interface Course {
  /** Lessons that parsed (see errors for what is wrong with them), ordered so that every lesson comes after the ones it requires, then by topic and level. */
  lessons: Lesson[];
  errors: LintIssue[];
}

/** Loads every lesson folder under rootDir (folders holding lesson.yaml, zh-CN.md or en.md). */
export async function loadCourse(rootDir: string): Promise<Course> {
  const root = path.resolve(rootDir);
  const entries = await readdir(root, { withFileTypes: true });
  const dirs: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const d = path.join(root, e.name);
    const marker = await Promise.all(
      ['lesson.yaml', 'zh-CN.md', 'en.md'].map((f) => exists(path.join(d, f))),
    );
    if (marker.some(Boolean)) dirs.push(d);
  }
  const results = await Promise.all(dirs.map(readLesson));
  const errors = results.flatMap((r) => r.issues);
  const byId = new Map<string, Lesson>();
  const positions = new YamlPositions();
  for (const { lesson } of results) {
    if (!lesson) continue;
    const other = byId.get(lesson.id);
    if (other) {
      errors.push({
        ...(await positions.at(lesson, ['id'])),
        rule: 'duplicate-lesson-id',
        message: `lesson id "${lesson.id}" is also used by ${path.basename(other.dir)}/`,
      });
      continue;
    }
    byId.set(lesson.id, lesson);
  }
  // A folder that exists but does not load has its own errors; requiring it is not a second one.
  const broken = new Set(dirs.filter((_, i) => !results[i]?.lesson).map((d) => path.basename(d)));
  errors.push(...(await requiresIssues([...byId.values()], byId, positions, broken)));
  // Lessons with lint errors still load when their yaml and Markdown parse: rendering is safe regardless,
  // and CI's lint is the gate.
  return { lessons: orderLessons([...byId.values()]), errors };
}

/** Source positions in lesson.yaml for rules that run after loading. */
class YamlPositions {
  private readonly cache = new Map<string, ReturnType<typeof parseYamlSource>>();
  async at(l: Lesson, yamlPath: PropertyKey[]): Promise<{ file: string; line: number; column: number }> {
    let src = this.cache.get(l.dir);
    if (!src) {
      const file = `${path.basename(l.dir)}/lesson.yaml`;
      src = parseYamlSource(await readFile(path.join(l.dir, 'lesson.yaml'), 'utf8'), file);
      this.cache.set(l.dir, src);
    }
    return { file: src.file, ...src.position(yamlPath) };
  }
}

async function requiresIssues(
  lessons: Lesson[],
  byId: Map<string, Lesson>,
  positions: YamlPositions,
  broken: Set<string>,
): Promise<LintIssue[]> {
  const issues: LintIssue[] = [];
  const posOf = (l: Lesson, i: number) => positions.at(l, ['requires', i]);
  for (const l of lessons)
    for (const [i, req] of l.requires.entries())
      if (!byId.has(req) && !broken.has(req))
        issues.push({
          ...(await posOf(l, i)),
          rule: 'requires-unknown',
          message: `requires unknown lesson "${req}"`,
        });

  // Cycles: depth-first search, report each cycle once at the edge that closes it.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = async (id: string): Promise<void> => {
    state.set(id, 'visiting');
    stack.push(id);
    const l = byId.get(id) as Lesson;
    for (const [i, req] of l.requires.entries()) {
      if (!byId.has(req)) continue;
      if (state.get(req) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(req)), req];
        const key = [...cycle.slice(0, -1)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          issues.push({
            ...(await posOf(l, i)),
            rule: 'requires-cycle',
            message: `requires cycle: ${cycle.join(' → ')}`,
          });
        }
      } else if (!state.has(req)) await visit(req);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const l of lessons) if (!state.has(l.id)) await visit(l.id);
  return issues;
}

/** Kahn's algorithm; among lessons whose requirements are met, the earliest topic, then level, then id. */
export function orderLessons(lessons: Lesson[]): Lesson[] {
  const ids = new Set(lessons.map((l) => l.id));
  const pending = new Map(lessons.map((l) => [l.id, new Set(l.requires.filter((r) => ids.has(r)))]));
  const rank = (l: Lesson) => [TOPICS.indexOf(l.topic), l.level] as const;
  const cmp = (a: Lesson, b: Lesson) => {
    const [ta, la] = rank(a);
    const [tb, lb] = rank(b);
    return ta - tb || la - lb || a.id.localeCompare(b.id);
  };
  const out: Lesson[] = [];
  const ready = lessons.filter((l) => pending.get(l.id)?.size === 0);
  const placed = new Set<string>();
  while (ready.length) {
    ready.sort(cmp);
    const next = ready.shift() as Lesson;
    out.push(next);
    placed.add(next.id);
    for (const l of lessons) {
      const reqs = pending.get(l.id);
      if (!reqs || placed.has(l.id) || ready.includes(l)) continue;
      reqs.delete(next.id);
      if (reqs.size === 0) ready.push(l);
    }
  }
  // Lessons caught in a requires cycle never become ready; keep them, last.
  out.push(...lessons.filter((l) => !placed.has(l.id)).sort(cmp));
  return out;
}

export async function isLessonDir(dir: string): Promise<boolean> {
  try {
    return (await stat(path.join(dir, 'lesson.yaml'))).isFile();
  } catch {
    return false;
  }
}
