import { describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { spawnViaHelper } from '../../src/util/spawner.js';

describe('the dyspawn helper', () => {
  it('is built and used for commands with the engine environment', async () => {
    const direct = spawnViaHelper(['sh', '-c', 'echo $PPID'], Buffer.alloc(0));
    expect(direct).toBeDefined();
    const r = await direct;
    // The helper, not this process, is the command's parent.
    expect(Number(r?.stdout.toString())).not.toBe(process.pid);
  });

  it('passes arguments, input, output, errors and exit codes through unchanged', async () => {
    const r = await run(
      'sh',
      ['-c', 'read line; echo "got $line and $1"; echo oops >&2; exit 3', 'sh', 'a b'],
      {
        input: 'hello\n',
      },
    );
    expect(r).toEqual({ code: 3, stdout: 'got hello and a b\n', stderr: 'oops\n' });
  });

  it('reports a signal as 128 + its number and a missing program as a spawn error', async () => {
    expect((await run('sh', ['-c', 'kill -9 $$'])).code).toBe(137);
    await expect(run('/nonexistent/tool', [])).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('moves large input and output without deadlock, and serves concurrent callers', async () => {
    const big = 'x'.repeat(3 * 2 ** 20);
    const [echoed, counted, ...rest] = await Promise.all([
      run('cat', [], { input: big }),
      run('sh', ['-c', 'head -c 5000000 /dev/zero | wc -c']),
      ...Array.from({ length: 8 }, (_, i) => run('sh', ['-c', `sleep 0.0${i}; echo ${i}`])),
    ]);
    expect(echoed?.stdout.length).toBe(big.length);
    expect(counted?.stdout.trim()).toBe('5000000');
    expect(rest.map((r) => r.stdout.trim())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });
});
