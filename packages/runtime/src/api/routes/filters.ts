import { type ApiContext, ApiError } from '../http.js';
import { parseFilters, parseTime } from '../query.js';

/** Docker's `filters` query, refusing keys the endpoint does not know (as dockerd does). */
export function knownFilters(ctx: ApiContext, allowed: readonly string[]): Record<string, string[]> {
  const f = parseFilters(ctx);
  for (const key of Object.keys(f)) {
    if (!allowed.includes(key)) throw new ApiError(400, `invalid filter '${key}'`);
  }
  return f;
}

/** `key` matches when the label is present, `key=value` when it has that value; every one must match. */
export function matchesLabels(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  if (!wanted) return true;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** A boolean filter value (`dangling=true`) the way Docker accepts them. */
export function filterBool(values: string[], name: string): boolean {
  const v = values[values.length - 1]?.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ApiError(400, `invalid filter '${name}=${values.join(',')}'`);
}

/** `until=<time>`: milliseconds since the epoch, or undefined when the filter is absent. */
export function untilMillis(values: string[] | undefined): number | undefined {
  const v = values?.[values.length - 1];
  if (v === undefined) return undefined;
  const sec = parseTime(v, Date.now() / 1000);
  return sec === undefined ? undefined : sec * 1000;
}
