// Shiki highlighting of sanitized `pre.dy-code` blocks. Bundled grammars only, JS regex engine: no wasm, no network.
import type { Element, ElementContent, Root } from 'hast';
import { createHighlighterCore, type HighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';

export const THEMES = { light: 'github-light', dark: 'github-dark' } as const;
export const LANGUAGES = ['bash', 'shellscript', 'dockerfile', 'yaml', 'json', 'c', 'go', 'ini'] as const;

let highlighter: Promise<HighlighterCore> | undefined;

function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= createHighlighterCore({
    themes: [import('@shikijs/themes/github-light'), import('@shikijs/themes/github-dark')],
    langs: [
      import('@shikijs/langs/bash'),
      import('@shikijs/langs/shellscript'),
      import('@shikijs/langs/dockerfile'),
      import('@shikijs/langs/yaml'),
      import('@shikijs/langs/json'),
      import('@shikijs/langs/c'),
      import('@shikijs/langs/go'),
      import('@shikijs/langs/ini'),
    ],
    engine: createJavaScriptRegexEngine(),
  });
  return highlighter;
}

function textContent(node: ElementContent): string {
  if (node.type === 'text') return node.value;
  if (node.type === 'element') return node.children.map(textContent).join('');
  return '';
}

/** Replaces the children of every `pre.dy-code` with shiki's tokens; our pre attributes stay. */
export async function highlightTree(tree: Root): Promise<void> {
  const hl = await getHighlighter();
  const loaded = new Set(hl.getLoadedLanguages());
  const visit = (node: Root | Element) => {
    for (const child of node.children) {
      if (child.type !== 'element') continue;
      const classes = child.properties.className;
      if (child.tagName === 'pre' && Array.isArray(classes) && classes.includes('dy-code')) {
        highlightPre(hl, child, loaded);
        continue;
      }
      visit(child);
    }
  };
  visit(tree);
}

function highlightPre(hl: HighlighterCore, pre: Element, loaded: Set<string>): void {
  const wanted = String(pre.properties.dataLang ?? 'text');
  const lang = loaded.has(wanted) ? wanted : 'text';
  const code = pre.children.map(textContent).join('');
  const out = hl.codeToHast(code, { lang, themes: THEMES, defaultColor: false });
  const shikiPre = out.children.find((c): c is Element => c.type === 'element' && c.tagName === 'pre');
  if (!shikiPre) return;
  const cls = shikiPre.properties.className ?? shikiPre.properties.class;
  const shikiClasses = Array.isArray(cls) ? cls : typeof cls === 'string' ? cls.split(/\s+/) : [];
  pre.properties = {
    ...pre.properties,
    className: ['dy-code', ...shikiClasses.map(String)],
    style: shikiPre.properties.style,
  };
  pre.children = shikiPre.children;
}

/** Grammar names and aliases the highlighter knows. */
export async function loadedLanguages(): Promise<string[]> {
  return (await getHighlighter()).getLoadedLanguages();
}
