// lesson.yaml parsing that keeps source positions, so every schema issue maps to line:column.
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CHECK_KINDS } from './schema.js';
import type { LintIssue } from './types.js';

export interface YamlSource {
  file: string;
  value: unknown;
  issues: LintIssue[];
  /** line/column (1-based) of the node at `path`, or of its nearest existing ancestor. */
  position(path: readonly PropertyKey[], onKey?: boolean): { line: number; column: number };
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: LintIssue[] = [];
  for (const err of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(err.pos[0]);
    let message = firstLine(err.message).replace(/ at line \d+, column \d+:?$/, '');
    if (err.code === 'BLOCK_AS_IMPLICIT_KEY') message += ': a value containing ": " must be quoted';
    issues.push({
      file,
      line: pos.line,
      column: pos.col,
      rule: 'yaml-syntax',
      message,
    });
  }
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };

  const position = (path: readonly PropertyKey[], onKey = false) => {
    let node: unknown = doc.contents;
    let best = node && isNode(node) && node.range ? at(node.range[0]) : { line: 1, column: 1 };
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === seg);
        if (!pair) return best;
        const key = pair.key as Node;
        const value = pair.value as Node | null;
        if (onKey && seg === path[path.length - 1] && key.range) return at(key.range[0]);
        if (value?.range) best = at(value.range[0]);
        else if (key.range) best = at(key.range[0]);
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) return best;
        if (item.range) best = at(item.range[0]);
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };

  let value: unknown;
  if (!doc.errors.length) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // e.g. an alias bomb: yaml refuses to expand it
      issues.push({ file, line: 1, column: 1, rule: 'yaml-syntax', message: (err as Error).message });
    }
  }
  return { file, value, issues, position };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** Turns zod issues into lint issues with rule names that say what is wrong. */
export function zodIssuesToLint(src: YamlSource, issues: readonly z.core.$ZodIssue[]): LintIssue[] {
  const out: LintIssue[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const where = path.map(String).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const pos = src.position([...path, key], true);
        out.push({
          file: src.file,
          ...pos,
          rule: 'unknown-key',
          message: `unknown key "${key}" in ${where}`,
        });
      }
      continue;
    }
    const pos = src.position(path);
    const last = path[path.length - 1];
    const present = hasPath(src.value, path);
    if (issue.code === 'invalid_union' && last === 'kind' && 'discriminator' in issue) {
      const kind = getPath(src.value, path);
      out.push({
        file: src.file,
        ...pos,
        rule: 'unknown-check-kind',
        message:
          kind === undefined
            ? `check at ${where.replace(/\.kind$/, '')} has no "kind"`
            : `unknown check kind "${String(kind)}" (known: ${CHECK_KINDS.join(', ')})`,
      });
      continue;
    }
    if (path.includes('hint') && (!present || issue.code === 'too_small')) {
      const lang = last === 'hint' ? 'zh-CN and en' : String(last);
      out.push({ file: src.file, ...pos, rule: 'missing-hint', message: `missing ${lang} hint at ${where}` });
      continue;
    }
    if (!present) {
      out.push({
        file: src.file,
        ...pos,
        rule: 'missing-field',
        message: `missing required field "${String(last)}" at ${where}`,
      });
      continue;
    }
    out.push({ file: src.file, ...pos, rule: 'invalid-value', message: `${where}: ${issue.message}` });
  }
  return out;
}

function getPath(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let cur: unknown = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as object))) return false;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return true;
}
