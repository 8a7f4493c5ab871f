import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadLesson, readLesson, renderLesson } from '../src/index.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('renderLesson', () => {
  it('renders the valid lesson in both languages with steps and quizzes', async () => {
    const lesson = await loadLesson(path.join(fixtures, 'course/pid-namespace'));
    const en = await renderLesson(lesson, 'en');
    const zh = await renderLesson(lesson, 'zh-CN');
    expect(en.title).toBe('PID namespaces');
    expect(zh.title).toBe('PID 命名空间');
    expect(zh.summary).toBe('用 unshare 创建新的 PID 命名空间。');
    expect(en.steps.map((s) => s.id)).toEqual(['new-pid-ns', 'mount-proc', 'why-fork']);
    expect(zh.steps.map((s) => s.title)).toEqual([
      '第一步：新的 PID 命名空间',
      '第二步：挂载 /proc',
      '第三步：为什么要 -f',
    ]);
    expect(en.html).toContain('<section class="dy-step" data-step-id="new-pid-ns">');
    expect(en.steps[0]?.html).toContain('Click "Check" when done.');
    expect(en.html).toContain('<aside class="dy-note"><p>PID namespaces can be nested.</p></aside>');
    expect(en.html).toMatch(/<details class="dy-hint"><summary>Hint<\/summary><p>Stuck\?/);
    expect(zh.html).toMatch(/<details class="dy-hint"><summary>提示<\/summary>/);
    // prose colons are not directives
    expect(en.html).toContain('Note:this colon is not a directive.');

    expect(en.quizzes).toEqual([
      {
        id: 'q1',
        type: 'choice',
        multiple: false,
        questionHtml: '<p>What happens with <code>unshare -p</code> but without <code>-f</code>?</p>',
        options: [
          { key: 'a', html: 'Nothing different' },
          { key: 'b', html: 'unshare itself stays outside; its first child becomes PID 1' },
          { key: 'c', html: 'An error' },
        ],
      },
      {
        id: 'q2',
        type: 'text',
        multiple: false,
        questionHtml: '<p>In one sentence, what is special about PID 1?</p>',
        options: [],
      },
    ]);
    expect(en.html).toContain('<div class="dy-quiz" data-quiz-id="q1" data-quiz-type="choice">');
    expect(en.html).toContain('<li data-option="b">');
  });

  it('highlights a bash block with shiki and keeps run/copy/file as data attributes', async () => {
    const lesson = await loadLesson(path.join(fixtures, 'course/pid-namespace'));
    const { steps } = await renderLesson(lesson, 'en');
    const first = steps[0]?.html ?? '';
    expect(first).toMatch(
      /<pre class="dy-code shiki shiki-themes github-light github-dark" data-lang="bash" data-run="" data-copy=""/,
    );
    // shiki tokens with both theme colours
    expect(first).toMatch(
      /<span class="line"><span style="--shiki-light:#[0-9A-Fa-f]{6};--shiki-dark:#[0-9A-Fa-f]{6}">unshare<\/span>/,
    );
    const second = steps[1]?.html ?? '';
    expect(second).toMatch(/<pre class="dy-code[^"]*" data-lang="ini" data-file="\/etc\/demo.conf"/);
    expect(second).not.toMatch(/data-lang="ini"[^>]*data-run/);
  });

  it('never puts quiz answers in the output', async () => {
    const root = path.join(fixtures, 'course/pid-namespace');
    const lesson = await loadLesson(root);
    // a text quiz answer is a distinctive word; the choice answer is an attribute we must not leak
    lesson.markdown.en.source = lesson.markdown.en.source.replace(
      ':::quiz{#q2 type=text}',
      ':::quiz{#q2 type=text answer=zebra-secret-42}',
    );
    const out = await renderLesson(lesson, 'en');
    const everything = JSON.stringify(out);
    expect(everything).not.toContain('zebra-secret-42');
    expect(everything).not.toMatch(/answer/i);
    // every option renders the same way: nothing marks the right one
    expect(out.html).toMatch(/<li data-option="a">Nothing different<\/li>/);
    expect(out.html).toMatch(/<li data-option="b">unshare itself/);
    // while the loaded model keeps them for grading
    expect(lesson.markdown.en.outline.quizzes.find((q) => q.id === 'q1')?.answer).toBe('b');
  });

  it('marks quizzes with several right options, without saying which', async () => {
    const lesson = await loadLesson(path.join(fixtures, 'course/pid-namespace'));
    lesson.markdown.en.source = lesson.markdown.en.source.replace('answer=b}', 'answer=a,c}');
    const out = await renderLesson(lesson, 'en');
    expect(out.quizzes[0]?.multiple).toBe(true);
    expect(out.html).toContain(
      '<div class="dy-quiz" data-quiz-id="q1" data-quiz-type="choice" data-quiz-multiple="">',
    );
    expect(out.html).not.toMatch(/a,c/);
  });

  it('maps relative image paths through assetUrl and leaves absolute ones alone', async () => {
    const lesson = await loadLesson(path.join(fixtures, 'course/pid-namespace'));
    lesson.markdown.en.source += '\n![tree](./img/tree.png) ![x](https://example.invalid/x.png)\n';
    const out = await renderLesson(lesson, 'en', { assetUrl: (p) => `/assets/pid-namespace/${p}` });
    expect(out.html).toContain('<img src="/assets/pid-namespace/img/tree.png" alt="tree">');
    expect(out.html).toContain('<img src="https://example.invalid/x.png" alt="x">');
  });
});

describe('XSS payloads', () => {
  const dir = path.join(fixtures, 'xss/xss-lesson');

  it('are stripped from the rendered HTML in both languages', async () => {
    const { lesson } = await readLesson(dir);
    if (!lesson) throw new Error('xss fixture did not load');
    for (const locale of ['en', 'zh-CN'] as const) {
      const out = await renderLesson(lesson, locale);
      const html = [out.html, ...out.steps.map((s) => s.html)].join('\n');
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<(iframe|svg|math|object|embed|style|form|button)\b/i);
      // no event handler attributes on any tag
      expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
      // no script-capable URLs in attributes
      expect(html).not.toMatch(
        /(href|src|action|formaction|xlink:href)\s*=\s*"?\s*(javascript|data|vbscript):/i,
      );
      expect(html).not.toContain('background:url');
      for (const marker of [
        'xss-script',
        'xss-img',
        'xss-link',
        'xss-svg',
        'xss-xlink',
        'xss-mxss',
        'xss-style',
        'xss-form',
        'xss-onclick',
        'xss-note',
      ])
        expect(html, marker).not.toMatch(new RegExp(`<[^>]*${marker}`));
      // what remains readable stays: link text, note text, escaped code
      expect(html).toContain('<a>click me</a>');
      expect(html).toContain('in a note');
      expect(html).toContain('&#x3C;script>');
      // the summary attribute is text, escaped
      expect(html).toContain("<summary>&#x3C;img src=x onerror=alert('xss-summary')></summary>");
      // yaml title is text for the app to escape; it is not HTML output
      expect(out.title).toBe("<script>alert('xss-title')</script>");
    }
  });

  it('are flagged by lint at their lines', async () => {
    const { issues } = await readLesson(dir);
    const unsafe = issues.filter((i) => i.rule === 'unsafe-html' && i.file === 'xss-lesson/en.md');
    const lines = [...new Set(unsafe.map((i) => i.line))];
    expect(lines).toEqual([3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 30, 31]);
    expect(unsafe.find((i) => i.line === 31)?.message).toMatch(/href="javascript:.*onclick=/);
    const zhLines = issues
      .filter((i) => i.rule === 'unsafe-html' && i.file === 'xss-lesson/zh-CN.md')
      .map((i) => i.line);
    expect(new Set(zhLines)).toEqual(new Set(lines));
  });
});

describe('code languages', () => {
  it('lint accepts exactly what the highlighter loads', async () => {
    const { CODE_LANGUAGES } = await import('../src/markdown.js');
    const { loadedLanguages } = await import('../src/highlight.js');
    const loaded = new Set([...(await loadedLanguages()), 'text', 'txt', 'plaintext']);
    expect([...CODE_LANGUAGES].filter((l) => !loaded.has(l))).toEqual([]);
  });
});

describe('ordinary Markdown', () => {
  it('renders GFM and harmless HTML without lint findings', async () => {
    const { prepareMarkdown, sanitizeDiff, toHastStages } = await import('../src/markdown.js');
    const { renderMarkdown } = await import('../src/index.js');
    const { toHtml } = await import('hast-util-to-html');
    const source = [
      '| a | b |',
      '| - | - |',
      '| 1 | 2 |',
      '',
      '- [x] done',
      '- [ ] todo',
      '',
      'Press <kbd>Ctrl</kbd>+<kbd>D</kbd>, ~~old~~, see https://example.invalid and a note[^n].',
      '',
      '[^n]: The note.',
      '',
    ].join('\n');
    const prepared = prepareMarkdown(source, 'x/en.md', 'en');
    expect(prepared.issues).toEqual([]);
    expect(sanitizeDiff(toHastStages(prepared.mdast), 'x/en.md')).toEqual([]);
    const html = toHtml(await renderMarkdown(source, 'en'));
    expect(html).toContain('<table>');
    expect(html).toContain('<input type="checkbox" checked disabled>');
    expect(html).toContain('<kbd>Ctrl</kbd>');
    expect(html).toContain('<del>old</del>');
    expect(html).toContain('<a href="https://example.invalid">');
    // footnote links still point at their targets after sanitize's id prefixing
    const href = /href="#(user-content-fn-n)"/.exec(html)?.[1];
    expect(href).toBeDefined();
    expect(html).toContain(`id="${href}"`);
  });
});
