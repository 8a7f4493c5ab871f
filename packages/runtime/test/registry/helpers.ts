import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** A free TCP port on 127.0.0.1 (the kernel picks it; the registry binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Debian's distribution registry on 127.0.0.1:<free port> with filesystem storage in a temp dir. Its access log
 * (one line per request) is kept so tests can count uploads.
 */
export class TestRegistry {
  dir = '';
  port = 0;
  private child: ChildProcess | undefined;
  private log: string[] = [];

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.dir = await fs.mkdtemp(path.join(os.tmpdir(), `dyreg-${randomBytes(3).toString('hex')}-`));
    for (let attempt = 0; ; attempt++) {
      this.port = await freePort();
      const config = [
        'version: 0.1',
        'log:',
        '  level: error',
        '  formatter: text',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${path.join(this.dir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: 127.0.0.1:${this.port}`,
      ].join('\n');
      const file = path.join(this.dir, 'config.yml');
      await fs.writeFile(file, `${config}\n`);
      const child = spawn(REGISTRY_BIN, ['serve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      const onData = (d: Buffer) => this.log.push(...d.toString().split('\n').filter(Boolean));
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      if (await this.waitReady(child)) return;
      await this.stop();
      if (attempt >= 3) throw new Error(`registry did not start:\n${this.log.join('\n')}`);
    }
  }

  private async waitReady(child: ChildProcess): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) return false;
      const ok = await fetch(`http://${this.host}/v2/`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  }

  /** Access-log lines ("GET /v2/... 200") since start, from the registry's own log. */
  requests(): string[] {
    return this.log.filter((l) => /"(GET|HEAD|POST|PUT|PATCH|DELETE) \/v2\//.test(l));
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  async teardown(): Promise<void> {
    await this.stop();
    if (this.dir) await fs.rm(this.dir, { recursive: true, force: true });
  }
}
