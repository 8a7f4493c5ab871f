import type { ApiContext } from './http.js';
import { ApiError } from './http.js';

/**
 * Docker's `filters` query value: `{"key":["v1","v2"]}` or the older `{"key":{"v1":true}}` that
 * clients up to 20.10 send. Returns key → values.
 */
export function parseFilters(ctx: ApiContext): Record<string, string[]> {
  const raw = ctx.query.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, `invalid filter: ${raw}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ApiError(400, 'invalid filter');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object')
      out[k] = Object.entries(v as Record<string, unknown>)
        .filter(([, on]) => on === true)
        .map(([name]) => name);
    else throw new ApiError(400, `invalid filter '${k}'`);
  }
  return out;
}

/** Docker's time query values: unix seconds (possibly fractional), RFC 3339, or a duration before now ("10m"). */
export function parseTime(v: string | null, nowSec: number): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
    return nowSec - Number(dur[1]) * (mult[dur[2] as string] ?? 1);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new ApiError(400, `invalid time value: ${v}`);
  return t / 1000;
}

export function queryInt(ctx: ApiContext, name: string): number | undefined {
  const v = ctx.query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ApiError(400, `invalid value for ${name}: ${v}`);
  return n;
}
