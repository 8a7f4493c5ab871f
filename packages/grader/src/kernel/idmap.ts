import { readIdMap } from './proc.js';

/** Translates a host uid/gid into the id a box sees, through the box init's uid_map/gid_map. */
export function hostIdToBox(initPid: number, hostId: number, kind: 'uid' | 'gid' = 'uid'): number | null {
  for (const line of readIdMap(initPid, kind === 'uid' ? 'uid_map' : 'gid_map')) {
    const [inside, outside, count] = line.split(' ').map(Number) as [number, number, number];
    if (hostId >= outside && hostId < outside + count) return inside + (hostId - outside);
  }
  return null;
}

/** A uid_map line as the box sees it: the outside column translated from host ids into the box's ids. */
export function mapLineToBox(initPid: number, line: string): string {
  const [inside, outside, count] = line.split(' ').map(Number) as [number, number, number];
  return `${inside} ${hostIdToBox(initPid, outside) ?? outside} ${count}`;
}
