import { readFileSync } from 'node:fs';

/** One line of /proc/<pid>/mountinfo (see proc(5)). */
export interface MountEntry {
  id: number;
  parentId: number;
  root: string;
  target: string;
  options: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescapeOctal(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    entries.push({
      id: Number(l[0]),
      parentId: Number(l[1]),
      root: unescapeOctal(l[3] ?? ''),
      target: unescapeOctal(l[4] ?? ''),
      options: (l[5] ?? '').split(','),
      fstype: r[0] ?? '',
      source: unescapeOctal(r[1] ?? ''),
      superOptions: (r[2] ?? '').split(','),
    });
  }
  return entries;
}

export function readMountinfo(pid: number): MountEntry[] {
  return parseMountinfo(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}

/** The mount visible at target: the last one mounted there wins. */
export function mountAt(entries: MountEntry[], target: string): MountEntry | undefined {
  const normalized = target.length > 1 ? target.replace(/\/+$/, '') : target;
  return entries.filter((entry) => entry.target === normalized).at(-1);
}

/** lowerdir/upperdir of an overlay mount, from its super options (`lowerdir=a:b` or repeated `lowerdir+=`). */
export function overlayLayers(entry: MountEntry): { lower: string[]; upper: string | null } {
  const lower: string[] = [];
  let upper: string | null = null;
  for (const option of entry.superOptions) {
    if (option.startsWith('lowerdir=')) lower.push(...option.slice('lowerdir='.length).split(/(?<!\\):/));
    else if (option.startsWith('lowerdir+=')) lower.push(option.slice('lowerdir+='.length));
    else if (option.startsWith('upperdir=')) upper = option.slice('upperdir='.length);
  }
  return { lower: lower.filter(Boolean), upper };
}
