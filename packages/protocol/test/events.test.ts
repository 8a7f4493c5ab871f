import { describe, expect, it } from 'vitest';
import {
  boxPathSchema,
  checkResultSchema,
  labLeaveResultSchema,
  labLeaveSchema,
  labStatusSchema,
  quizCheckRequestSchema,
  terminalOpenSchema,
  terminalResizeSchema,
} from '../src/index.js';

describe('terminal events', () => {
  it('accepts a sane resize', () => {
    expect(terminalResizeSchema.parse({ terminalId: 't0', rows: 24, cols: 80 })).toEqual({
      terminalId: 't0',
      rows: 24,
      cols: 80,
    });
  });

  it.each([
    { terminalId: 't0', rows: 0, cols: 80 },
    { terminalId: 't0', rows: 24, cols: 100_000 },
    { terminalId: 't0', rows: 24.5, cols: 80 },
    { terminalId: 't0', rows: -1, cols: 80 },
    { terminalId: '../x', rows: 24, cols: 80 },
    { terminalId: 't0', rows: '24', cols: 80 },
  ])('rejects a bad resize %o', (payload) => {
    expect(terminalResizeSchema.safeParse(payload).success).toBe(false);
  });

  it('requires bounds when opening a terminal too', () => {
    expect(terminalOpenSchema.safeParse({ terminalId: 't1', rows: 1, cols: 80 }).success).toBe(false);
  });
});

describe('check results', () => {
  it('require a message in both languages', () => {
    const result = {
      lessonId: 'l',
      stepId: 's',
      passed: false,
      results: [{ checkId: 'c', kind: 'process', passed: false, message: { en: 'no process' } }],
    };
    expect(checkResultSchema.safeParse(result).success).toBe(false);
    result.results[0] = { ...result.results[0], message: { 'zh-CN': '没有进程', en: 'no process' } } as never;
    expect(checkResultSchema.safeParse(result).success).toBe(true);
  });
});

describe('box paths', () => {
  it.each(['relative/x', '/etc/../root', '/a\0b', ''])('rejects %j', (p) => {
    expect(boxPathSchema.safeParse(p).success).toBe(false);
  });
  it('accepts absolute paths', () => {
    expect(boxPathSchema.parse('/root/app/Dockerfile')).toBe('/root/app/Dockerfile');
  });
});

describe('quiz check requests', () => {
  it('accept a choice list or a text answer, nothing else', () => {
    const base = { lessonId: 'l', stepId: 's', quizId: 'q' };
    expect(quizCheckRequestSchema.safeParse({ ...base, answer: ['a', 'c'] }).success).toBe(true);
    expect(quizCheckRequestSchema.safeParse({ ...base, answer: 'cgroup' }).success).toBe(true);
    expect(quizCheckRequestSchema.safeParse({ ...base, answer: 3 }).success).toBe(false);
  });
});

describe('leaving a lab', () => {
  it('takes an empty payload and answers how many boxes stopped and whether work was saved', () => {
    expect(labLeaveSchema.parse({})).toEqual({});
    expect(() => labLeaveSchema.parse({ owner: 'someone-else' })).toThrow();
    expect(labLeaveResultSchema.parse({ stopped: 1, saved: true })).toEqual({ stopped: 1, saved: true });
    expect(() => labLeaveResultSchema.parse({ stopped: -1, saved: true })).toThrow();
  });

  it('says why a box stopped', () => {
    expect(labStatusSchema.parse({ state: 'stopped', reason: 'died' }).reason).toBe('died');
    expect(() => labStatusSchema.parse({ state: 'stopped', reason: 'bored' })).toThrow();
  });
});
