// Lesson → sanitized, highlighted HTML for one locale, plus its steps and quizzes (never their answers).
import type { Element, ElementContent, Root } from 'hast';
import { toHtml } from 'hast-util-to-html';
import { highlightTree } from './highlight.js';
import { prepareMarkdown, toHastStages } from './markdown.js';
import type { Locale } from './schema.js';
import type { Lesson } from './types.js';

export interface RenderedStep {
  id: string;
  title: string;
  html: string;
}

export interface RenderedQuiz {
  id: string;
  type: 'choice' | 'text';
  /** Several options are right (answer=a,c); the student selects all of them. */
  multiple: boolean;
  questionHtml: string;
  options: { key: string; html: string }[];
}

export interface RenderedLesson {
  title: string;
  summary: string;
  html: string;
  steps: RenderedStep[];
  quizzes: RenderedQuiz[];
}

export interface RenderOptions {
  /** Maps a relative image path in the lesson folder to the URL the app serves it at. */
  assetUrl?: (relativePath: string) => string;
}

export async function renderMarkdown(
  source: string,
  locale: Locale,
  options: RenderOptions = {},
): Promise<Root> {
  const { mdast } = prepareMarkdown(source, `${locale}.md`, locale);
  const { clean } = toHastStages(mdast);
  await highlightTree(clean);
  if (options.assetUrl) rewriteAssets(clean, options.assetUrl);
  return clean;
}

export async function renderLesson(
  lesson: Lesson,
  locale: Locale,
  options: RenderOptions = {},
): Promise<RenderedLesson> {
  const tree = await renderMarkdown(lesson.markdown[locale].source, locale, options);
  const steps: RenderedStep[] = [];
  const quizzes: RenderedQuiz[] = [];
  walk(tree, (el) => {
    if (el.tagName === 'section' && hasClass(el, 'dy-step')) {
      const heading = findFirst(el, (e) => /^h[1-6]$/.test(e.tagName));
      steps.push({
        id: String(el.properties.dataStepId ?? ''),
        title: heading ? text(heading).trim() : '',
        html: toHtml(el.children),
      });
    }
    if (el.tagName === 'div' && hasClass(el, 'dy-quiz')) {
      const question = findFirst(el, (e) => hasClass(e, 'dy-quiz-question'));
      const list = findFirst(el, (e) => hasClass(e, 'dy-quiz-options'));
      const options = (list?.children ?? [])
        .filter((c): c is Element => c.type === 'element' && c.tagName === 'li')
        .map((li) => ({ key: String(li.properties.dataOption ?? ''), html: toHtml(li.children).trim() }));
      quizzes.push({
        id: String(el.properties.dataQuizId ?? ''),
        type: el.properties.dataQuizType === 'text' ? 'text' : 'choice',
        multiple: el.properties.dataQuizMultiple !== undefined,
        questionHtml: question ? toHtml(question.children).trim() : '',
        options,
      });
    }
  });
  return {
    title: lesson.title[locale],
    summary: lesson.summary[locale],
    html: toHtml(tree),
    steps,
    quizzes,
  };
}

function hasClass(el: Element, cls: string): boolean {
  const c = el.properties.className;
  return Array.isArray(c) && c.includes(cls);
}

function walk(node: Root | Element, fn: (el: Element) => void): void {
  for (const c of node.children) {
    if (c.type !== 'element') continue;
    fn(c);
    walk(c, fn);
  }
}

function findFirst(node: Element, pred: (el: Element) => boolean): Element | undefined {
  for (const c of node.children) {
    if (c.type !== 'element') continue;
    if (pred(c)) return c;
    const deep = findFirst(c, pred);
    if (deep) return deep;
  }
  return undefined;
}

function text(node: ElementContent): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'element') return node.children.map(text).join('');
  return '';
}

const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/|#)/i;

function rewriteAssets(tree: Root, assetUrl: (p: string) => string): void {
  walk(tree, (el) => {
    const src = el.properties.src;
    if (el.tagName === 'img' && typeof src === 'string' && !ABSOLUTE.test(src))
      el.properties.src = assetUrl(src.replace(/^\.\//, ''));
  });
}
