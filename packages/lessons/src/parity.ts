// Rules that compare lesson.yaml, zh-CN.md and en.md: same steps in the same order, same quizzes, same code blocks.
import type { Rule } from './rules.js';
import type { Step } from './schema.js';
import type { CodeBlock, LintIssue, MarkdownOutline, Quiz } from './types.js';

interface Side {
  file: string;
  outline: MarkdownOutline;
}

export interface ParityInput {
  yamlFile: string;
  steps: Step[];
  stepPosition(stepIndex: number): { line: number; column: number };
  checkPosition(stepIndex: number, checkIndex: number): { line: number; column: number };
  zh: Side;
  en: Side;
}

const name = (s: Side) => s.file.split('/').pop() ?? s.file;

export function checkParity(input: ParityInput): LintIssue[] {
  return [...stepParity(input), ...quizParity(input), ...codeParity(input), ...asideParity(input)];
}

function firstLine<T extends { id: string; line: number }>(items: T[], id: string): number | undefined {
  return items.find((i) => i.id === id)?.line;
}

function stepParity({ yamlFile, steps, stepPosition, zh, en }: ParityInput): LintIssue[] {
  const issues: LintIssue[] = [];
  const yamlIds = steps.map((s) => s.id);
  const sides = [zh, en];
  steps.forEach((step, i) => {
    const present = sides.filter((s) => firstLine(s.outline.steps, step.id) !== undefined);
    if (present.length === 0)
      issues.push({
        file: yamlFile,
        ...stepPosition(i),
        rule: 'missing-step',
        message: `step "${step.id}" has no :::step{#${step.id}} in ${name(zh)} or ${name(en)}`,
      });
    else if (present.length === 1) {
      const [has] = present as [Side];
      const lacks = has === zh ? en : zh;
      issues.push({
        file: has.file,
        line: firstLine(has.outline.steps, step.id) ?? 1,
        rule: 'step-language-mismatch',
        message: `step "${step.id}" is in ${name(has)} but missing from ${name(lacks)}`,
      });
    }
  });
  let orderProblem = false;
  for (const side of sides) {
    const seen = new Set<string>();
    for (const s of side.outline.steps) {
      if (!yamlIds.includes(s.id) && !seen.has(s.id))
        issues.push({
          file: side.file,
          line: s.line,
          rule: 'unknown-step',
          message: `step "${s.id}" is not a step of lesson.yaml (steps: ${yamlIds.join(', ')})`,
        });
      seen.add(s.id);
    }
    const written = dedupe(side.outline.steps.filter((s) => yamlIds.includes(s.id)));
    const expected = yamlIds.filter((id) => written.some((s) => s.id === id));
    const at = written.findIndex((s, k) => s.id !== expected[k]);
    if (at >= 0) {
      orderProblem = true;
      const s = written[at] as { id: string; line: number };
      issues.push({
        file: side.file,
        line: s.line,
        rule: 'step-order',
        message: `steps are not in lesson.yaml order: expected "${expected[at]}" here, found "${s.id}"`,
      });
    }
  }
  if (!orderProblem) {
    const zhIds = dedupe(zh.outline.steps).map((s) => s.id);
    const common = dedupe(en.outline.steps).filter((s) => zhIds.includes(s.id));
    const zhCommon = zhIds.filter((id) => common.some((s) => s.id === id));
    const at = common.findIndex((s, k) => s.id !== zhCommon[k]);
    const s = common[at];
    if (s)
      issues.push({
        file: en.file,
        line: s.line,
        rule: 'step-order',
        message: `steps are in a different order than ${name(zh)}: expected "${zhCommon[at]}" here, found "${s.id}"`,
      });
  }
  return issues;
}

function dedupe<T extends { id: string }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    if (seen.has(i.id)) return false;
    seen.add(i.id);
    return true;
  });
}

function quizParity({ yamlFile, steps, checkPosition, zh, en }: ParityInput): LintIssue[] {
  const issues: LintIssue[] = [];
  const checked = new Set<string>();
  steps.forEach((step, si) => {
    step.checks.forEach((check, ci) => {
      if (check.kind !== 'quiz') return;
      checked.add(check.question);
      for (const side of [zh, en]) {
        const q = side.outline.quizzes.find((x) => x.id === check.question);
        if (q?.stepId && q.stepId !== step.id)
          issues.push({
            file: side.file,
            line: q.line,
            rule: 'quiz-step-mismatch',
            message: `quiz "${q.id}" sits in step "${q.stepId}" but is checked by step "${step.id}" in lesson.yaml`,
          });
      }
      const inZh = zh.outline.quizzes.some((q) => q.id === check.question);
      const inEn = en.outline.quizzes.some((q) => q.id === check.question);
      if (!inZh && !inEn)
        issues.push({
          file: yamlFile,
          ...checkPosition(si, ci),
          rule: 'unknown-quiz',
          message: `quiz check refers to "${check.question}", but neither ${name(zh)} nor ${name(en)} has :::quiz{#${check.question}}`,
        });
    });
  });
  for (const side of [zh, en]) {
    const other = side === zh ? en : zh;
    for (const q of dedupe(side.outline.quizzes)) {
      if (!checked.has(q.id))
        issues.push({
          file: side.file,
          line: q.line,
          rule: 'quiz-unchecked',
          message: `quiz "${q.id}" has no quiz check (kind: quiz, question: ${q.id}) in lesson.yaml`,
        });
      if (!other.outline.quizzes.some((o) => o.id === q.id))
        issues.push({
          file: side.file,
          line: q.line,
          rule: 'quiz-language-mismatch',
          message: `quiz "${q.id}" is in ${name(side)} but missing from ${name(other)}`,
        });
    }
  }
  const zhQuizzes = dedupe(zh.outline.quizzes);
  for (const q of dedupe(en.outline.quizzes)) {
    const z = zhQuizzes.find((o) => o.id === q.id);
    if (!z) continue;
    const at = (rule: Rule, message: string) => issues.push({ file: en.file, line: q.line, rule, message });
    if (z.type !== q.type)
      at('quiz-language-mismatch', `quiz "${q.id}" is type=${q.type} here but type=${z.type} in ${name(zh)}`);
    const keys = (x: Quiz) => x.options.map((o) => o.key).join(',');
    if (keys(z) !== keys(q))
      at(
        'quiz-options-mismatch',
        `quiz "${q.id}" has options [${keys(q)}] here but [${keys(z)}] in ${name(zh)} (line ${z.line})`,
      );
    if ((z.answer ?? '') !== (q.answer ?? ''))
      at(
        'quiz-answer-mismatch',
        `quiz "${q.id}" has a different answer than in ${name(zh)} (line ${z.line})`,
      );
  }
  const zhOrder = zhQuizzes.map((q) => q.id);
  const enCommon = dedupe(en.outline.quizzes).filter((q) => zhOrder.includes(q.id));
  const zhCommon = zhOrder.filter((id) => enCommon.some((q) => q.id === id));
  const k = enCommon.findIndex((q, i) => q.id !== zhCommon[i]);
  const misplaced = enCommon[k];
  if (misplaced)
    issues.push({
      file: en.file,
      line: misplaced.line,
      rule: 'quiz-order',
      message: `quizzes are in a different order than ${name(zh)}: expected "${zhCommon[k]}" here, found "${misplaced.id}"`,
    });
  return issues;
}

function codeParity({ zh, en }: ParityInput): LintIssue[] {
  const issues: LintIssue[] = [];
  const group = (blocks: CodeBlock[]) => {
    const m = new Map<string, CodeBlock[]>();
    for (const b of blocks) {
      const key = b.stepId ?? '';
      m.set(key, [...(m.get(key) ?? []), b]);
    }
    return m;
  };
  const zhGroups = group(zh.outline.codeBlocks);
  const enGroups = group(en.outline.codeBlocks);
  const enStepLine = (id: string) => (id ? firstLine(en.outline.steps, id) : undefined);
  const keys = new Set([...zhGroups.keys(), ...enGroups.keys()]);
  for (const key of keys) {
    // Steps missing from one language are reported by the step rules.
    if (key && !(zh.outline.steps.some((s) => s.id === key) && en.outline.steps.some((s) => s.id === key)))
      continue;
    const where = key ? `step "${key}"` : 'the text outside steps';
    const a = zhGroups.get(key) ?? [];
    const b = enGroups.get(key) ?? [];
    if (a.length !== b.length) {
      issues.push({
        file: en.file,
        line: b[0]?.line ?? enStepLine(key) ?? 1,
        rule: 'code-block-parity',
        message: `${where} has ${b.length} code block(s) in ${name(en)} but ${a.length} in ${name(zh)}`,
      });
      continue;
    }
    b.forEach((eb, i) => {
      const zb = a[i] as CodeBlock;
      const diffs: string[] = [];
      if (zb.run !== eb.run) diffs.push(`run: ${eb.run} here, ${zb.run} in ${name(zh)}`);
      if (zb.copy !== eb.copy) diffs.push(`copy: ${eb.copy} here, ${zb.copy} in ${name(zh)}`);
      if ((zb.file ?? '') !== (eb.file ?? ''))
        diffs.push(`file: "${eb.file ?? ''}" here, "${zb.file ?? ''}" in ${name(zh)}`);
      if (zb.lang !== eb.lang) diffs.push(`language: ${eb.lang} here, ${zb.lang} in ${name(zh)}`);
      if (diffs.length)
        issues.push({
          file: en.file,
          line: eb.line,
          rule: 'code-block-parity',
          message: `code block ${i + 1} of ${where} differs from ${name(zh)} line ${zb.line}: ${diffs.join('; ')}`,
        });
    });
  }
  return issues;
}

function asideParity({ zh, en }: ParityInput): LintIssue[] {
  const issues: LintIssue[] = [];
  const group = (side: Side) => {
    const m = new Map<string, MarkdownOutline['asides']>();
    for (const a of side.outline.asides) m.set(a.stepId ?? '', [...(m.get(a.stepId ?? '') ?? []), a]);
    return m;
  };
  const zhGroups = group(zh);
  const enGroups = group(en);
  for (const key of new Set([...zhGroups.keys(), ...enGroups.keys()])) {
    if (key && !(zh.outline.steps.some((s) => s.id === key) && en.outline.steps.some((s) => s.id === key)))
      continue;
    const a = (zhGroups.get(key) ?? []).map((x) => x.name);
    const b = enGroups.get(key) ?? [];
    const names = b.map((x) => x.name);
    if (a.join(',') === names.join(',')) continue;
    const at = names.findIndex((n, i) => n !== a[i]);
    issues.push({
      file: en.file,
      line: b[at >= 0 ? at : b.length - 1]?.line ?? firstLine(en.outline.steps, key) ?? 1,
      rule: 'directive-parity',
      message: `${key ? `step "${key}"` : 'the text outside steps'} has [${names.join(', ')}] in ${name(en)} but [${a.join(', ')}] in ${name(zh)}`,
    });
  }
  return issues;
}
