import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLessonArchive, UPLOAD_LIMITS, UploadError } from '../lib/instructor/archive';
import { readLessonFolder } from '../lib/instructor/folder';

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../e2e/fixtures/lessons/e2e-first-steps',
);

function fixtureFiles(): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
      else files[rel] = fs.readFileSync(path.join(dir, entry.name));
    }
  };
  walk(fixture, '');
  return files;
}

const UNIX = 3;
const regular = (data: Buffer) => [data, { os: UNIX, attrs: (0o100644 << 16) >>> 0 }] as const;

function zip(entries: Record<string, readonly [Buffer, { os: number; attrs: number }]>): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v[0], v[1]]]))));
}

interface TarEntry {
  name: string;
  type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device';
  data?: Buffer;
  linkname?: string;
}

async function tarGz(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') p.entry({ name: e.name }, e.data ?? Buffer.alloc(0));
    else p.entry({ name: e.name, type, linkname: e.linkname, devmajor: 1, devminor: 3 });
  }
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadError);
  return error as UploadError;
}

describe('lesson archives', () => {
  it('reads a zip of one lesson folder', async () => {
    const files = fixtureFiles();
    const archive = zip(
      Object.fromEntries(
        Object.entries(files).map(([rel, data]) => [`e2e-first-steps/${rel}`, regular(data)]),
      ),
    );
    const lesson = await readLessonArchive(archive);
    expect(lesson.folder).toBe('e2e-first-steps');
    expect(Object.keys(lesson.files).sort()).toEqual(Object.keys(files).sort());
    expect(lesson.files['lesson.yaml']?.equals(files['lesson.yaml'] as Buffer)).toBe(true);
  });

  it('reads a .tar.gz with lesson.yaml at the top, naming the folder after the lesson id', async () => {
    const files = fixtureFiles();
    const lesson = await readLessonArchive(
      await tarGz([
        { name: 'solutions', type: 'directory' },
        ...Object.entries(files).map(([name, data]) => ({ name, data })),
      ]),
    );
    expect(lesson.folder).toBe('e2e-first-steps');
    expect(Object.keys(lesson.files).sort()).toEqual(Object.keys(files).sort());
  });

  it.each(['../evil.sh', 'lesson/../../evil.sh', '/etc/cron.d/evil', 'C:/evil', 'lesson\\..\\evil'])(
    'refuses the zip entry %s (zip-slip)',
    async (name) => {
      const archive = zip({
        'lesson.yaml': regular(Buffer.from('id: x\n')),
        [name]: regular(Buffer.from('x')),
      });
      expect((await rejection(readLessonArchive(archive))).code).toBe('unsafe-path');
    },
  );

  it.each(['../evil.sh', '/tmp/evil', 'a/../../evil'])(
    'refuses the tar entry %s (zip-slip)',
    async (name) => {
      const archive = await tarGz([
        { name: 'lesson.yaml', data: Buffer.from('id: x\n') },
        { name, data: Buffer.from('x') },
      ]);
      expect((await rejection(readLessonArchive(archive))).code).toBe('unsafe-path');
    },
  );

  it('refuses a symlink in a zip', async () => {
    const archive = zip({
      'x/lesson.yaml': regular(Buffer.from('id: x\n')),
      'x/en.md': [Buffer.from('/etc/passwd'), { os: UNIX, attrs: (0o120777 << 16) >>> 0 }],
    });
    const error = await rejection(readLessonArchive(archive));
    expect(error.code).toBe('link');
    expect(error.entry).toBe('x/en.md');
  });

  it.each(['symlink', 'link'] as const)('refuses a %s in a tar', async (type) => {
    const archive = await tarGz([
      { name: 'x/lesson.yaml', data: Buffer.from('id: x\n') },
      { name: 'x/en.md', type, linkname: '/etc/passwd' },
    ]);
    expect((await rejection(readLessonArchive(archive))).code).toBe('link');
  });

  it('refuses device entries', async () => {
    const archive = await tarGz([
      { name: 'x/lesson.yaml', data: Buffer.from('id: x\n') },
      { name: 'x/null', type: 'character-device' },
    ]);
    expect((await rejection(readLessonArchive(archive))).code).toBe('unsupported-entry');
  });

  it('refuses an archive over the upload size', async () => {
    const big = Buffer.alloc(UPLOAD_LIMITS.archiveBytes + 1, 1);
    big.set([0x50, 0x4b, 0x03, 0x04]);
    expect((await rejection(readLessonArchive(big))).code).toBe('too-large');
  });

  it('refuses a small zip that unpacks past the cap (zip bomb)', async () => {
    const archive = zip({
      'x/lesson.yaml': regular(Buffer.from('id: x\n')),
      'x/files/zeros': regular(Buffer.alloc(UPLOAD_LIMITS.totalBytes + 1)),
    });
    expect(archive.length).toBeLessThan(UPLOAD_LIMITS.archiveBytes);
    expect((await rejection(readLessonArchive(archive))).code).toBe('too-large');
  });

  it('refuses a small .tar.gz that unpacks past the cap', async () => {
    const archive = await tarGz([
      { name: 'x/lesson.yaml', data: Buffer.from('id: x\n') },
      { name: 'x/files/zeros', data: Buffer.alloc(UPLOAD_LIMITS.totalBytes + 1) },
    ]);
    expect(archive.length).toBeLessThan(UPLOAD_LIMITS.archiveBytes);
    expect((await rejection(readLessonArchive(archive))).code).toBe('too-large');
  });

  it('refuses too many files', async () => {
    const entries: Record<string, ReturnType<typeof regular>> = {
      'x/lesson.yaml': regular(Buffer.from('id: x')),
    };
    for (let i = 0; i < UPLOAD_LIMITS.files; i++) entries[`x/files/f${i}`] = regular(Buffer.from('x'));
    expect((await rejection(readLessonArchive(zip(entries)))).code).toBe('too-many-files');
  });

  it('refuses what is neither zip nor gzip, and archives without a lesson', async () => {
    expect((await rejection(readLessonArchive(Buffer.from('hello')))).code).toBe('unknown-format');
    const noLesson = zip({
      'a/readme.md': regular(Buffer.from('x')),
      'b/readme.md': regular(Buffer.from('y')),
    });
    expect((await rejection(readLessonArchive(noLesson))).code).toBe('no-lesson');
  });
});

describe('lesson folders under the lessons root', () => {
  let root: string;
  let outside: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-web-root-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dy-web-outside-'));
    fs.cpSync(fixture, path.join(root, 'e2e-first-steps'), { recursive: true });
    fs.cpSync(fixture, path.join(outside, 'e2e-first-steps'), { recursive: true });
    fs.cpSync(fixture, path.join(root, 'with-link'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(root, 'with-link', 'extra.md'));
    fs.symlinkSync(path.join(outside, 'e2e-first-steps'), path.join(root, 'linked-out'));
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('reads a folder inside the root', async () => {
    const lesson = await readLessonFolder(root, 'e2e-first-steps');
    expect(lesson.folder).toBe('e2e-first-steps');
    expect(Object.keys(lesson.files)).toContain('solutions/run-something.sh');
  });

  it.each([
    ['../', 'unsafe-path'],
    [`../${'x'}`, 'no-lesson'],
    ['linked-out', 'unsafe-path'],
    ['with-link', 'link'],
  ])('refuses %s', async (rel, code) => {
    const target = rel === '../' ? path.relative(root, path.join(outside, 'e2e-first-steps')) : rel;
    expect((await rejection(readLessonFolder(root, target))).code).toBe(code);
  });
});
