import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DockyardError } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

async function readDb(rootfs: string, file: string): Promise<string[][]> {
  // Read through the container rootfs without following a symlinked /etc out of it.
  const etc = path.join(rootfs, 'etc');
  const st = await fs.lstat(etc).catch(() => undefined);
  if (!st?.isDirectory()) return [];
  const text = await fs.readFile(path.join(etc, file), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Resolves docker's `-u name|uid[:group|gid]` against the image's /etc/passwd and /etc/group. */
export async function resolveUser(rootfs: string, spec: string): Promise<ResolvedUser> {
  const [userPart = '', groupPart] = (spec || '0').split(':');
  const passwd = await readDb(rootfs, 'passwd');
  const groups = await readDb(rootfs, 'group');
  let uid: number;
  let gid = 0;
  let home = '/';
  let userName: string | undefined;
  const byName = passwd.find((p) => p[0] === userPart);
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((p) => p[2] === userPart);
    if (entry) {
      gid = Number(entry[3] ?? 0);
      home = entry[5] || '/';
      userName = entry[0];
    }
  } else if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3] ?? 0);
    home = byName[5] || '/';
    userName = byName[0];
  } else {
    throw new DockyardError(`unable to find user ${userPart}: no matching entries in passwd file`, 126);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((e) => e[0] === groupPart);
      if (!g)
        throw new DockyardError(`unable to find group ${groupPart}: no matching entries in group file`, 126);
      gid = Number(g[2]);
    }
  }
  const additionalGids = userName
    ? groups
        .filter((g) => (g[3] ?? '').split(',').includes(userName as string))
        .map((g) => Number(g[2]))
        .filter((g) => g !== gid)
    : [];
  return { uid, gid, additionalGids, home };
}
