import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../e2e/fixtures/lessons/e2e-first-steps',
);
let dataDir: string;
let drafts: typeof import('../lib/instructor/drafts');

function files(): Record<string, Buffer> {
  return {
    'lesson.yaml': fs.readFileSync(path.join(fixture, 'lesson.yaml')),
    'en.md': fs.readFileSync(path.join(fixture, 'en.md')),
    'zh-CN.md': fs.readFileSync(path.join(fixture, 'zh-CN.md')),
    'solutions/run-something.sh': fs.readFileSync(path.join(fixture, 'solutions/run-something.sh')),
  };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-web-drafts-'));
  process.env.DOCKYARD_DATA_DIR = dataDir;
  drafts = await import('../lib/instructor/drafts');
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const origin = { userId: 'u1', source: 'upload' as const, sourceName: 'lesson.zip' };

describe('lesson drafts', () => {
  it('keeps a broken draft with its lint issues per file:line and will not publish it', async () => {
    const broken = files();
    broken['lesson.yaml'] = Buffer.from(
      String(broken['lesson.yaml']).replace('minutes: 5', 'minutes: 5\ncolour: blue'),
    );
    const draft = await drafts.saveDraft('e2e-first-steps', broken, origin);
    expect(draft.result.issues).toContainEqual(
      expect.objectContaining({ file: 'e2e-first-steps/lesson.yaml', rule: 'unknown-key', line: 9 }),
    );
    await expect(drafts.publishDraft('e2e-first-steps', new Set())).rejects.toMatchObject({
      code: 'has-errors',
    });
    expect(fs.existsSync(path.join(drafts.publishedRoot, 'e2e-first-steps'))).toBe(false);
  });

  it('replaces the draft with a fixed upload and publishes it next to the course', async () => {
    const draft = await drafts.saveDraft('e2e-first-steps', files(), origin);
    expect(draft.result.issues).toEqual([]);
    await expect(drafts.publishDraft('e2e-first-steps', new Set(['e2e-first-steps']))).rejects.toMatchObject({
      code: 'id-taken',
    });
    const meta = await drafts.publishDraft('e2e-first-steps', new Set());
    expect(meta.publishedAt).not.toBeNull();
    expect(fs.readdirSync(path.join(drafts.publishedRoot, 'e2e-first-steps')).sort()).toEqual([
      'en.md',
      'lesson.yaml',
      'solutions',
      'zh-CN.md',
    ]);
    expect((await drafts.listDrafts()).map((d) => d.id)).toEqual(['e2e-first-steps']);
    // Nothing left beside the drafts and published lessons.
    expect(fs.readdirSync(drafts.draftsRoot)).toEqual(['e2e-first-steps']);
    expect(fs.readdirSync(drafts.publishedRoot)).toEqual(['e2e-first-steps']);
  });

  it('refuses paths that leave the lesson folder even if a caller skipped the archive checks', async () => {
    await expect(
      drafts.saveDraft('e2e-first-steps', { ...files(), '../escape.sh': Buffer.from('x') }, origin),
    ).rejects.toThrow();
    expect(fs.existsSync(path.join(drafts.draftsRoot, 'escape.sh'))).toBe(false);
    expect(await drafts.getDraft('../etc')).toBeNull();
  });
});
