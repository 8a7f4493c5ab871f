import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../messages');
const load = (locale: string) => JSON.parse(fs.readFileSync(path.join(dir, `${locale}.json`), 'utf8'));

function leafKeys(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) =>
      leafKeys(child, prefix ? `${prefix}.${key}` : key),
    );
  }
  return [prefix];
}

describe('UI messages', () => {
  const zh = load('zh-CN');
  const en = load('en');

  it('have exactly the same keys in zh-CN and en', () => {
    expect(leafKeys(zh).sort()).toEqual(leafKeys(en).sort());
  });

  it('have no empty strings', () => {
    for (const messages of [zh, en]) {
      const empty = leafKeys(messages).filter((key) => {
        const value = key.split('.').reduce((node, part) => node[part], messages);
        return typeof value !== 'string' || value.trim() === '';
      });
      expect(empty).toEqual([]);
    }
  });

  it('use the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)/g)].map((m) => m[1]).sort();
    for (const key of leafKeys(en)) {
      const get = (messages: Record<string, unknown>) =>
        key
          .split('.')
          .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], messages) as string;
      expect(placeholders(get(zh)), key).toEqual(placeholders(get(en)));
    }
  });
});
