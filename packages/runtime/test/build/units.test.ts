// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile text uses ${VAR} on purpose
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFromTar } from '../../src/build/builder.js';
import { applyChanges, parseChanges } from '../../src/build/changes.js';
import { extractContext } from '../../src/build/context.js';
import { parseDockerfile } from '../../src/build/dockerfile.js';
import { processWord } from '../../src/build/words.js';
import { loadConfig } from '../../src/config.js';
import { Engine } from '../../src/engine.js';

type Entry = {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  body?: string;
  linkname?: string;
  size?: number;
};

/** A tar archive from entries (written in order, so tests can put a symlink before a file under it). */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const collected = buffer(pack as unknown as Readable);
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.body ?? '') : undefined;
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { name: e.name, type, linkname: e.linkname, mode: 0o644, size: body?.length ?? 0 },
        body ?? Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  return collected;
}

describe('variable substitution', () => {
  const vars = new Map([
    ['A', 'one'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['$A', 'one'],
    ['${A}', 'one'],
    ['x${A}y', 'xoney'],
    ['${NOPE:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${A:+set}', 'set'],
    ['${NOPE:+set}', ''],
    ["'$A'", '$A'],
    ['"$A b"', 'one b'],
    ['\\$A', '$A'],
    ['$NOPE', ''],
    ['cost $', 'cost $'],
  ])('%s → %s', (word, expected) => {
    expect(processWord(word, vars)).toBe(expected);
  });
});

describe('Dockerfile parsing', () => {
  it('splits stages, keeps ARGs before FROM, joins continuation lines for the step text', () => {
    const df = parseDockerfile(
      'ARG V=1\nFROM busybox AS one\nRUN echo a && \\\n    echo b\nFROM scratch\nCOPY --from=one /a /b\n',
    );
    expect(df.globalArgs.map((a) => a.original)).toEqual(['ARG V=1']);
    expect(df.stages.map((s) => s.name)).toEqual(['one', undefined]);
    expect(df.stages[0]?.instructions[0]?.original).toBe('RUN echo a &&     echo b');
    expect(df.stages[1]?.instructions[0]?.flags).toEqual({ from: 'one' });
  });

  it.each([
    ['FROM busybox\nFOO bar\n', 'Dockerfile parse error line 2: unknown instruction: FOO'],
    ['FROM busybox\nCOPY onlyone\n', 'COPY requires at least two arguments'],
    ['RUN true\n', 'no build stage in current context'],
    ['FROM busybox\nSHELL /bin/bash\n', 'SHELL requires the arguments to be in JSON form'],
    ['FROM busybox\nCOPY --bogus=1 a b\n', 'unknown flag: bogus'],
    ['FROM busybox\nHEALTHCHECK SOMETIMES x\n', 'Unknown type'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDockerfile(text)).toThrow(message);
  });

  it('applies commit/import --change lines as dockerd does, refusing what a commit cannot carry', () => {
    const base = { Env: ['PATH=/bin', 'A=old'], Cmd: ['sh'], Labels: { keep: '1' } };
    const out = applyChanges(
      base,
      parseChanges([
        'ENV A=new B=$A',
        'CMD echo hi',
        'ENTRYPOINT ["/bin/tini", "--"]',
        'LABEL version="1.0" team=lab',
        'EXPOSE 80 53/udp',
        'WORKDIR /srv',
        'USER nobody',
        'ONBUILD RUN echo child',
        'HEALTHCHECK --interval=1m30s --timeout=250ms CMD ["curl", "-f", "http://localhost/"]',
      ]),
    );
    // Within one ENV the old value of A is seen, as in a Dockerfile.
    expect(out.Env).toEqual(['PATH=/bin', 'A=new', 'B=old']);
    expect(out).toMatchObject({
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Entrypoint: ['/bin/tini', '--'],
      Labels: { keep: '1', version: '1.0', team: 'lab' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      WorkingDir: '/srv',
      User: 'nobody',
      OnBuild: ['RUN echo child'],
      Healthcheck: { Test: ['CMD', 'curl', '-f', 'http://localhost/'], Interval: 90e9, Timeout: 250e6 },
    });
    expect(base.Env).toEqual(['PATH=/bin', 'A=old']);
    expect(applyChanges({}, parseChanges(['HEALTHCHECK NONE'])).Healthcheck).toEqual({ Test: ['NONE'] });
    expect(() => parseChanges(['RUN rm -rf /'])).toThrow('RUN is not a valid change command');
    expect(() => parseChanges(['COPY a b'])).toThrow('COPY is not a valid change command');
    expect(() => parseChanges(['BOGUS x'])).toThrow('unknown instruction: BOGUS');
    expect(() => parseChanges(['HEALTHCHECK --interval=soon CMD true'])).toThrow('invalid duration');
  });
});

describe('build context extraction', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dyb-ctx-'));
    engine = new Engine(
      loadConfig({
        ...process.env,
        DOCKYARD_ROOT: path.join(dir, 'root'),
        DOCKYARD_RUN: path.join(dir, 'run'),
      }),
    );
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const dest = () => path.join(dir, `x-${randomBytes(4).toString('hex')}`);

  it('extracts files, directories and symlinks that stay inside', async () => {
    const d = dest();
    await extractContext(
      Readable.from(
        gzipSync(
          await tarOf([
            { name: 'Dockerfile', body: 'FROM scratch\n' },
            { name: 'sub/', type: 'directory' },
            { name: 'sub/a.txt', body: 'a' },
            { name: 'sub/link', type: 'symlink', linkname: '../Dockerfile' },
          ]),
        ),
      ),
      d,
    );
    expect(await fs.readFile(path.join(d, 'sub/a.txt'), 'utf8')).toBe('a');
    expect(await fs.readlink(path.join(d, 'sub/link'))).toBe('../Dockerfile');
  });

  it.each([
    ['a parent path', [{ name: '../evil', body: 'x' }], 'path escapes the context'],
    ['a nested parent path', [{ name: 'a/../../evil', body: 'x' }], 'path escapes the context'],
    ['an absolute path', [{ name: '/etc/evil', body: 'x' }], 'absolute path'],
    ['an absolute symlink', [{ name: 'l', type: 'symlink', linkname: '/etc' }], 'points outside the context'],
    [
      'a climbing symlink',
      [{ name: 'a/l', type: 'symlink', linkname: '../../x' }],
      'points outside the context',
    ],
    [
      'a write through a symlink',
      [
        { name: 'l', type: 'symlink', linkname: 'd' },
        { name: 'd/', type: 'directory' },
        { name: 'l/f', body: 'x' },
      ],
      'refusing to extract through l',
    ],
    [
      'a hard link out',
      [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }],
      'path escapes the context',
    ],
  ] as [string, Entry[], string][])('refuses %s', async (_what, entries, message) => {
    await expect(extractContext(Readable.from(await tarOf(entries)), dest())).rejects.toThrow(message);
  });

  it('caps the entry count and the size (a gzip bomb stops early), leaving nothing behind', async () => {
    const many = Array.from({ length: 50 }, (_, k) => ({ name: `f${k}`, body: 'x' }));
    await expect(
      buildFromTar(engine, Readable.from(await tarOf(many)), {}, { maxBytes: 1 << 20, maxEntries: 20 }),
    ).rejects.toThrow('more than 20 files');
    const bomb = gzipSync(await tarOf([{ name: 'zeros', body: '\0'.repeat(8 << 20) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expect(
      buildFromTar(engine, Readable.from(bomb), {}, { maxBytes: 1 << 20, maxEntries: 100 }),
    ).rejects.toThrow('larger than 1048576 bytes');
    await expect(
      buildFromTar(engine, Readable.from(await tarOf([{ name: '../x', body: 'x' }])), {}),
    ).rejects.toThrow('invalid build context');
    expect(await fs.readdir(path.join(engine.cfg.root, 'builder', 'tmp'))).toEqual([]);
  });
});
