import { describe, expect, it } from 'vitest';
import { applyResult } from '../../src/containers/health-monitor.js';
import {
  formatDuration,
  type HealthConfig,
  healthcheckFromFlags,
  mergeHealthcheck,
  parseDuration,
  probeCommand,
  validateHealthcheck,
} from '../../src/containers/healthcheck.js';

const hc = (o: Partial<HealthConfig> = {}): HealthConfig => ({
  test: ['CMD-SHELL', 'true'],
  interval: 0,
  timeout: 0,
  startPeriod: 0,
  startInterval: 0,
  retries: 0,
  ...o,
});

const result = (start: string, exitCode: number) => ({ start, end: start, exitCode, output: '' });

describe('health check configuration', () => {
  it('parses and prints Go durations', () => {
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('500ms')).toBe(5e8);
    expect(parseDuration('1.5s')).toBe(1.5e9);
    expect(parseDuration('-2s')).toBe(-2e9);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(formatDuration(3e8)).toBe('300ms');
    expect(formatDuration(30e9)).toBe('30s');
    expect(formatDuration(90e9)).toBe('1m30s');
    expect(formatDuration(3600e9)).toBe('1h0m0s');
    expect(formatDuration(1e6)).toBe('1ms');
  });

  it('merges the request over the image field by field, as dockerd does', () => {
    const image = { Test: ['CMD', 'curl', '-f', 'http://localhost/'], Interval: 5e9, Retries: 4 };
    expect(mergeHealthcheck(image, undefined)).toEqual(
      hc({ test: ['CMD', 'curl', '-f', 'http://localhost/'], interval: 5e9, retries: 4 }),
    );
    expect(mergeHealthcheck(image, { Interval: 1e9 })).toEqual(
      hc({ test: ['CMD', 'curl', '-f', 'http://localhost/'], interval: 1e9, retries: 4 }),
    );
    expect(mergeHealthcheck(image, { Test: ['NONE'] })?.test).toEqual(['NONE']);
    expect(mergeHealthcheck(undefined, { Interval: 1e9 })).toBeUndefined();
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
  });

  it('runs CMD as given, CMD-SHELL through /bin/sh -c, and nothing for NONE', () => {
    expect(probeCommand(hc({ test: ['CMD', 'test', '-f', '/x'] }))).toEqual(['test', '-f', '/x']);
    expect(probeCommand(hc({ test: ['CMD-SHELL', 'test -f /x'] }))).toEqual(['/bin/sh', '-c', 'test -f /x']);
    expect(probeCommand(hc({ test: ['NONE'] }))).toBeUndefined();
  });

  it("refuses what dockerd refuses, with dockerd's text", () => {
    expect(() => validateHealthcheck({ Interval: 999_999 })).toThrow(
      'Interval in Healthcheck cannot be less than 1ms',
    );
    expect(() => validateHealthcheck({ StartPeriod: -1 })).toThrow(
      'StartPeriod in Healthcheck cannot be less than 1ms',
    );
    expect(() => validateHealthcheck({ Retries: -1 })).toThrow('Retries in Healthcheck cannot be negative');
    expect(() => validateHealthcheck({ Test: ['BOGUS', 'x'] })).toThrow('unknown Healthcheck type');
    expect(() => validateHealthcheck({ Test: ['CMD', 'true'], Interval: 1e6, Timeout: 0 })).not.toThrow();
    expect(() => healthcheckFromFlags({ healthInterval: '-1s' })).toThrow(
      '--health-interval cannot be negative',
    );
    expect(healthcheckFromFlags({ healthcheck: false })).toEqual({ Test: ['NONE'] });
    expect(healthcheckFromFlags({ healthcheck: true })).toBeUndefined();
    expect(healthcheckFromFlags({ healthCmd: 'true', healthRetries: '2' })).toMatchObject({
      Test: ['CMD-SHELL', 'true'],
      Retries: 2,
    });
  });
});

describe('health results (dockerd handleProbeResult)', () => {
  const started = '2026-01-01T00:00:00.000Z';
  it('counts failures up to retries, resets on success, keeps the last 5 results', () => {
    const c = hc({ retries: 2 });
    let h = applyResult(undefined, c, started, result('2026-01-01T00:00:01.000Z', 1));
    expect(h).toMatchObject({ status: 'starting', failingStreak: 1 });
    h = applyResult(h, c, started, result('2026-01-01T00:00:02.000Z', 1));
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 2 });
    h = applyResult(h, c, started, result('2026-01-01T00:00:03.000Z', 0));
    expect(h).toMatchObject({ status: 'healthy', failingStreak: 0 });
    for (let i = 4; i < 10; i++) h = applyResult(h, c, started, result(`2026-01-01T00:00:0${i}.000Z`, 0));
    expect(h.log).toHaveLength(5);
    expect(h.log.at(-1)?.start).toBe('2026-01-01T00:00:09.000Z');
  });

  it('does not count failures inside the start period while starting', () => {
    const c = hc({ retries: 1, startPeriod: 10e9 });
    let h = applyResult(undefined, c, started, result('2026-01-01T00:00:05.000Z', 1));
    expect(h).toMatchObject({ status: 'starting', failingStreak: 0 });
    h = applyResult(h, c, started, result('2026-01-01T00:00:11.000Z', 1));
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 1 });
    // Once healthy, the start period no longer shields failures.
    const healthy = applyResult(undefined, c, started, result('2026-01-01T00:00:01.000Z', 0));
    expect(applyResult(healthy, c, started, result('2026-01-01T00:00:02.000Z', 1)).status).toBe('unhealthy');
  });
});
