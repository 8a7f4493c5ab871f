import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildToolchain, uniqueNames } from './helpers.js';

// box-init's cgroup step. On a cgroup v2 host the box's init must leave the box's cgroup for a leaf and enable
// the box's controllers for its subtree, or the nested engine cannot make child cgroups ("no internal
// processes"). It runs here against a real cgroup2 mount of the host's unified hierarchy (on a hybrid host that
// hierarchy has no controllers, so enabling is checked for real only on v2 hosts) and, for the enabling itself,
// against a directory shaped like a cgroup with controllers.
const names = uniqueNames('init');
const work = mkdtempSync(join(tmpdir(), 'dy-init-'));
const boxInit = join(buildToolchain(join(work, 'toolchain')), 'bin/box-init');
const mnt = join(work, 'cgroup2');
const testCgroup = join(mnt, `dytest-init-${names.suffix}`);

afterAll(() => {
  for (const dir of [join(testCgroup, 'init'), testCgroup]) if (existsSync(dir)) rmdirSync(dir);
  spawnSync('umount', [mnt]);
  rmSync(work, { recursive: true, force: true });
});

describe('box-init on cgroup v2', () => {
  it('moves itself into the leaf `init` and delegates every controller of the box, in a real cgroup2 mount', () => {
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'cgroup2', 'none', mnt]);
    mkdirSync(testCgroup);
    // A process in the test cgroup becomes box-init, as the box's first process would be.
    const out = execFileSync(
      'sh',
      [
        '-c',
        'echo $$ > "$1/cgroup.procs" && exec "$2" --cgroup-only --cgroup-root "$1"',
        'sh',
        testCgroup,
        boxInit,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe(`cgroup2 0 0::/dytest-init-${names.suffix}/init\n`);
    const available = readFileSync(join(testCgroup, 'cgroup.controllers'), 'utf8').trim();
    const enabled = readFileSync(join(testCgroup, 'cgroup.subtree_control'), 'utf8').trim();
    expect(enabled).toBe(available);
  });

  it('enables each controller the box was given, one by one', () => {
    const fake = join(work, 'fake');
    mkdirSync(join(fake, 'init'), { recursive: true });
    writeFileSync(join(fake, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    writeFileSync(join(fake, 'cgroup.subtree_control'), '');
    writeFileSync(join(fake, 'init/cgroup.procs'), '');
    const out = execFileSync(boxInit, ['--cgroup-only', '--assume-cgroup2', '--cgroup-root', fake], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/^cgroup2 0 /);
    expect(readFileSync(join(fake, 'init/cgroup.procs'), 'utf8')).toBe('0');
    expect(readFileSync(join(fake, 'cgroup.subtree_control'), 'utf8')).toBe('+cpuset+cpu+io+memory+pids');
  });

  it('reports a failed move instead of going on as if delegated', () => {
    const broken = join(work, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'cgroup.controllers'), 'memory\n');
    const run = spawnSync(boxInit, ['--cgroup-only', '--assume-cgroup2', '--cgroup-root', broken], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/joining .*init\/cgroup.procs/);
  });

  it('leaves v1 and hybrid hierarchies alone', () => {
    // A plain directory, like a hybrid host's /sys/fs/cgroup (a tmpfs of v1 mounts), is not touched.
    expect(execFileSync(boxInit, ['--cgroup-only', '--cgroup-root', work], { encoding: 'utf8' })).toMatch(
      /^cgroup1 0 /,
    );
    expect(existsSync(join(work, 'init'))).toBe(false);
    // This host's own hierarchy, unless it is v2 (then the step would move this test process).
    const fstype = execFileSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).trim();
    if (fstype !== 'cgroup2fs') {
      expect(execFileSync(boxInit, ['--cgroup-only'], { encoding: 'utf8' })).toMatch(/^cgroup1 0 /);
      expect(existsSync('/sys/fs/cgroup/init')).toBe(false);
    }
  });
});
