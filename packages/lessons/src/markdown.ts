// Markdown → mdast with our directives → hast → sanitized hast. Shared by lint (outline, sanitize diff) and render.
import type { Element, ElementContent, Root as HastRoot, Properties } from 'hast';
import { defaultSchema, type Schema, sanitize } from 'hast-util-sanitize';
import type { Code, List, ListItem, Root as MdastRoot, Paragraph, PhrasingContent, RootContent } from 'mdast';
import type { ContainerDirective, LeafDirective, TextDirective } from 'mdast-util-directive';
import { find, html } from 'property-information';
import rehypeRaw from 'rehype-raw';
import remarkDirective from 'remark-directive';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';
import type { Rule } from './rules.js';
import type { Locale } from './schema.js';
import type { CodeBlock, LintIssue, MarkdownOutline, Quiz } from './types.js';

type Directive = ContainerDirective | LeafDirective | TextDirective;

/** Container directives we know and the attributes each accepts. */
const DIRECTIVES: Record<string, readonly string[]> = {
  step: ['id'],
  quiz: ['id', 'type', 'answer'],
  hint: [],
  note: [],
  warning: [],
  details: ['summary'],
};

const HINT_SUMMARY: Record<Locale, string> = { 'zh-CN': '提示', en: 'Hint' };
const DETAILS_SUMMARY: Record<Locale, string> = { 'zh-CN': '详情', en: 'Details' };
/** Wrapper nodes we add; remark-rehype renders unknown nodes through their data.hName. */
const SYNTHETIC = 'dyWrapper';
const OPTION_PREFIX = /^([A-Za-z])[.)]\s+/;
const META_TOKEN = /([A-Za-z][\w-]*)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?/g;

/** Fence languages the renderer highlights (grammars and their aliases), plus plain text. */
export const CODE_LANGUAGES = new Set([
  'bash',
  'sh',
  'shell',
  'shellscript',
  'zsh',
  'dockerfile',
  'docker',
  'yaml',
  'yml',
  'json',
  'c',
  'go',
  'ini',
  'text',
  'txt',
  'plaintext',
]);

export interface CodeMeta {
  run: boolean;
  copy: boolean;
  file?: string;
  unknown: string[];
}

export function parseCodeMeta(meta: string | null | undefined): CodeMeta {
  const out: CodeMeta = { run: false, copy: false, unknown: [] };
  if (!meta) return out;
  for (const m of meta.matchAll(META_TOKEN)) {
    const [, name, dq, sq, bare] = m;
    const value = dq ?? sq ?? bare;
    if (name === 'run' && value === undefined) out.run = true;
    else if (name === 'copy' && value === undefined) out.copy = true;
    else if (name === 'file' && value) out.file = value;
    else out.unknown.push(m[0]);
  }
  return out;
}

const markdownParser = unified().use(remarkParse).use(remarkGfm).use(remarkDirective).freeze();

function parseMdast(source: string): MdastRoot {
  return markdownParser.runSync(markdownParser.parse(source)) as MdastRoot;
}

function lineOf(node: { position?: { start: { line: number; column: number } } }): {
  line: number;
  column: number;
} {
  return { line: node.position?.start.line ?? 1, column: node.position?.start.column ?? 1 };
}

function isDirective(node: { type: string }): node is Directive {
  return node.type === 'containerDirective' || node.type === 'leafDirective' || node.type === 'textDirective';
}

function textOf(node: unknown): string {
  if (!node || typeof node !== 'object') return '';
  const n = node as { value?: unknown; children?: unknown[] };
  if (typeof n.value === 'string') return n.value;
  return Array.isArray(n.children) ? n.children.map(textOf).join('') : '';
}

export interface PreparedMarkdown {
  mdast: MdastRoot;
  outline: MarkdownOutline;
  issues: LintIssue[];
}

/**
 * Parses one lesson Markdown file, checks its directives, and rewrites them into nodes that
 * remark-rehype turns into our HTML shape. Quiz answers are read here and never copied into the tree.
 */
export function prepareMarkdown(source: string, file: string, locale: Locale): PreparedMarkdown {
  const mdast = parseMdast(source);
  const issues: LintIssue[] = [];
  const outline: MarkdownOutline = { steps: [], quizzes: [], codeBlocks: [], asides: [] };
  const issue = (node: Parameters<typeof lineOf>[0], rule: Rule, message: string) =>
    issues.push({ file, ...lineOf(node), rule, message });

  const walk = (parent: { children: RootContent[] }, stepId: string | undefined, depth: number) => {
    const children = parent.children;
    for (let i = 0; i < children.length; i++) {
      const node = children[i] as RootContent;
      if (node.type === 'code') {
        const meta = parseCodeMeta(node.meta);
        if (meta.unknown.length)
          issue(
            node,
            'code-meta',
            `unknown code block option(s) ${meta.unknown.join(', ')} (known: run, copy, file=path)`,
          );
        const lang = (node.lang ?? 'text').toLowerCase();
        if (!CODE_LANGUAGES.has(lang))
          issue(
            node,
            'code-language',
            `code language "${node.lang}" is not highlighted and renders as plain text (supported: ${[...CODE_LANGUAGES].join(', ')})`,
          );
        const block: CodeBlock = {
          lang: node.lang ?? 'text',
          run: meta.run,
          copy: meta.copy,
          line: lineOf(node).line,
        };
        if (meta.file) block.file = meta.file;
        if (stepId) block.stepId = stepId;
        outline.codeBlocks.push(block);
        continue;
      }
      if (isDirective(node)) {
        const replacement = rewriteDirective(node, source, locale, stepId, depth, issue, outline);
        if (replacement !== node) {
          children[i] = replacement as RootContent;
          if (replacement.type !== 'containerDirective') continue;
        }
        const nextStep =
          node.name === 'step' && node.type === 'containerDirective' ? node.attributes?.id : stepId;
        walk(replacement as { children: RootContent[] }, nextStep ?? stepId, depth + 1);
        continue;
      }
      if (node.type === 'paragraph' && /^:{3,}\s*$/.test(textOf(node))) {
        issue(
          node,
          'directive-fence',
          `stray "${textOf(node).trim()}": a directive nested in another closes the outer one too; give the outer one more colons (::::step{#id} … ::::)`,
        );
        continue;
      }
      if ('children' in node) walk(node as { children: RootContent[] }, stepId, depth + 1);
    }
  };
  walk(mdast, undefined, 0);

  const seenSteps = new Map<string, number>();
  for (const step of outline.steps) {
    const first = seenSteps.get(step.id);
    if (first !== undefined)
      issues.push({
        file,
        line: step.line,
        rule: 'duplicate-step-id',
        message: `step "${step.id}" already appears at line ${first}`,
      });
    else seenSteps.set(step.id, step.line);
  }
  const seenQuizzes = new Map<string, number>();
  for (const quiz of outline.quizzes) {
    const first = seenQuizzes.get(quiz.id);
    if (first !== undefined)
      issues.push({
        file,
        line: quiz.line,
        rule: 'duplicate-quiz-id',
        message: `quiz "${quiz.id}" already appears at line ${first}`,
      });
    else seenQuizzes.set(quiz.id, quiz.line);
  }
  return { mdast, outline, issues };
}

function rewriteDirective(
  node: Directive,
  source: string,
  locale: Locale,
  stepId: string | undefined,
  depth: number,
  issue: (node: Parameters<typeof lineOf>[0], rule: Rule, message: string) => void,
  outline: MarkdownOutline,
): RootContent | PhrasingContent {
  const known = DIRECTIVES[node.name];
  const sourceText = () => {
    const start = node.position?.start.offset;
    const end = node.position?.end.offset;
    return start !== undefined && end !== undefined ? source.slice(start, end) : `:${node.name}`;
  };
  // `a:b` in prose parses as a text directive; give the text back as written.
  if (node.type === 'textDirective') return { type: 'text', value: sourceText(), position: node.position };
  if (node.type === 'leafDirective' || !known) {
    issue(
      node,
      'unknown-directive',
      `unknown directive "${node.type === 'leafDirective' ? '::' : ':::'}${node.name}" (known: ${Object.keys(
        DIRECTIVES,
      )
        .map((d) => `:::${d}`)
        .join(', ')})`,
    );
    if (node.type === 'leafDirective')
      return {
        type: 'paragraph',
        children: [{ type: 'text', value: sourceText() }],
        position: node.position,
      };
    node.data = { hName: 'div' };
    return node;
  }
  const attrs = node.attributes ?? {};
  for (const key of Object.keys(attrs)) {
    if (!known.includes(key))
      issue(
        node,
        'directive-attribute',
        `:::${node.name} does not take attribute "${key}"${known.length ? ` (allowed: ${known.join(', ')})` : ''}`,
      );
  }
  const children = node.children as RootContent[];
  const labelIndex = children.findIndex((c) => c.type === 'paragraph' && c.data?.directiveLabel);
  const label = labelIndex >= 0 ? (children.splice(labelIndex, 1)[0] as Paragraph) : undefined;

  if (node.name !== 'step' && node.name !== 'quiz') {
    const aside: MarkdownOutline['asides'][number] = { name: node.name, line: lineOf(node).line };
    if (stepId) aside.stepId = stepId;
    outline.asides.push(aside);
  }
  switch (node.name) {
    case 'step': {
      const id = attrs.id;
      if (!id) issue(node, 'missing-step-id', ':::step needs an id: :::step{#my-step}');
      if (depth > 0 || stepId)
        issue(node, 'step-nested', ':::step must be at the top level of the file, not inside another block');
      if (id) outline.steps.push({ id, line: lineOf(node).line });
      if (!children.some((c) => c.type === 'heading') && !label)
        issue(node, 'missing-step-title', `step "${id ?? '?'}" needs a heading (## …) for its title`);
      if (label) children.unshift(label);
      node.data = { hName: 'section', hProperties: { className: ['dy-step'], dataStepId: id ?? '' } };
      return node;
    }
    case 'quiz':
      return rewriteQuiz(node, attrs, label, stepId, issue, outline);
    case 'hint':
    case 'details': {
      const fallback =
        node.name === 'hint' ? HINT_SUMMARY[locale] : (attrs.summary ?? DETAILS_SUMMARY[locale]);
      const summary = {
        type: SYNTHETIC,
        data: { hName: 'summary' },
        children: label ? label.children : [{ type: 'text', value: fallback }],
      };
      children.unshift(summary as unknown as RootContent);
      node.data = { hName: 'details', hProperties: { className: [`dy-${node.name}`] } };
      return node;
    }
    default: {
      // note, warning
      if (label)
        children.unshift({
          type: 'paragraph',
          children: [{ type: 'strong', children: label.children }],
        });
      node.data = { hName: 'aside', hProperties: { className: [`dy-${node.name}`] } };
      return node;
    }
  }
}

function rewriteQuiz(
  node: ContainerDirective,
  attrs: Record<string, string | null | undefined>,
  label: Paragraph | undefined,
  stepId: string | undefined,
  issue: (node: Parameters<typeof lineOf>[0], rule: Rule, message: string) => void,
  outline: MarkdownOutline,
): ContainerDirective {
  const id = attrs.id ?? undefined;
  const typeAttr = attrs.type ?? 'choice';
  const type: Quiz['type'] = typeAttr === 'text' ? 'text' : 'choice';
  if (!id) issue(node, 'missing-quiz-id', ':::quiz needs an id: :::quiz{#q1 type=choice answer=b}');
  if (typeAttr !== 'choice' && typeAttr !== 'text')
    issue(node, 'quiz-type', `quiz type "${typeAttr}" is neither choice nor text`);

  const children = node.children as RootContent[];
  let optionsIndex = -1;
  for (let i = children.length - 1; i >= 0; i--) {
    const c = children[i];
    if (
      c?.type === 'list' &&
      c.children.length > 0 &&
      c.children.every((li) => optionKey(li) !== undefined)
    ) {
      optionsIndex = i;
      break;
    }
  }
  const options: { key: string }[] = [];
  let optionsList: List | undefined;
  if (optionsIndex >= 0) {
    optionsList = children.splice(optionsIndex, 1)[0] as List;
    for (const li of optionsList.children) {
      const key = optionKey(li) as string;
      stripOptionPrefix(li);
      if (options.some((o) => o.key === key))
        issue(li, 'quiz-duplicate-option', `quiz option "${key}" appears twice`);
      options.push({ key });
      li.data = { hProperties: { dataOption: key } };
    }
    optionsList.ordered = false;
    optionsList.data = { hProperties: { className: ['dy-quiz-options'] } };
  }
  const answer = attrs.answer ?? undefined;
  if (type === 'choice') {
    if (!optionsList)
      issue(node, 'quiz-no-options', `choice quiz "${id ?? '?'}" needs options as a list: "- a. …"`);
    if (!answer) issue(node, 'quiz-no-answer', `choice quiz "${id ?? '?'}" has no answer=… attribute`);
    else if (optionsList)
      for (const key of answerKeys(answer))
        if (!options.some((o) => o.key === key))
          issue(
            node,
            'quiz-answer-not-option',
            `answer "${key}" of quiz "${id ?? '?'}" is not one of its options (${options.map((o) => o.key).join(', ')})`,
          );
  }
  // answer=a,c: several options are right and the student picks all of them.
  const multiple = type === 'choice' && !!answer && answerKeys(answer).length > 1;
  if (id) {
    const quiz: Quiz = { id, type, options, line: lineOf(node).line };
    if (answer) quiz.answer = answer;
    if (stepId) quiz.stepId = stepId;
    outline.quizzes.push(quiz);
  }
  const question = {
    type: SYNTHETIC,
    data: { hName: 'div', hProperties: { className: ['dy-quiz-question'] } },
    children: label ? [label, ...children] : [...children],
  } as unknown as RootContent;
  node.children = (optionsList ? [question, optionsList] : [question]) as ContainerDirective['children'];
  // The answer stays in the outline only.
  node.attributes = {};
  node.data = {
    hName: 'div',
    hProperties: {
      className: ['dy-quiz'],
      dataQuizId: id ?? '',
      dataQuizType: type,
      ...(multiple ? { dataQuizMultiple: '' } : {}),
    },
  };
  return node;
}

/** The option keys of a choice answer: "b" or "a,c". */
export function answerKeys(answer: string): string[] {
  return answer
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
}

function optionKey(li: ListItem): string | undefined {
  const first = li.children[0];
  if (first?.type !== 'paragraph') return undefined;
  const text = first.children[0];
  if (text?.type !== 'text') return undefined;
  return OPTION_PREFIX.exec(text.value)?.[1];
}

function stripOptionPrefix(li: ListItem): void {
  const first = li.children[0] as Paragraph;
  const text = first.children[0];
  if (text?.type === 'text') text.value = text.value.replace(OPTION_PREFIX, '');
}

function codeHandler(_state: unknown, node: Code): Element {
  const meta = parseCodeMeta(node.meta);
  const lang = (node.lang ?? 'text').toLowerCase();
  const properties: Properties = { className: ['dy-code'], dataLang: lang };
  if (meta.run) properties.dataRun = '';
  if (meta.copy) properties.dataCopy = '';
  if (meta.file) properties.dataFile = meta.file;
  const code: Element = {
    type: 'element',
    tagName: 'code',
    properties: { className: [`language-${lang}`] },
    children: [{ type: 'text', value: node.value }],
  };
  return { type: 'element', tagName: 'pre', properties, children: [code], position: node.position };
}

/** The sanitize schema: GitHub's default plus exactly our classes and data attributes. */
export const sanitizeSchema: Schema = {
  ...defaultSchema,
  tagNames: [...(defaultSchema.tagNames ?? []), 'aside'],
  strip: ['script', 'style', 'iframe', 'object', 'embed', 'template', 'noscript', 'svg', 'math', 'title'],
  attributes: {
    ...defaultSchema.attributes,
    section: ['dataFootnotes', 'dataStepId', ['className', 'footnotes', 'dy-step']],
    div: [
      ...(defaultSchema.attributes?.div ?? []),
      'dataQuizId',
      'dataQuizType',
      'dataQuizMultiple',
      ['className', 'dy-quiz', 'dy-quiz-question'],
    ],
    ul: [
      'ariaDescribedBy',
      'ariaLabel',
      'ariaLabelledBy',
      ['className', 'contains-task-list', 'dy-quiz-options'],
    ],
    li: ['dataOption', ['className', 'task-list-item']],
    aside: [['className', 'dy-note', 'dy-warning']],
    details: [['className', 'dy-hint', 'dy-details']],
    pre: ['dataRun', 'dataCopy', 'dataFile', 'dataLang', ['className', 'dy-code']],
  },
};

export interface HastStages {
  /** Everything the author wrote, raw HTML parsed into elements. */
  raw: HastRoot;
  /** After sanitize: what may reach a browser. */
  clean: HastRoot;
}

const toHast = unified()
  .use(remarkRehype, { allowDangerousHtml: true, handlers: { code: codeHandler as never } })
  .use(rehypeRaw)
  .freeze();

export function toHastStages(mdast: MdastRoot): HastStages {
  const raw = toHast.runSync(structuredClone(mdast)) as HastRoot;
  const clean = sanitize(raw, sanitizeSchema) as HastRoot;
  undoDoubleClobber(clean);
  return { raw, clean };
}

const CLOBBER_PREFIX = 'user-content-';

/** remark-rehype already prefixes footnote ids; sanitize prefixes again. Keep one so links still work. */
function undoDoubleClobber(node: HastRoot | ElementContent): void {
  if (node.type === 'element') {
    for (const key of ['id', 'name'] as const) {
      const v = node.properties[key];
      if (typeof v === 'string' && v.startsWith(CLOBBER_PREFIX + CLOBBER_PREFIX))
        node.properties[key] = v.slice(CLOBBER_PREFIX.length);
    }
  }
  if ('children' in node) for (const c of node.children) undoDoubleClobber(c as ElementContent);
}

interface ElementEntry {
  el: Element;
  parentIndex: number;
  line: number;
  column: number;
}

function listElements(tree: HastRoot): ElementEntry[] {
  const out: ElementEntry[] = [];
  const walk = (
    nodes: readonly (ElementContent | HastRoot['children'][number])[],
    parentIndex: number,
    pos: { line: number; column: number },
  ) => {
    for (const n of nodes) {
      if (n.type !== 'element') continue;
      const here = n.position ? { line: n.position.start.line, column: n.position.start.column } : pos;
      out.push({ el: n, parentIndex, ...here });
      walk(n.children, out.length - 1, here);
    }
  };
  walk(tree.children, -1, { line: 1, column: 1 });
  return out;
}

function normalizedProps(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.properties ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    let s = Array.isArray(v) ? v.join(' ') : String(v);
    if (s.startsWith(CLOBBER_PREFIX)) s = s.slice(CLOBBER_PREFIX.length);
    out[k] = s;
  }
  return out;
}

function attributeName(prop: string): string {
  return find(html, prop).attribute;
}

/**
 * Compares the elements the author wrote with what survives sanitize, in document order.
 * Sanitize only drops elements or attributes, so a greedy walk pairs them up.
 */
export function sanitizeDiff(stages: HastStages, file: string): LintIssue[] {
  const before = listElements(stages.raw);
  const after = listElements(stages.clean);
  const issues: LintIssue[] = [];
  const removed = new Set<number>();
  let j = 0;
  before.forEach((b, i) => {
    const a = after[j];
    if (a && a.el.tagName === b.el.tagName) {
      j++;
      const pb = normalizedProps(b.el);
      const pa = normalizedProps(a.el);
      const changed = Object.keys(pb).filter((k) => pa[k] !== pb[k]);
      if (changed.length)
        issues.push({
          file,
          line: b.line,
          column: b.column,
          rule: 'unsafe-html',
          message: `<${b.el.tagName}> loses ${changed.map((k) => `${attributeName(k)}="${truncate(pb[k] ?? '')}"`).join(', ')} when sanitized; remove it`,
        });
      return;
    }
    removed.add(i);
    if (removed.has(b.parentIndex)) return;
    issues.push({
      file,
      line: b.line,
      column: b.column,
      rule: 'unsafe-html',
      message: `<${b.el.tagName}> is not allowed in lessons and is removed when sanitized`,
    });
  });
  return issues;
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
