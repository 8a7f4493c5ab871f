import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { readLessonFiles, renderLesson } from '../src/index.js';
import { BASE_EN, BASE_YAML, BASE_ZH } from './helpers.js';

const files = {
  'lesson.yaml': BASE_YAML,
  'zh-CN.md': BASE_ZH,
  'en.md': BASE_EN,
  'solutions/first.sh': 'sleep 1000 &\n',
  'solutions/second.sh': new TextEncoder().encode('touch /tmp/x\n'),
};

const leftovers = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('dockyard-lesson-'));

describe('readLessonFiles', () => {
  it('checks and loads a lesson given as files, and leaves nothing behind', async () => {
    const before = await leftovers();
    const { lesson, issues } = await readLessonFiles('base-lesson', files);
    expect(issues).toEqual([]);
    expect(lesson?.steps.map((s) => s.id)).toEqual(['first', 'second', 'third']);
    if (!lesson) throw new Error('not loaded');
    expect((await renderLesson(lesson, 'en')).steps).toHaveLength(3);
    expect(await leftovers()).toEqual(before);
  });

  it('reports lint issues with paths inside the folder', async () => {
    const { issues } = await readLessonFiles('base-lesson', {
      ...files,
      'en.md': `${BASE_EN}\n<script>x</script>\n`,
    });
    expect(issues).toEqual([expect.objectContaining({ file: 'base-lesson/en.md', rule: 'unsafe-html' })]);
  });

  it('refuses paths outside the folder and bad folder names', async () => {
    await expect(readLessonFiles('base-lesson', { ...files, '../escape.sh': 'x' })).rejects.toThrow(
      /inside the lesson folder/,
    );
    await expect(readLessonFiles('base-lesson', { ...files, '/etc/passwd': 'x' })).rejects.toThrow();
    await expect(readLessonFiles('../up', files)).rejects.toThrow(/kebab-case/);
  });
});
