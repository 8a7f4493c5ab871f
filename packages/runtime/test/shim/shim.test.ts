import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachShim,
  encodeHello,
  FrameDecoder,
  FrameType,
  readExit,
  readShimPid,
  ShimStartError,
  type StartShimOptions,
  shimBinaryPath,
  startShim,
} from '../../src/shim/index.js';
import { Collector, isAlive, Scratch, vmHwmKiB, waitFor } from './helpers.js';

let scratch: Scratch;

beforeEach(() => {
  expect(existsSync(shimBinaryPath()), 'build it with make -C packages/runtime/native').toBe(true);
  scratch = new Scratch();
});

afterEach(async () => {
  await scratch.cleanup();
});

interface Started {
  id: string;
  stateDir: string;
  pid: number;
  shimPid: number;
}

async function startContainer(
  args: string[],
  opts: Partial<StartShimOptions> & { tty?: boolean } = {},
): Promise<Started> {
  const id = scratch.newId();
  const stateDir = opts.stateDir ?? scratch.stateDir();
  const bundle = scratch.bundle({ args, tty: opts.tty ?? false });
  const started = await startShim({
    id,
    bundle,
    runtime: scratch.runtime,
    runtimeRoot: scratch.runtimeRoot,
    ...opts,
    stateDir,
  });
  return { id, stateDir, ...started };
}

/** Attaches and waits until the shim has registered the client (REPLAY_END). */
async function attached(stateDir: string, opts: { replay?: boolean; stdin?: boolean } = {}, keep = true) {
  const collector = new Collector(attachShim(stateDir, opts), keep);
  await collector.replayEnd;
  return collector;
}

function logLines(path: string): { log: string; stream: string; time: string }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

describe('dyshim with a non-TTY container', () => {
  it('delivers stdout and stderr as separate streams, logs them and records the exit code', async () => {
    const stateDir = scratch.stateDir();
    const logPath = join(stateDir, 'ctr.log');
    const c = await startContainer(
      ['sh', '-c', "echo out; echo err >&2; printf 'bad\\377utf8 \\303\\251\\n'; exit 3"],
      { stateDir, logPath },
    );
    expect(isAlive(c.shimPid)).toBe(true);
    expect(readFileSync(join(stateDir, 'shim.pid'), 'utf8').trim()).toBe(String(c.shimPid));
    expect(readFileSync(join(stateDir, 'pid'), 'utf8').trim()).toBe(String(c.pid));
    expect(statSync(join(stateDir, 'attach.sock')).mode & 0o777).toBe(0o600);

    const client = await attached(stateDir);
    await scratch.start(c.id);
    const exit = await client.exited;

    expect(client.stdout).toBe('out\nbad\uFFFDutf8 é\n');
    expect(client.stderr).toBe('err\n');
    expect(exit).toMatchObject({ exitCode: 3, signal: null, oomKilled: false });
    expect(await readExit(stateDir)).toEqual(exit);

    const lines = logLines(logPath);
    const byStream = (s: string) =>
      lines
        .filter((l) => l.stream === s)
        .map((l) => l.log)
        .join('');
    expect(byStream('stdout')).toBe('out\nbad\uFFFDutf8 é\n');
    expect(byStream('stderr')).toBe('err\n');
    for (const line of lines) expect(Number.isNaN(Date.parse(line.time))).toBe(false);
    expect(readFileSync(logPath, 'utf8')).toContain('\\n"');

    // A client arriving after the exit still gets the replay and the exit.
    const late = new Collector(attachShim(stateDir, { replay: true }));
    expect(await late.exited).toEqual(exit);
    expect(late.stdout).toBe('out\nbad\uFFFDutf8 é\n');

    // Then the shim goes away and removes its socket and pid file.
    await waitFor('the shim to exit', () => !isAlive(c.shimPid));
    expect(existsSync(join(stateDir, 'attach.sock'))).toBe(false);
    expect(existsSync(join(stateDir, 'shim.pid'))).toBe(false);
    expect(existsSync(join(stateDir, 'exit'))).toBe(true);
  });

  it('keeps a UTF-8 character split across reads whole in the log, and replaces a dangling one at exit', async () => {
    const stateDir = scratch.stateDir();
    const logPath = join(stateDir, 'ctr.log');
    const c = await startContainer(
      ['sh', '-c', "printf '\\303'; sleep 0.3; printf '\\251\\n'; sleep 0.3; printf 'x\\342\\202'"],
      {
        stateDir,
        logPath,
      },
    );
    const client = await attached(stateDir);
    await scratch.start(c.id);
    await client.exited;
    expect(client.stdoutBuffer().equals(Buffer.from([0xc3, 0xa9, 0x0a, 0x78, 0xe2, 0x82]))).toBe(true);
    const lines = logLines(logPath);
    expect(lines.map((l) => l.log).join('')).toBe('é\nx\uFFFD\uFFFD');
  });

  it('records 128+n and the signal when the process is killed through the attach socket', async () => {
    const c = await startContainer(['sleep', '1000']);
    const client = await attached(c.stateDir);
    await scratch.start(c.id);
    client.attachment.signal(9);
    const exit = await client.exited;
    expect(exit).toMatchObject({ exitCode: 137, signal: 9 });
    expect(await readExit(c.stateDir)).toEqual(exit);
  });

  it('reports oomKilled when the memory cgroup killed a process of the container', async () => {
    const id = scratch.newId();
    const stateDir = scratch.stateDir();
    const limit = 32 * 1024 * 1024;
    const bundle = scratch.bundle(
      { args: ['sh', '-c', 'yes | head -c 200000000 | sort >/dev/null'], tty: false },
      (spec) => {
        Object.assign(spec.linux.resources, { memory: { limit, swap: limit } });
      },
    );
    await startShim({ id, bundle, stateDir, runtime: scratch.runtime, runtimeRoot: scratch.runtimeRoot });
    const client = await attached(stateDir);
    await scratch.start(id);
    expect(await client.exited).toMatchObject({ exitCode: 137, oomKilled: true });
  });

  it('reports oomKilled false for an ordinary exit', async () => {
    const c = await startContainer(['true']);
    const client = await attached(c.stateDir);
    await scratch.start(c.id);
    expect(await client.exited).toMatchObject({ exitCode: 0, signal: null, oomKilled: false });
  });

  it('starts afresh in a reused state dir while the previous shim still lingers', async () => {
    const stateDir = scratch.stateDir();
    const first = await startContainer(['sh', '-c', 'exit 9'], { stateDir });
    const firstClient = await attached(stateDir);
    await scratch.start(first.id);
    expect(await firstClient.exited).toMatchObject({ exitCode: 9 });

    // As a restart policy does: a new shim before the old one has gone.
    const second = await startContainer(['sleep', '1000'], { stateDir });
    expect(await readExit(stateDir)).toBeNull();
    await waitFor('the first shim to exit', () => !isAlive(first.shimPid));
    expect(await readShimPid(stateDir)).toBe(second.shimPid);
    const client = await attached(stateDir);
    await scratch.start(second.id);
    client.attachment.signal(9);
    expect(await client.exited).toMatchObject({ exitCode: 137 });
    expect(await readExit(stateDir)).toMatchObject({ exitCode: 137 });
  });

  it('passes stdin through and closes it on request', async () => {
    const c = await startContainer(['sh', '-c', 'cat; echo cat-done'], { stdin: true });
    const client = await attached(c.stateDir, { stdin: true });
    await scratch.start(c.id);
    client.attachment.write('from stdin\n');
    await client.waitStdout('from stdin\n');
    client.attachment.closeStdin();
    expect(await client.exited).toMatchObject({ exitCode: 0 });
    expect(client.stdout).toBe('from stdin\ncat-done\n');
  });

  it('fails with the runtime message and leaves nothing behind', async () => {
    const id = scratch.newId();
    const stateDir = scratch.stateDir();
    const bundle = scratch.bundle({ args: ['true'], tty: false }, (spec) => {
      spec.root.path = '/nonexistent-rootfs';
    });
    const err = await startShim({
      id,
      bundle,
      stateDir,
      runtime: scratch.runtime,
      runtimeRoot: scratch.runtimeRoot,
      logPath: join(stateDir, 'ctr.log'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimStartError);
    expect((err as ShimStartError).id).toBe(id);
    expect((err as ShimStartError).message).toMatch(/rootfs/);
    expect((err as ShimStartError).stderr).toMatch(/^dyshim: /);
    expect(existsSync(stateDir)).toBe(false);
    await expect(scratch.runtimeCmd('state', id)).rejects.toThrow();
  });

  it('fails to start when the log cannot be opened, before creating the container', async () => {
    const id = scratch.newId();
    const err = await startShim({
      id,
      bundle: scratch.bundle({ args: ['true'], tty: false }),
      stateDir: scratch.stateDir(),
      runtime: scratch.runtime,
      runtimeRoot: scratch.runtimeRoot,
      logPath: join(scratch.dir, 'no-such-dir', 'ctr.log'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShimStartError);
    expect((err as Error).message).toContain('cannot open log');
    await expect(scratch.runtimeCmd('state', id)).rejects.toThrow();
  });

  it('rotates the log at the size cap and keeps at most N rotated files', async () => {
    const stateDir = scratch.stateDir();
    const logPath = join(stateDir, 'ctr.log');
    const c = await startContainer(['seq', '1', '20000'], {
      stateDir,
      logPath,
      logMaxSize: 4096,
      logMaxFiles: 2,
    });
    const client = await attached(c.stateDir);
    await scratch.start(c.id);
    await client.exited;

    const files = readdirSync(stateDir)
      .filter((f) => f.startsWith('ctr.log'))
      .sort();
    expect(files).toEqual(['ctr.log', 'ctr.log.1', 'ctr.log.2']);
    // Oldest first, the kept lines are a contiguous tail of the output.
    const kept = ['ctr.log.2', 'ctr.log.1', 'ctr.log']
      .flatMap((f) => logLines(join(stateDir, f)))
      .map((l) => l.log)
      .join('');
    const full = `${Array.from({ length: 20000 }, (_, i) => i + 1).join('\n')}\n`;
    expect(kept.length).toBeGreaterThan(0);
    expect(full.endsWith(kept)).toBe(true);
    for (const f of files.slice(1)) {
      expect(statSync(join(stateDir, f)).size).toBeGreaterThanOrEqual(4096);
    }
  });
});

describe('dyshim attach clients', () => {
  it('replays the last 256 KiB of scrollback to a client that attaches late', async () => {
    const c = await startContainer(['sh', '-c', 'seq 1 60000; echo END; sleep 1000']);
    const first = await attached(c.stateDir);
    await scratch.start(c.id);
    await first.waitStdout('END\n');

    const full = `${Array.from({ length: 60000 }, (_, i) => i + 1).join('\n')}\nEND\n`;
    expect(first.stdout).toBe(full);

    const late = await attached(c.stateDir, { replay: true });
    expect(late.stdoutBeforeReplayEnd).toBe(256 * 1024);
    expect(late.stdout).toBe(full.slice(-256 * 1024));

    const noReplay = await attached(c.stateDir, { replay: false });
    expect(noReplay.stdoutBeforeReplayEnd).toBe(0);
    first.attachment.signal(9);
    await Promise.all([first.exited, late.exited, noReplay.exited]);
  });

  it('broadcasts the same output to two clients', async () => {
    const c = await startContainer(['seq', '1', '5000']);
    const a = await attached(c.stateDir);
    const b = await attached(c.stateDir);
    await scratch.start(c.id);
    await Promise.all([a.exited, b.exited]);
    const full = `${Array.from({ length: 5000 }, (_, i) => i + 1).join('\n')}\n`;
    expect(a.stdout).toBe(full);
    expect(b.stdout).toBe(full);
  });
});

describe('dyshim with a TTY', () => {
  it('echoes what a client types and resizes the terminal', async () => {
    const c = await startContainer(['sh'], { tty: true, stdin: true });
    const client = await attached(c.stateDir, { stdin: true });
    await scratch.start(c.id);
    client.attachment.write('echo hi\n');
    await client.waitStdout(/echo hi\r\nhi\r\n/);
    client.attachment.resize(40, 100);
    client.attachment.write('stty size\n');
    await client.waitStdout('40 100\r\n');
    client.attachment.write('exit 5\n');
    expect(await client.exited).toMatchObject({ exitCode: 5, signal: null });
  });

  it('keeps the container and its terminal when the process that started the shim dies', async () => {
    const id = scratch.newId();
    const stateDir = scratch.stateDir();
    const opts: StartShimOptions = {
      id,
      stateDir,
      bundle: scratch.bundle({ args: ['sh'], tty: true }),
      runtime: scratch.runtime,
      runtimeRoot: scratch.runtimeRoot,
      tty: true,
      stdin: true,
    };
    const fixture = fileURLToPath(new URL('./fixtures/spawn-shim.ts', import.meta.url));
    const engine = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(opts)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    scratch.track(engine.pid ?? -1);
    const engineExit = new Promise((resolve) => engine.on('exit', resolve));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      engine.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
      });
      engine.on('exit', (code) => reject(new Error(`engine fixture exited with ${code}: ${out}`)));
    });
    const started = JSON.parse(line) as { pid: number; shimPid: number };

    engine.kill('SIGKILL');
    await engineExit;
    expect(isAlive(started.shimPid)).toBe(true);
    expect(isAlive(started.pid)).toBe(true);

    const client = await attached(stateDir, { replay: true, stdin: true });
    expect(client.stdout).toContain('before-42');
    client.attachment.write('echo after-$((6*7))\n');
    await client.waitStdout('after-42');
    client.attachment.write('exit\n');
    expect(await client.exited).toMatchObject({ exitCode: 0 });
  });
});

describe('dyshim shutdown', () => {
  it('removes its socket and pid file on SIGTERM and leaves the container running', async () => {
    const c = await startContainer(['sleep', '1000']);
    await scratch.start(c.id);
    process.kill(c.shimPid, 'SIGTERM');
    await waitFor('the shim to exit', () => !isAlive(c.shimPid));
    expect(existsSync(join(c.stateDir, 'attach.sock'))).toBe(false);
    expect(existsSync(join(c.stateDir, 'shim.pid'))).toBe(false);
    expect(isAlive(c.pid)).toBe(true);
  });
});

describe('dyshim exec processes and exit commands', () => {
  it('runs an exec process with its own TTY shim while the container keeps running', async () => {
    const c = await startContainer(['sleep', '1000']);
    await scratch.start(c.id);
    // Longer than a socket address can hold, as engine state paths can be.
    const stateDir = scratch.stateDir(120);
    const processFile = scratch.processFile({ args: ['sh'], tty: true });
    const exec = await startShim({
      id: c.id,
      stateDir,
      runtime: scratch.runtime,
      runtimeRoot: scratch.runtimeRoot,
      tty: true,
      stdin: true,
      exec: { processFile, execId: 'term-1' },
    });
    expect(exec.pid).not.toBe(c.pid);
    expect(exec.shimPid).not.toBe(c.shimPid);
    const client = await attached(stateDir, { replay: true, stdin: true });
    client.attachment.write('echo exec-$((6*7))\n');
    await client.waitStdout('exec-42\r\n');
    client.attachment.write('exit 4\n');
    expect(await client.exited).toMatchObject({ exitCode: 4 });
    expect(isAlive(c.pid)).toBe(true);
  });

  it('runs a non-TTY exec process and replays its output to a client that attaches after it started', async () => {
    const c = await startContainer(['sleep', '1000']);
    await scratch.start(c.id);
    const stateDir = scratch.stateDir();
    const processFile = scratch.processFile({
      args: ['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 7'],
      tty: false,
    });
    await startShim({
      id: c.id,
      stateDir,
      runtime: scratch.runtime,
      runtimeRoot: scratch.runtimeRoot,
      exec: { processFile, execId: 'exec-2' },
    });
    const client = new Collector(attachShim(stateDir, { replay: true }));
    expect(await client.exited).toMatchObject({ exitCode: 7 });
    expect(client.stdout).toBe('exec-out\n');
    expect(client.stderr).toBe('exec-err\n');
  });

  it('runs the exit command after writing the exit file', async () => {
    const stateDir = scratch.stateDir();
    const marker = join(scratch.dir, 'exit-command-ran');
    const c = await startContainer(['sh', '-c', 'exit 2'], {
      stateDir,
      exitCommand: { path: '/bin/sh', args: ['-c', 'cp "$1/exit" "$2"', 'sh', stateDir, marker] },
    });
    await scratch.start(c.id);
    await waitFor('the exit command to run', () => existsSync(marker));
    expect(JSON.parse(readFileSync(marker, 'utf8'))).toMatchObject({ exitCode: 2 });
  });

  it('tells a listening engine of the exit instead of running the exit command', async () => {
    const stateDir = scratch.stateDir();
    const marker = join(scratch.dir, 'exit-command-ran-notify');
    const socketPath = join(scratch.dir, 'exits.sock');
    const heard: string[] = [];
    const server = createServer((conn) => {
      let text = '';
      conn.on('data', (d: Buffer) => {
        text += d.toString();
      });
      conn.on('end', () => heard.push(text));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const c = await startContainer(['true'], {
        stateDir,
        exitCommand: { path: '/bin/sh', args: ['-c', 'touch "$1"', 'sh', marker] },
        exitNotify: socketPath,
      });
      await scratch.start(c.id);
      await waitFor('the engine to hear of the exit', () => heard.length > 0);
      expect(heard).toEqual([`${c.id}\n`]);
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(marker)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('runs the exit command when no engine listens on the exit socket', async () => {
    const stateDir = scratch.stateDir();
    const marker = join(scratch.dir, 'exit-command-ran-fallback');
    const c = await startContainer(['true'], {
      stateDir,
      exitCommand: { path: '/bin/sh', args: ['-c', 'touch "$1"', 'sh', marker] },
      exitNotify: join(scratch.dir, 'nobody-listens.sock'),
    });
    await scratch.start(c.id);
    await waitFor('the exit command to run', () => existsSync(marker));
  });
});

describe('dyshim under an output flood', () => {
  it('drops a client that never reads, keeps feeding a fast one, and stays small', async () => {
    const total = 30_000_000;
    const c = await startContainer(['sh', '-c', `yes | head -c ${total}`]);

    const slow = createConnection({ path: join(c.stateDir, 'attach.sock') });
    const slowChunks: Buffer[] = [];
    const slowClosed = new Promise((resolve) => slow.on('close', resolve));
    await new Promise<void>((resolve) => {
      slow.on('data', (b: Buffer) => {
        slowChunks.push(b);
        // Registered once REPLAY_END arrives: from then on it never reads.
        if (b.includes(FrameType.ReplayEnd)) {
          slow.pause();
          resolve();
        }
      });
      slow.write(encodeHello({ replay: false, stdin: false }));
    });

    const fast = await attached(c.stateDir, {}, false);
    await scratch.start(c.id);
    const exit = await fast.exited;
    expect(exit.exitCode).toBe(0);
    expect(fast.stdoutBytes).toBe(total);

    // Peak resident memory of the shim over the whole flood.
    const peakKiB = vmHwmKiB(c.shimPid);
    expect(peakKiB).toBeLessThan(4 * 1024);

    slow.resume();
    await slowClosed;
    const frames = new FrameDecoder().push(Buffer.concat(slowChunks));
    const slowBytes = frames
      .filter((f) => f.type === FrameType.Stdout)
      .reduce((n, f) => n + f.payload.length, 0);
    expect(frames.some((f) => f.type === FrameType.Exit)).toBe(false);
    expect(slowBytes).toBeLessThan(total);
  });
});
