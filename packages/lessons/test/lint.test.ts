import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lintLessons, RULES, type Rule, readLesson } from '../src/index.js';
import type { LintIssue } from '../src/types.js';
import { BASE_EN, BASE_YAML, BASE_ZH, edit, type LessonSpec, lineOf, TempRoot } from './helpers.js';

const root = new TempRoot();
beforeEach(() => root.create());
afterEach(() => root.cleanup());

async function lint(...lessons: LessonSpec[]): Promise<LintIssue[]> {
  for (const l of lessons) await root.lesson(l);
  return lintLessons(root.dir);
}

const Y = 'base-lesson/lesson.yaml';
const ZH = 'base-lesson/zh-CN.md';
const EN = 'base-lesson/en.md';

function expectIssue(issues: LintIssue[], file: string, line: number, rule: string) {
  expect(issues).toContainEqual(expect.objectContaining({ file, line, rule }));
}

describe('the base lesson', () => {
  it('has no lint issues', async () => {
    expect(await lint({})).toEqual([]);
  });
});

interface Case {
  rule: Rule;
  spec: LessonSpec;
  file: string;
  line: number;
  message?: RegExp;
}

const yamlWith = (from: string, to: string) => edit(BASE_YAML, from, to);
const zhWith = (from: string, to: string) => edit(BASE_ZH, from, to);
const enWith = (from: string, to: string) => edit(BASE_EN, from, to);

const cases: Case[] = [
  // lesson.yaml syntax and schema
  {
    rule: 'yaml-syntax',
    spec: { yaml: yamlWith('minutes: 10', 'minutes: 10\nminutes: 12') },
    file: Y,
    line: 7,
  },
  {
    rule: 'yaml-syntax',
    spec: { yaml: yamlWith('          en: Hint one', '          en: Hint one: try unshare') },
    file: Y,
    line: lineOf(BASE_YAML, 'en: Hint one'),
    message: /^Nested mappings are not allowed in compact mappings: a value containing ": " must be quoted$/,
  },
  {
    rule: 'yaml-syntax',
    spec: {
      yaml: `${BASE_YAML}x0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${Array.from(
        { length: 8 },
        (_, i) =>
          `x${i + 1}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(', ')}]`,
      ).join('\n')}\n`,
    },
    file: Y,
    line: 1,
    message: /alias/i,
  },
  {
    rule: 'unknown-key',
    spec: { yaml: yamlWith('minutes: 10', 'minutes: 10\nauthor: someone') },
    file: Y,
    line: 7,
    message: /unknown key "author"/,
  },
  {
    rule: 'unknown-key',
    spec: {
      yaml: yamlWith('        match: "sleep 1000"', '        match: "sleep 1000"\n        mtach: typo'),
    },
    file: Y,
    line: 15,
    message: /"mtach" in steps\.0\.checks\.0/,
  },
  {
    rule: 'unknown-key',
    spec: { yaml: yamlWith('expect: { exists: true }', 'expect: { exists: true, colour: red }') },
    file: Y,
    line: lineOf(BASE_YAML, 'expect: { exists: true }'),
    message: /"colour"/,
  },
  {
    rule: 'unknown-check-kind',
    spec: { yaml: yamlWith('      - kind: process', '      - kind: proccess') },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: process'),
    message: /unknown check kind "proccess"/,
  },
  {
    rule: 'unknown-check-kind',
    spec: { yaml: yamlWith('      - kind: file\n        path: /tmp/x', '      - path: /tmp/x') },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: file'),
    message: /has no "kind"/,
  },
  {
    rule: 'invalid-value',
    spec: {
      yaml: yamlWith(
        '      - kind: file\n        path: /tmp/x\n        expect: { exists: true }',
        '      - kind: command\n        run: ["cat", "/etc/shadow"]\n        expect: { exit: 0 }',
      ),
    },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: file') + 1,
    message: /must start with one of: ip, ss/,
  },
  {
    rule: 'invalid-value',
    spec: {
      yaml: yamlWith(
        '      - kind: file\n        path: /tmp/x\n        expect: { exists: true }',
        '      - kind: cgroup\n        path: /x\n        expect: { frozen: true, oom-kills-min: 1, files: { "memory.peak|../x": "." } }',
      ),
    },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: file') + 2,
    message: /expect\.files\.memory\.peak\|\.\.\/x: Invalid key in record/,
  },
  {
    rule: 'invalid-value',
    spec: {
      yaml: yamlWith(
        '      - kind: file\n        path: /tmp/x\n        expect: { exists: true }',
        '      - kind: cgroup\n        path: /x\n        expect: { memory-peak-min: 40M }',
      ),
    },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: file') + 2,
    message: /size like 64MiB/,
  },
  {
    rule: 'invalid-value',
    spec: { yaml: yamlWith('minutes: 10', 'minutes: ten') },
    file: Y,
    line: 6,
    message: /minutes/,
  },
  {
    rule: 'invalid-value',
    spec: { yaml: yamlWith('topic: namespaces', 'topic: cooking') },
    file: Y,
    line: 4,
  },
  {
    rule: 'invalid-value',
    spec: { yaml: yamlWith('match: "sleep 1000"', 'match: "sleep (1000"') },
    file: Y,
    line: lineOf(BASE_YAML, 'match: "sleep 1000"'),
    message: /regular expression/,
  },
  {
    rule: 'invalid-value',
    spec: { yaml: yamlWith('  image: lab-debian', '  image: lab-debian\n  setup: ../../etc/passwd') },
    file: Y,
    line: 10,
    message: /inside the lesson folder/,
  },
  {
    rule: 'missing-field',
    spec: { yaml: yamlWith('        path: /tmp/x\n', '') },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: file'),
    message: /"path"/,
  },
  {
    rule: 'missing-hint',
    spec: {
      yaml: yamlWith('        hint: { zh-CN: 提示二, en: Hint two }', '        hint: { zh-CN: 提示二 }'),
    },
    file: Y,
    line: lineOf(BASE_YAML, 'hint: { zh-CN: 提示二'),
    message: /missing en hint/,
  },
  {
    rule: 'missing-hint',
    spec: { yaml: yamlWith('        hint:\n          zh-CN: 提示一\n          en: Hint one\n', '') },
    file: Y,
    line: lineOf(BASE_YAML, '- kind: process'),
    message: /zh-CN and en/,
  },
  {
    rule: 'missing-hint',
    spec: { yaml: yamlWith('          zh-CN: 提示一', '          zh-CN: ""') },
    file: Y,
    line: lineOf(BASE_YAML, 'zh-CN: 提示一'),
  },
  // identity
  {
    rule: 'folder-id-mismatch',
    spec: { folder: 'other-name' },
    file: 'other-name/lesson.yaml',
    line: 1,
  },
  // steps in lesson.yaml vs Markdown
  {
    rule: 'duplicate-step-id',
    spec: { yaml: yamlWith('  - id: second', '  - id: first') },
    file: Y,
    line: lineOf(BASE_YAML, '- id: second'),
  },
  {
    rule: 'duplicate-step-id',
    spec: { zh: zhWith('::::step{#second}', '::::step{#first}') },
    file: ZH,
    line: lineOf(BASE_ZH, '::::step{#second}'),
  },
  {
    rule: 'missing-step',
    spec: {
      yaml: `${BASE_YAML}  - id: fourth\n    checks:\n      - kind: quiz\n        question: q1\n`,
    },
    file: Y,
    line: lineOf(BASE_YAML, 'question: q1') + 1,
    message: /"fourth"/,
  },
  {
    rule: 'step-language-mismatch',
    spec: { en: enWith('::::step{#second}', '::::step{#zweite}') },
    file: ZH,
    line: lineOf(BASE_ZH, '::::step{#second}'),
    message: /"second" is in zh-CN\.md but missing from en\.md/,
  },
  {
    rule: 'unknown-step',
    spec: { en: enWith('::::step{#second}', '::::step{#zweite}') },
    file: EN,
    line: lineOf(BASE_EN, '::::step{#second}'),
    message: /"zweite"/,
  },
  {
    rule: 'step-order',
    spec: {
      en: BASE_EN.replace('::::step{#first}', '::::step{#TMP}')
        .replace('::::step{#second}', '::::step{#first}')
        .replace('::::step{#TMP}', '::::step{#second}'),
    },
    file: EN,
    line: lineOf(BASE_EN, '::::step{#first}'),
    message: /expected "first" here, found "second"/,
  },
  {
    rule: 'missing-step-id',
    spec: { zh: zhWith('::::step{#second}', '::::step') },
    file: ZH,
    line: lineOf(BASE_ZH, '::::step{#second}'),
  },
  {
    rule: 'missing-step-title',
    spec: { en: enWith('## Two\n', 'Two, without a heading.\n') },
    file: EN,
    line: lineOf(BASE_EN, '::::step{#second}'),
  },
  {
    rule: 'step-nested',
    spec: {
      zh: zhWith(
        ':::quiz{#q1 type=choice answer=b}',
        ':::step{#inner}\nx\n:::\n\n:::quiz{#q1 type=choice answer=b}',
      ),
    },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
  },
  {
    rule: 'directive-fence',
    spec: { zh: BASE_ZH.replace('::::step{#third}', ':::step{#third}').replace(/::::\n$/, ':::\n') },
    file: ZH,
    line: BASE_ZH.trimEnd().split('\n').length,
  },
  // quizzes
  {
    rule: 'unknown-quiz',
    spec: { yaml: yamlWith('question: q1', 'question: q9') },
    file: Y,
    line: lineOf(BASE_YAML, 'question: q1'),
    message: /"q9"/,
  },
  {
    rule: 'quiz-unchecked',
    spec: { yaml: yamlWith('question: q1', 'question: q9') },
    file: EN,
    line: lineOf(BASE_EN, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-language-mismatch',
    spec: { en: enWith(':::quiz{#q1 ', ':::quiz{#q2 ') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
    message: /"q1" is in zh-CN\.md but missing from en\.md/,
  },
  {
    rule: 'quiz-language-mismatch',
    spec: { en: enWith('type=choice answer=b', 'type=text') },
    file: EN,
    line: lineOf(BASE_EN, ':::quiz{#q1'),
    message: /type=text here but type=choice/,
  },
  {
    rule: 'quiz-options-mismatch',
    spec: { en: enWith('- b. B', '- b. B\n- c. C') },
    file: EN,
    line: lineOf(BASE_EN, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-answer-mismatch',
    spec: { en: enWith('answer=b', 'answer=a') },
    file: EN,
    line: lineOf(BASE_EN, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-order',
    spec: {
      yaml: yamlWith(
        '        question: q1\n',
        '        question: q1\n      - kind: quiz\n        question: q2\n',
      ),
      zh: zhWith(
        ':::quiz{#q1 type=choice answer=b}',
        ':::quiz{#q2 type=text}\n问？\n:::\n\n:::quiz{#q1 type=choice answer=b}',
      ),
      en: enWith('- b. B\n:::\n', '- b. B\n:::\n\n:::quiz{#q2 type=text}\nWhy?\n:::\n'),
    },
    file: EN,
    line: lineOf(BASE_EN, ':::quiz{#q1'),
    message: /expected "q2" here, found "q1"/,
  },
  {
    rule: 'quiz-no-answer',
    spec: { zh: zhWith(' answer=b', '') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-answer-not-option',
    spec: { zh: zhWith('answer=b', 'answer=d') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
    message: /"d".*\(a, b\)/,
  },
  {
    rule: 'quiz-answer-not-option',
    spec: { zh: zhWith('answer=b', 'answer=a,x'), en: enWith('answer=b', 'answer=a,x') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
    message: /"x"/,
  },
  {
    rule: 'quiz-no-options',
    spec: { zh: zhWith('- a. 甲\n- b. 乙\n', '') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-duplicate-option',
    spec: { zh: zhWith('- b. 乙', '- a. 乙') },
    file: ZH,
    line: lineOf(BASE_ZH, '- b. 乙'),
  },
  {
    rule: 'missing-quiz-id',
    spec: { zh: zhWith(':::quiz{#q1 type=choice answer=b}', ':::quiz{type=choice answer=b}') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
  },
  {
    rule: 'quiz-type',
    spec: { zh: zhWith('type=choice', 'type=multiple') },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
  },
  {
    rule: 'duplicate-quiz-id',
    spec: { zh: `${BASE_ZH}\n:::quiz{#q1 type=text}\n再问一次\n:::\n` },
    file: ZH,
    line: BASE_ZH.split('\n').length + 1,
  },
  // files
  {
    rule: 'missing-file',
    spec: { yaml: yamlWith('  image: lab-debian', '  image: lab-debian\n  setup: files/setup.sh') },
    file: Y,
    line: 10,
    message: /files\/setup\.sh/,
  },
  {
    rule: 'missing-file',
    spec: {
      yaml: yamlWith(
        '        hint: { zh-CN: 提示二, en: Hint two }\n',
        '        hint: { zh-CN: 提示二, en: Hint two }\n      - kind: script\n        file: checks/x.sh\n        hint: { zh-CN: 提示, en: Hint }\n',
      ),
    },
    file: Y,
    line: lineOf(BASE_YAML, 'hint: { zh-CN: 提示二') + 2,
    message: /checks\/x\.sh/,
  },
  { rule: 'missing-file', spec: { en: null }, file: EN, line: 1 },
  { rule: 'missing-file', spec: { zh: null }, file: ZH, line: 1 },
  {
    rule: 'missing-solution',
    spec: { files: { 'solutions/second.sh': null } },
    file: Y,
    line: lineOf(BASE_YAML, '- id: second'),
    message: /solutions\/second\.sh/,
  },
  {
    rule: 'missing-file',
    spec: {
      yaml: yamlWith('  image: lab-debian', '  image: lab-debian\n  setup: files'),
      files: { 'files/readme.txt': 'a directory is not a script\n' },
    },
    file: Y,
    line: 10,
  },
  {
    rule: 'duplicate-check-id',
    spec: {
      yaml: yamlWith('      - kind: process\n', '      - kind: process\n        id: same\n').replace(
        '      - kind: file\n',
        '      - kind: file\n        id: same\n',
      ),
    },
    file: Y,
    // one line was inserted above, the id sits below its kind
    line: lineOf(BASE_YAML, '- kind: file') + 2,
    message: /"same" is already used at line 14/,
  },
  {
    rule: 'orphan-solution',
    spec: { files: { 'solutions/old-step.sh': 'true\n' } },
    file: 'base-lesson/solutions/old-step.sh',
    line: 1,
  },
  // Markdown content
  {
    rule: 'unsafe-html',
    spec: { en: enWith('sleep 1000 &\n```\n', 'sleep 1000 &\n```\n\n<script>alert(1)</script>\n') },
    file: EN,
    line: lineOf(BASE_EN, 'sleep 1000 &') + 3,
    message: /<script>/,
  },
  {
    rule: 'unknown-directive',
    spec: { en: enWith('## One', '## One\n\n:::tip\nx\n:::') },
    file: EN,
    line: lineOf(BASE_EN, '## One') + 2,
    message: /:::tip/,
  },
  {
    rule: 'directive-attribute',
    spec: { en: enWith('::::step{#first}', '::::step{#first onclick="alert(1)"}') },
    file: EN,
    line: lineOf(BASE_EN, '::::step{#first}'),
    message: /"onclick"/,
  },
  {
    rule: 'code-block-parity',
    spec: {
      en: enWith('```bash copy\ntouch /tmp/x\n```', '```bash copy\ntouch /tmp/x\n```\n\n```bash\nls\n```'),
    },
    file: EN,
    line: lineOf(BASE_EN, '```bash copy'),
    message: /step "second" has 2 code block\(s\) in en\.md but 1 in zh-CN\.md/,
  },
  {
    rule: 'code-block-parity',
    spec: { en: enWith('```bash run', '```bash') },
    file: EN,
    line: lineOf(BASE_EN, '```bash run'),
    message: /run: false here, true in zh-CN\.md/,
  },
  {
    rule: 'code-block-parity',
    spec: { zh: zhWith('```bash copy', '```bash copy file=/tmp/x') },
    file: EN,
    line: lineOf(BASE_EN, '```bash copy'),
    message: /file: "" here, "\/tmp\/x"/,
  },
  {
    rule: 'code-language',
    spec: { en: enWith('```bash copy', '```python copy'), zh: zhWith('```bash copy', '```python copy') },
    file: EN,
    line: lineOf(BASE_EN, '```bash copy'),
    message: /"python"/,
  },
  {
    rule: 'directive-parity',
    spec: { en: enWith('## Two', '## Two\n\n:::hint\nTry touch.\n:::') },
    file: EN,
    line: lineOf(BASE_EN, '## Two') + 2,
    message: /step "second" has \[hint\] in en\.md but \[\] in zh-CN\.md/,
  },
  {
    rule: 'directive-parity',
    spec: {
      en: enWith('## Two', '## Two\n\n:::note\nA.\n:::'),
      zh: zhWith('## 二', '## 二\n\n:::warning\n甲。\n:::'),
    },
    file: EN,
    line: lineOf(BASE_EN, '## Two') + 2,
    message: /\[note\] in en\.md but \[warning\]/,
  },
  {
    rule: 'quiz-step-mismatch',
    spec: {
      yaml: yamlWith(
        '        hint: { zh-CN: 提示二, en: Hint two }\n',
        '        hint: { zh-CN: 提示二, en: Hint two }\n      - kind: quiz\n        question: q1\n',
      ).replace(
        '  - id: third\n    checks:\n      - kind: quiz\n        question: q1\n',
        '  - id: third\n    checks:\n      - kind: file\n        path: /tmp/y\n        expect: { exists: true }\n        hint: { zh-CN: 提示三, en: Hint three }\n',
      ),
      files: { 'solutions/third.sh': 'touch /tmp/y\n' },
    },
    file: ZH,
    line: lineOf(BASE_ZH, ':::quiz{#q1'),
    message: /sits in step "third" but is checked by step "second"/,
  },
  {
    rule: 'code-meta',
    spec: { zh: zhWith('```bash run', '```bash runn') },
    file: ZH,
    line: lineOf(BASE_ZH, '```bash run'),
    message: /runn/,
  },
];

describe('every lint rule has a failing example', () => {
  it.each(
    cases.map((c) => [`${c.rule} at ${c.file}:${c.line}${c.message ? ` ${c.message}` : ''}`, c] as const),
  )('%s', async (_name, c) => {
    const issues = await lint(c.spec);
    const hit = issues.find((i) => i.file === c.file && i.line === c.line && i.rule === c.rule);
    expect(hit, JSON.stringify(issues, null, 2)).toBeDefined();
    if (c.message) expect(hit?.message).toMatch(c.message);
  });
});

describe('files that leave the lesson folder', () => {
  it('reports a solution that is a symlink to a file outside', async () => {
    const dir = await root.lesson({ files: { 'solutions/second.sh': null } });
    await writeFile(path.join(root.dir, 'outside.sh'), 'rm -rf /\n');
    await symlink(path.join(root.dir, 'outside.sh'), path.join(dir, 'solutions/second.sh'));
    const issues = await lintLessons(root.dir);
    expectIssue(issues, Y, lineOf(BASE_YAML, '- id: second'), 'file-escape');
  });

  it('never reads a Markdown file that links outside, and says so', async () => {
    const dir = await root.lesson({ en: null });
    await writeFile(path.join(root.dir, 'secret.md'), '# top secret host file\n');
    await symlink(path.join(root.dir, 'secret.md'), path.join(dir, 'en.md'));
    const { lesson, issues } = await readLesson(dir);
    expect(issues).toEqual([expect.objectContaining({ file: EN, line: 1, rule: 'file-escape' })]);
    expect(lesson).toBeUndefined();
  });
});

describe('cross-lesson rules', () => {
  const other = (id: string, requires: string[]) => ({
    folder: id,
    yaml: BASE_YAML.replace('id: base-lesson', `id: ${id}`).replace(
      'requires: []',
      `requires: [${requires.join(', ')}]`,
    ),
  });

  it('reports requires of unknown lessons at the list item', async () => {
    const issues = await lint(other('base-lesson', ['nope']));
    expectIssue(issues, Y, lineOf(BASE_YAML, 'requires:'), 'requires-unknown');
  });

  it('does not pile a requires error on a required lesson that fails to load', async () => {
    const broken = { ...other('lesson-b', []), yaml: 'id: [lesson-b\n' };
    const issues = await lint(other('lesson-a', ['lesson-b']), broken);
    expect(issues.map((i) => `${i.file} ${i.rule}`)).toEqual(['lesson-b/lesson.yaml yaml-syntax']);
  });

  it('reports a requires cycle once', async () => {
    const issues = await lint(
      other('lesson-a', ['lesson-b']),
      other('lesson-b', ['lesson-c']),
      other('lesson-c', ['lesson-a']),
    );
    const cycles = issues.filter((i) => i.rule === 'requires-cycle');
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.message).toMatch(/lesson-a → lesson-b → lesson-c → lesson-a/);
    expect(cycles[0]?.line).toBe(lineOf(BASE_YAML, 'requires:'));
  });

  it('reports a lesson that requires itself', async () => {
    const issues = await lint(other('base-lesson', ['base-lesson']));
    expectIssue(issues, Y, lineOf(BASE_YAML, 'requires:'), 'requires-cycle');
  });

  it('reports duplicate lesson ids', async () => {
    const issues = await lint({}, { folder: 'copy-of-base' });
    expectIssue(issues, 'copy-of-base/lesson.yaml', 1, 'duplicate-lesson-id');
    expectIssue(issues, 'copy-of-base/lesson.yaml', 1, 'folder-id-mismatch');
  });
});

describe('issue positions', () => {
  it('give line and column for yaml issues', async () => {
    const issues = await lint({ yaml: yamlWith('level: 1', 'level: 7') });
    expect(issues).toEqual([expect.objectContaining({ file: Y, line: 5, column: 8, rule: 'invalid-value' })]);
  });

  it('give line and column for unsafe HTML in Markdown', async () => {
    const issues = await lint({ zh: zhWith('## 二', '## 二\n\n前文 <img src=x onerror=alert(1)> 后文') });
    expect(issues).toEqual([
      expect.objectContaining({
        file: ZH,
        line: lineOf(BASE_ZH, '## 二') + 2,
        column: 4,
        rule: 'unsafe-html',
      }),
    ]);
  });
});

describe('rule coverage', () => {
  // rules whose examples need more than one lesson folder or a symlink, in the describe blocks above
  const elsewhere: Rule[] = ['requires-unknown', 'requires-cycle', 'duplicate-lesson-id', 'file-escape'];

  it('every rule has a failing example in this file', () => {
    const covered = new Set<string>([...cases.map((c) => c.rule), ...elsewhere]);
    expect(Object.keys(RULES).filter((r) => !covered.has(r))).toEqual([]);
  });
});
