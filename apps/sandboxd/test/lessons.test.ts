import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabStatus } from '@dockyard/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLessonDir } from '../src/lessons/prepare.js';
import type { Sandboxd } from '../src/server.js';
import { connect, sandboxdFixture } from './helpers.js';

const fx = sandboxdFixture('less', {
  net: 237,
  idBase: 11_000_000,
  boxes: 2,
  diskBytes: 0,
  reapIntervalSeconds: 3600,
  poolSize: 0,
});
const { config, clients } = fx;
const lessonsDir = config.lessonsDir;

// The operator log, to find setup output in.
const logLines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(line) });
let sandboxd: Sandboxd;

/** Connects as `sub` on `lesson` and waits for the box to be ready; the ready status (with any message). */
async function open(sub: string, lesson: string): Promise<LabStatus> {
  const client = await connect(sandboxd.url, { sub, lesson }, clients);
  return new Promise((resolve, reject) => {
    client.on('lab:status', (status) => status.state === 'ready' && resolve(status));
    client.on('lab:error', (error) => reject(new Error(error.code)));
    client.on('connect_error', reject);
  });
}

function boxOf(sub: string) {
  const box = sandboxd.boxes.list().find((b) => b.owner === sub);
  if (!box) throw new Error(`${sub} has no box`);
  return box;
}
const sh = (sub: string, script: string) => sandboxd.boxes.exec(boxOf(sub).id, ['sh', '-c', script]);

beforeAll(async () => {
  sandboxd = await fx.start(log);
});

afterAll(() => fx.close());

describe('a box is prepared for the lesson of the token', () => {
  it('copies files/ to /opt/lesson/files and runs the setup as root, never copying solutions or checks', async () => {
    const status = await open('student-a', 'prep-basic');
    expect(status.message).toBeUndefined();
    expect(
      await sh('student-a', 'cat /opt/lesson/files/app/data.txt /opt/lesson/files/app/conf/nested.conf'),
    ).toBe('lesson data\nnested\n');
    expect(
      await sh('student-a', 'stat -c "%u %a" /opt/lesson/files/app/run.sh; /opt/lesson/files/app/run.sh'),
    ).toBe('0 755\nhi\n');
    // Setup ran as the box's root and found its files beside it.
    expect(await sh('student-a', 'cat /root/setup-ran')).toBe('0 lesson data\n');
    expect(await sh('student-a', 'ls -A /opt/lesson')).toBe('files\n');
    expect(
      await sh(
        'student-a',
        'grep -rl solution-secret /opt /root /tmp; find / -xdev -name secret.sh; echo end',
      ),
    ).toBe('end\n');
    expect(logLines.join('')).toContain('setup output line');
  });

  it('prepares a box once: reconnecting, and a sandboxd restart, leave the student’s edits and run no setup', async () => {
    await sh('student-a', 'echo edited > /opt/lesson/files/app/data.txt');
    for (const client of clients.splice(0)) client.close();
    await open('student-a', 'prep-basic');
    await sandboxd.close();
    for (const client of clients.splice(0)) client.close();
    sandboxd = await fx.start(log);
    expect(sandboxd.boxes.list().map((b) => b.owner)).toEqual(['student-a']);
    await open('student-a', 'prep-basic');
    expect(await sh('student-a', 'cat /opt/lesson/files/app/data.txt /root/setup-ran')).toBe(
      'edited\n0 lesson data\n',
    );
  });

  it('replaces the files when the student switches lesson', async () => {
    await open('student-a', 'prep-other');
    expect(await sh('student-a', 'find /opt/lesson | sort')).toBe(
      '/opt/lesson\n/opt/lesson/files\n/opt/lesson/files/other.txt\n',
    );
    expect(await sh('student-a', 'cat /opt/lesson/files/other.txt')).toBe('other lesson\n');
    // A lesson without files leaves none of the previous one's.
    await open('student-a', 'sandbox-check');
    expect(await sh('student-a', 'find /opt/lesson')).toBe('/opt/lesson\n/opt/lesson/files\n');
  });

  it('tells the student in both languages when setup fails, and the box stays usable', async () => {
    const status = await open('student-b', 'prep-fails');
    expect(status.message?.en).toMatch(
      /lesson "prep-fails" could not be prepared: its setup failed \(exit 3\)/,
    );
    expect(status.message?.['zh-CN']).toMatch(/课程“prep-fails”.*退出码 3/);
    expect(await sh('student-b', 'echo usable; cat /opt/lesson/files/setup.sh | tail -1')).toBe(
      'usable\nexit 3\n',
    );
    expect(logLines.join('')).toContain('setup is about to fail');
  });

  it('resolves only kebab lesson ids inside the lessons dir', async () => {
    await expect(resolveLessonDir(lessonsDir, 'prep-basic')).resolves.toBe(join(lessonsDir, 'prep-basic'));
    for (const id of ['../fixtures', 'prep-basic/../prep-other', '.', '', 'Prep', 'no-such-lesson']) {
      await expect(resolveLessonDir(lessonsDir, id)).rejects.toThrow();
    }
  });

  it('searches several lesson dirs in order and never leaves the one a lesson is found in', async () => {
    const extra = mkdtempSync(join(tmpdir(), 'dytest-lessons-'));
    try {
      mkdirSync(join(extra, 'published-only'));
      mkdirSync(join(extra, 'prep-basic'));
      symlinkSync('/etc', join(extra, 'escapes'));
      const path = `${join(extra, 'missing-root')}:${lessonsDir}:${extra}`;
      await expect(resolveLessonDir(path, 'prep-basic')).resolves.toBe(join(lessonsDir, 'prep-basic'));
      await expect(resolveLessonDir(path, 'published-only')).resolves.toBe(join(extra, 'published-only'));
      await expect(resolveLessonDir(path, 'escapes')).rejects.toThrow(/outside/);
      await expect(resolveLessonDir(path, 'nowhere')).rejects.toThrow(/no lesson nowhere/);
    } finally {
      rmSync(extra, { recursive: true, force: true });
    }
  });
});
