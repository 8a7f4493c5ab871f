import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InRootError,
  listDirInRoot,
  readFileInRoot,
  readlinkInRoot,
  statInRoot,
  writeFileInRoot,
} from '../src/safe-path.js';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'dy-safe-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'home/student'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'inside\n');
  writeFileSync(join(base, 'outside-secret'), 'host secret\n');
  symlinkSync('/etc/hostname', join(root, 'home/student/abs-link'));
  symlinkSync('../../../../../../outside-secret', join(root, 'home/student/dotdot-link'));
  symlinkSync('/', join(root, 'home/student/rootlink'));
  symlinkSync('loop-b', join(root, 'loop-a'));
  symlinkSync('loop-a', join(root, 'loop-b'));
  writeFileSync(join(root, 'big'), Buffer.alloc(4096, 1));
  execFileSync('mkfifo', [join(root, 'fifo')]);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('in-root path resolution', () => {
  it('reads a plain file inside the root', () => {
    expect(readFileInRoot(root, '/etc/hostname').toString()).toBe('inside\n');
  });

  it('resolves an absolute symlink against the root, not the host', () => {
    expect(readFileInRoot(root, '/home/student/abs-link').toString()).toBe('inside\n');
  });

  it('clamps .. at the root so a symlink cannot climb out', () => {
    expect(() => readFileInRoot(root, '/home/student/dotdot-link')).toThrow(InRootError);
    expect(statInRoot(root, '/home/student/dotdot-link')).toBeNull();
    expect(readFileInRoot(root, '../../../../etc/hostname').toString()).toBe('inside\n');
  });

  it('treats a symlink to / as the root itself', () => {
    expect(listDirInRoot(root, '/home/student/rootlink')).toContain('etc');
    expect(readFileInRoot(root, '/home/student/rootlink/etc/hostname').toString()).toBe('inside\n');
  });

  it('reports a symlink itself when not following and reads its stored target', () => {
    expect(statInRoot(root, '/home/student/abs-link', { follow: false })?.isSymbolicLink()).toBe(true);
    expect(readlinkInRoot(root, '/home/student/abs-link')).toBe('/etc/hostname');
  });

  it('stops symlink loops with ELOOP', () => {
    expect(() => readFileInRoot(root, '/loop-a')).toThrow(/too many levels/);
  });

  it('refuses files over the size cap and non-regular files', () => {
    expect(() => readFileInRoot(root, '/big', { maxBytes: 100 })).toThrow(/larger than 100 bytes/);
    expect(() => readFileInRoot(root, '/fifo')).toThrow(/not a regular file/);
  });

  it('returns null for a missing path and rejects NUL bytes', () => {
    expect(statInRoot(root, '/nope/deeper')).toBeNull();
    expect(() => statInRoot(root, '/etc/\0x')).toThrow(/NUL/);
  });
});

describe('in-root writes', () => {
  it('creates a file inside the root with the given owner, and replaces its content later', () => {
    writeFileInRoot(root, '/home/student/notes.txt', Buffer.from('one'), { owner: { uid: 4242, gid: 4243 } });
    expect(readFileInRoot(root, '/home/student/notes.txt').toString()).toBe('one');
    expect(statInRoot(root, '/home/student/notes.txt')?.uid).toBe(4242);
    writeFileInRoot(root, '/home/student/notes.txt', Buffer.from('two!'));
    expect(readFileInRoot(root, '/home/student/notes.txt').toString()).toBe('two!');
  });

  it('never writes through a symlink, even one pointing inside', () => {
    expect(() => writeFileInRoot(root, '/home/student/abs-link', Buffer.from('x'))).toThrow(InRootError);
    expect(readFileInRoot(root, '/etc/hostname').toString()).toBe('inside\n');
  });

  it('writes through a symlinked directory only within the root', () => {
    writeFileInRoot(root, '/home/student/rootlink/etc/motd', Buffer.from('hi'));
    expect(readFileInRoot(root, '/etc/motd').toString()).toBe('hi');
    writeFileInRoot(root, '/home/student/../../../../x', Buffer.from('y'));
    expect(readFileInRoot(root, '/x').toString()).toBe('y');
  });

  it('refuses oversize content and fifos', () => {
    expect(() => writeFileInRoot(root, '/big2', Buffer.alloc(10), { maxBytes: 5 })).toThrow(/larger than 5/);
    expect(() => writeFileInRoot(root, '/fifo', Buffer.from('x'))).toThrow(/not a regular file/);
  });
});
