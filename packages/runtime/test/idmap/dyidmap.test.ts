import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const dyidmap = resolve(import.meta.dirname, '../../native/bin/dyidmap');
let work: string;
const mounted: string[] = [];

function mountIdmapped(args: string[]) {
  execFileSync(dyidmap, args, { stdio: 'pipe' });
  mounted.push(args.at(-1) as string);
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'dy-idmap-'));
  mkdirSync(join(work, 'layer/etc'), { recursive: true });
  writeFileSync(join(work, 'layer/etc/hostname'), 'image\n');
});

afterEach(() => {
  for (const target of mounted.reverse()) spawnSync('umount', [target]);
  mounted.length = 0;
  rmSync(work, { recursive: true, force: true });
});

describe('dyidmap', () => {
  it('shows root-owned layer files as owned by the box range, without touching the disk', () => {
    mkdirSync(join(work, 'view'));
    mountIdmapped([
      '--recursive',
      '--readonly',
      '--map',
      '0:100000:65536',
      join(work, 'layer'),
      join(work, 'view'),
    ]);
    expect(statSync(join(work, 'view/etc/hostname')).uid).toBe(100000);
    expect(statSync(join(work, 'view/etc/hostname')).gid).toBe(100000);
    expect(statSync(join(work, 'layer/etc/hostname')).uid).toBe(0);
    expect(() => writeFileSync(join(work, 'view/etc/x'), 'x')).toThrow(/EROFS|read-only/i);
  });

  it('gives two boxes different owners for the same layer', () => {
    mkdirSync(join(work, 'a'));
    mkdirSync(join(work, 'b'));
    mountIdmapped(['--map', '0:100000:65536', join(work, 'layer'), join(work, 'a')]);
    mountIdmapped(['--map', '0:165536:65536', join(work, 'layer'), join(work, 'b')]);
    expect(statSync(join(work, 'a/etc/hostname')).uid).toBe(100000);
    expect(statSync(join(work, 'b/etc/hostname')).uid).toBe(165536);
  });

  it('serves as an overlay lower layer under a box-owned upper layer', () => {
    for (const dir of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(work, dir));
    mountIdmapped(['--readonly', '--map', '0:100000:65536', join(work, 'layer'), join(work, 'lower')]);
    execFileSync('chown', ['100000:100000', join(work, 'upper'), join(work, 'work')]);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${join(work, 'lower')},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`,
      join(work, 'merged'),
    ]);
    mounted.push(join(work, 'merged'));
    expect(statSync(join(work, 'merged/etc/hostname')).uid).toBe(100000);
    writeFileSync(join(work, 'merged/etc/hostname'), 'box\n');
    expect(statSync(join(work, 'upper/etc/hostname')).size).toBe(4);
  });

  it('rejects a malformed map with usage and exit code 2', () => {
    const result = spawnSync(dyidmap, ['--map', '0:100000', work, work], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage/);
  });

  it('reports a missing source clearly', () => {
    const result = spawnSync(dyidmap, ['--map', '0:1:1', join(work, 'nope'), work], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/open_tree: No such file/);
  });
});
