import { z } from 'zod';
import { DockyardError } from '../errors.js';

/** Docker's defaults (nanoseconds) for fields left at 0. */
export const HEALTH_DEFAULTS = {
  interval: 30e9,
  timeout: 30e9,
  startPeriod: 0,
  startInterval: 5e9,
  retries: 3,
} as const;
/** Docker keeps this many results and this much output per result. */
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_MAX = 4096;
/** Below this (except 0, "inherit/default") a duration is refused, as dockerd does. */
const MINIMUM_DURATION_NS = 1e6;

/** The container's health check as configured (image merged with the create request; 0 = default). */
export const HealthConfigSchema = z.object({
  test: z.array(z.string()),
  interval: z.number().int().default(0),
  timeout: z.number().int().default(0),
  startPeriod: z.number().int().default(0),
  startInterval: z.number().int().default(0),
  retries: z.number().int().default(0),
});
export type HealthConfig = z.infer<typeof HealthConfigSchema>;

export const HealthStatusSchema = z.enum(['starting', 'healthy', 'unhealthy']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;

export const HealthResultSchema = z.object({
  start: z.string(),
  end: z.string(),
  exitCode: z.number().int(),
  output: z.string(),
});
export type HealthResult = z.infer<typeof HealthResultSchema>;

export const HealthStateSchema = z.object({
  status: HealthStatusSchema,
  failingStreak: z.number().int().default(0),
  log: z.array(HealthResultSchema).default([]),
});
export type HealthState = z.infer<typeof HealthStateSchema>;

/** Docker's Healthcheck object (API bodies and image configs), durations in nanoseconds. */
export const ApiHealthcheckSchema = z.looseObject({
  Test: z.array(z.string()).nullish(),
  Interval: z.number().int().nullish(),
  Timeout: z.number().int().nullish(),
  StartPeriod: z.number().int().nullish(),
  StartInterval: z.number().int().nullish(),
  Retries: z.number().int().nullish(),
});
export type ApiHealthcheck = z.infer<typeof ApiHealthcheckSchema>;

/** dockerd's validateHealthCheck, with its messages (the API answers them with 400). */
export function validateHealthcheck(h: ApiHealthcheck | null | undefined): void {
  if (!h) return;
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const v = h[key] ?? 0;
    if (v !== 0 && v < MINIMUM_DURATION_NS)
      throw new DockyardError(
        `Error response from daemon: ${key} in Healthcheck cannot be less than ${formatDuration(MINIMUM_DURATION_NS)}`,
      );
  }
  if ((h.Retries ?? 0) < 0)
    throw new DockyardError('Error response from daemon: Retries in Healthcheck cannot be negative');
  const kind = h.Test?.[0];
  if (kind !== undefined && !['NONE', 'CMD', 'CMD-SHELL'].includes(kind))
    throw new DockyardError(
      `Error response from daemon: unknown Healthcheck type "${kind}" (use CMD, CMD-SHELL or NONE)`,
    );
  if ((kind === 'CMD' || kind === 'CMD-SHELL') && (h.Test?.length ?? 0) < 2)
    throw new DockyardError(`Error response from daemon: Healthcheck ${kind} needs a command`);
}

/**
 * Docker's merge (daemon/commit.go): the request's check overrides the image's field by field; an empty Test
 * and zero durations inherit. Returns undefined when neither has one.
 */
export function mergeHealthcheck(
  image: ApiHealthcheck | null | undefined,
  request: ApiHealthcheck | null | undefined,
): HealthConfig | undefined {
  if (!image && !request) return undefined;
  const pick = (k: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval' | 'Retries') =>
    request?.[k] || image?.[k] || 0;
  const test = request?.Test?.length ? request.Test : (image?.Test ?? []);
  if (!test.length) return undefined;
  return {
    test,
    interval: pick('Interval'),
    timeout: pick('Timeout'),
    startPeriod: pick('StartPeriod'),
    startInterval: pick('StartInterval'),
    retries: pick('Retries'),
  };
}

/** The process a check runs, or undefined when it is disabled (NONE) or unusable. */
export function probeCommand(h: HealthConfig): string[] | undefined {
  const [kind, ...rest] = h.test;
  if (kind === 'CMD' && rest.length) return rest;
  if (kind === 'CMD-SHELL' && rest.length) return ['/bin/sh', '-c', rest.join(' ')];
  return undefined;
}

export const isHealthEnabled = (h: HealthConfig | undefined): h is HealthConfig =>
  !!h && probeCommand(h) !== undefined;

/** Inspect's Config.Healthcheck: only the fields set, as Docker's omitempty does. */
export function apiHealthcheck(h: HealthConfig): Record<string, unknown> {
  return {
    Test: h.test,
    ...(h.interval ? { Interval: h.interval } : {}),
    ...(h.timeout ? { Timeout: h.timeout } : {}),
    ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}),
    ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
    ...(h.retries ? { Retries: h.retries } : {}),
  };
}

/** Inspect's State.Health. */
export function apiHealthState(h: HealthState): Record<string, unknown> {
  return {
    Status: h.status,
    FailingStreak: h.failingStreak,
    Log: h.log.map((r) => ({ Start: r.start, End: r.end, ExitCode: r.exitCode, Output: r.output })),
  };
}

/** The suffix `docker ps` puts after "Up 5 seconds". */
export function healthSuffix(h: HealthState | undefined): string {
  if (!h) return '';
  return h.status === 'starting' ? ' (health: starting)' : ` (${h.status})`;
}

/** What `ps --filter health=` compares with: starting, healthy, unhealthy or none. */
export const healthFilterValue = (h: HealthState | undefined): string => h?.status ?? 'none';
export const HEALTH_FILTER_VALUES = new Set(['starting', 'healthy', 'unhealthy', 'none']);

export function checkHealthFilter(value: string): void {
  if (!HEALTH_FILTER_VALUES.has(value))
    throw new DockyardError(`Error response from daemon: Unrecognised filter value for health: ${value}`);
}

const UNITS_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration (`1m30s`, `500ms`, `-2s`, `0`), in nanoseconds; undefined when invalid. */
export function parseDuration(s: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(s) as RegExpExecArray;
  const body = m[2] as string;
  if (body === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let p = re.exec(body); p; p = re.exec(body)) {
    total += Number(p[1]) * (UNITS_NS[p[2] as string] as number);
    pos = re.lastIndex;
  }
  if (!body.length || pos !== body.length) return undefined;
  return Math.round(m[1] === '-' ? -total : total);
}

/** Go's Duration.String(): `1s`, `1.5s`, `500ms`, `1m30s`, `1h0m0s`. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const abs = Math.abs(ns);
  const trim = (n: number) => String(Number(n.toFixed(9)));
  if (abs < 1e3) return `${sign}${abs}ns`;
  if (abs < 1e6) return `${sign}${trim(abs / 1e3)}µs`;
  if (abs < 1e9) return `${sign}${trim(abs / 1e6)}ms`;
  const h = Math.floor(abs / 3600e9);
  const m = Math.floor((abs % 3600e9) / 60e9);
  const sec = trim((abs % 60e9) / 1e9);
  if (h) return `${sign}${h}h${m}m${sec}s`;
  if (m) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}

export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthRetries?: string;
  /** commander's negatable `--no-healthcheck` sets this to false. */
  healthcheck?: boolean;
}

/** The docker CLI's --health-* flags as the API's Healthcheck (same checks and messages as docker's). */
export function healthcheckFromFlags(f: HealthFlags): ApiHealthcheck | undefined {
  const dur = (flag: string, v: string | undefined): number => {
    if (v === undefined) return 0;
    const ns = parseDuration(v);
    if (ns === undefined)
      throw new DockyardError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
    if (ns < 0) throw new DockyardError(`--${flag} cannot be negative`);
    return ns;
  };
  const interval = dur('health-interval', f.healthInterval);
  const timeout = dur('health-timeout', f.healthTimeout);
  const startPeriod = dur('health-start-period', f.healthStartPeriod);
  const startInterval = dur('health-start-interval', f.healthStartInterval);
  let retries = 0;
  if (f.healthRetries !== undefined) {
    retries = Number(f.healthRetries);
    if (!/^-?\d+$/.test(f.healthRetries))
      throw new DockyardError(
        `invalid argument "${f.healthRetries}" for "--health-retries" flag: strconv.ParseInt: parsing "${f.healthRetries}": invalid syntax`,
      );
    if (retries < 0) throw new DockyardError('--health-retries cannot be negative');
  }
  const any =
    f.healthCmd !== undefined || interval || timeout || startPeriod || startInterval || retries !== 0;
  if (f.healthcheck === false) {
    if (any) throw new DockyardError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  return {
    Test: f.healthCmd !== undefined ? ['CMD-SHELL', f.healthCmd] : undefined,
    Interval: interval,
    Timeout: timeout,
    StartPeriod: startPeriod,
    StartInterval: startInterval,
    Retries: retries,
  };
}
