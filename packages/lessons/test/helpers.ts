// Builds throw-away lesson folders from a valid base lesson plus edits, for lint tests.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BASE_YAML = `id: base-lesson
title: { zh-CN: 基础, en: Basics }
summary: { zh-CN: 摘要, en: Summary }
topic: namespaces
level: 1
minutes: 10
requires: []
lab:
  image: lab-debian
steps:
  - id: first
    checks:
      - kind: process
        match: "sleep 1000"
        hint:
          zh-CN: 提示一
          en: Hint one
  - id: second
    checks:
      - kind: file
        path: /tmp/x
        expect: { exists: true }
        hint: { zh-CN: 提示二, en: Hint two }
  - id: third
    checks:
      - kind: quiz
        question: q1
`;

const md = (t: {
  title: string;
  one: string;
  two: string;
  three: string;
  q: string;
  a: string;
  b: string;
}) => `# ${t.title}

::::step{#first}
## ${t.one}

\`\`\`bash run
sleep 1000 &
\`\`\`
::::

::::step{#second}
## ${t.two}

\`\`\`bash copy
touch /tmp/x
\`\`\`
::::

::::step{#third}
## ${t.three}

:::quiz{#q1 type=choice answer=b}
${t.q}
- a. ${t.a}
- b. ${t.b}
:::
::::
`;

export const BASE_ZH = md({
  title: '基础',
  one: '一',
  two: '二',
  three: '三',
  q: '问题？',
  a: '甲',
  b: '乙',
});
export const BASE_EN = md({
  title: 'Basics',
  one: 'One',
  two: 'Two',
  three: 'Three',
  q: 'Question?',
  a: 'A',
  b: 'B',
});

export interface LessonSpec {
  folder?: string;
  yaml?: string | null;
  zh?: string | null;
  en?: string | null;
  /** Extra files; null deletes a base file. */
  files?: Record<string, string | null>;
}

const BASE_FILES: Record<string, string> = {
  'solutions/first.sh': '#!/bin/bash\nsleep 1000 &\n',
  'solutions/second.sh': '#!/bin/bash\ntouch /tmp/x\n',
};

export class TempRoot {
  dir = '';
  async create(): Promise<string> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'dy-lessons-test-'));
    return this.dir;
  }
  async cleanup(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.dir = '';
  }
  async lesson(spec: LessonSpec = {}): Promise<string> {
    const folder = spec.folder ?? 'base-lesson';
    const dir = path.join(this.dir, folder);
    await mkdir(dir, { recursive: true });
    const files: Record<string, string | null | undefined> = {
      'lesson.yaml': spec.yaml === undefined ? BASE_YAML : spec.yaml,
      'zh-CN.md': spec.zh === undefined ? BASE_ZH : spec.zh,
      'en.md': spec.en === undefined ? BASE_EN : spec.en,
      ...BASE_FILES,
      ...spec.files,
    };
    for (const [name, content] of Object.entries(files)) {
      if (content === null || content === undefined) continue;
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    return dir;
  }
}

/** 1-based line of the first line containing `needle` (after `from`, if given). */
export function lineOf(text: string, needle: string, from?: string): number {
  const lines = text.split('\n');
  const start = from ? lines.findIndex((l) => l.includes(from)) : 0;
  const i = lines.findIndex((l, k) => k >= start && l.includes(needle));
  if (i < 0) throw new Error(`"${needle}" not in text`);
  return i + 1;
}

/** Replaces exactly one occurrence, so an edit that misses fails the test loudly. */
export function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`"${from}" must occur exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}
