/** Output helpers in docker's shapes: tabwriter tables, human durations and sizes, Go-template-like --format. */

/** Like Go's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0), which docker uses for its tables. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      if (i < r.length - 1) widths[i] = Math.max(widths[i] ?? 0, Math.max(cell.length + 3, 10));
    });
  }
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export const ago = (iso: string) => `${humanDuration(Date.now() - Date.parse(iso))} ago`;

/** go-units HumanSizeWithPrecision(size, 3): decimal units, e.g. 4.26MB. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** go-units BytesSize: binary units, e.g. 1.5MiB (docker stats). */
export function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(3))
    .toString()
    .replace(/(\.\d{0,2})\d*$/, '$1')
    .replace(/\.$/, '')}${units[i]}`;
}

function lookup(obj: unknown, path: string): unknown {
  if (path === '.' || path === '') return obj;
  let cur: unknown = obj;
  for (const key of path.replace(/^\./, '').split('.')) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.entries(v as Record<string, unknown>)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${k}:${show(x)}`)
      .join(' ')}]`;
  }
  return String(v);
}

/**
 * The subset of Go templates people use with docker --format: {{.A.B}}, {{json .A}}, {{index .A "k"}},
 * {{lower .A}}, {{upper .A}}, {{join .A ","}}, {{range .A}}…{{end}} over arrays / maps' values.
 */
export function renderTemplate(tpl: string, data: unknown): string {
  const src = tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const rangeRe = /\{\{\s*range\s+(\$\w+\s*,\s*\$\w+\s*:=\s*)?(\.[\w.]*)\s*\}\}([\s\S]*?)\{\{\s*end\s*\}\}/g;
  const expanded = src.replace(rangeRe, (_m, _vars: string | undefined, p: string, body: string) => {
    const v = lookup(data, p);
    const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
    return items.map((item) => renderTemplate(body, item)).join('');
  });
  return expanded.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_m, expr: string) => {
    const parts = expr.match(/"[^"]*"|\S+/g) ?? [];
    const arg = (s: string | undefined) => (s?.startsWith('"') ? s.slice(1, -1) : lookup(data, s ?? '.'));
    switch (parts[0]) {
      case 'json':
        return JSON.stringify(arg(parts[1]) ?? null);
      case 'index': {
        const base = arg(parts[1]);
        const key = arg(parts[2]);
        return show(
          base && typeof base === 'object' ? (base as Record<string, unknown>)[String(key)] : undefined,
        );
      }
      case 'lower':
        return show(arg(parts[1])).toLowerCase();
      case 'upper':
        return show(arg(parts[1])).toUpperCase();
      case 'join': {
        const v = arg(parts[1]);
        return Array.isArray(v) ? v.map(String).join(String(arg(parts[2]) ?? '')) : show(v);
      }
      default:
        return show(arg(parts[0]));
    }
  });
}

/** `--format 'table {{.ID}}\t{{.Names}}'`: header row from the column names docker uses. */
export function formatRows(
  format: string,
  rows: Record<string, unknown>[],
  headers: Record<string, string>,
): string {
  const isTable = format.startsWith('table');
  const tpl = isTable ? format.replace(/^table\s*/, '') : format;
  if (!isTable) return rows.map((r) => renderTemplate(tpl, r)).join('\n');
  const header = tpl
    .replace(/\\t/g, '\t')
    .replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, k: string) => headers[k] ?? k.toUpperCase());
  const lines = [header, ...rows.map((r) => renderTemplate(tpl, r))];
  return table(lines.map((l) => l.split('\t')));
}
