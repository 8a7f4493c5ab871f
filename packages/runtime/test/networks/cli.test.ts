import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { must, type Result, sh, TestEnv } from './helpers.js';

const cliPath = join(import.meta.dirname, '..', '..', 'bin', 'dockyard.mjs');

/** `dockyard` end to end: networking as users reach it, through container start and the network verbs. */
describe('dockyard CLI networking', () => {
  const env = new TestEnv();
  let root = '';
  let cliEnv: NodeJS.ProcessEnv = {};
  const dockyard = (...args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [cliPath, ...args],
        { env: cliEnv, encoding: 'utf8' },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
        },
      );
    });
  const names = { web: '', a: '', b: '', net: '' };

  beforeAll(async () => {
    await env.setup();
    root = await mkdtemp(join(tmpdir(), 'dytest-cli-'));
    cliEnv = {
      ...process.env,
      DOCKYARD_ROOT: join(root, 'state'),
      DOCKYARD_RUN: join(root, 'run'),
      DOCKYARD_CGROUP_PARENT: `/dytest-${env.tag}`,
      DOCKYARD_BRIDGE_PREFIX: env.bridgePrefix,
      DOCKYARD_CHAIN_PREFIX: env.chainPrefix,
      DOCKYARD_DEFAULT_SUBNET: `10.${env.octet}.0.0/24`,
      DOCKYARD_USER_SUBNET_POOL: `10.${env.octet}.128.0/17`,
    };
    for (const k of Object.keys(names) as Array<keyof typeof names>) names[k] = `dytest-${env.tag}-${k}`;
  });
  afterAll(async () => {
    await dockyard('rm', '-f', names.web, names.a, names.b);
    await dockyard('network', 'rm', names.net);
    // The CLI's records live in its own state root; a manager on it undoes whatever is left.
    const { NetworkManager } = await import('../../src/networks/index.js');
    await new NetworkManager({
      stateRoot: join(root, 'state'),
      runRoot: join(root, 'run'),
      bridgePrefix: env.bridgePrefix,
      chainPrefix: env.chainPrefix,
    }).teardownHost();
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
    await removeCgroupParent(`dytest-${env.tag}`);
    expect(await env.iptablesLines()).toEqual([]);
    expect(await env.links()).toEqual([]);
  });

  it('serves busybox httpd on a port published to 127.0.0.1', async () => {
    const port = 20000 + Math.floor(Math.random() * 10000);
    const marker = `served by ${names.web}`;
    const run = await dockyard(
      'run',
      '-d',
      '--name',
      names.web,
      '-p',
      `127.0.0.1:${port}:80`,
      'busybox',
      'sh',
      '-c',
      `mkdir -p /www && echo '${marker}' > /www/index.html && exec httpd -f -p 80 -h /www`,
    );
    expect(run.code, run.stderr).toBe(0);
    // httpd needs a moment after the container starts; ask until it answers.
    let body = '';
    for (let attempt = 0; attempt < 100 && !body; attempt++) {
      body = await get(port).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return '';
      });
    }
    expect(body).toBe(`${marker}\n`);
    expect((await dockyard('port', names.web)).stdout).toContain(`127.0.0.1:${port}`);
    await dockyard('rm', '-f', names.web);
    expect(
      (await must('iptables-save', [])).split('\n').filter((l) => l.includes(`--dport ${port} `)),
    ).toEqual([]);
  });

  // test/engine covers `run --network` finding an existing container by name; this covers `network connect`
  // of running containers, where the first one can only learn of the second by an in-place hosts rewrite.
  it('lets running containers joined to a user network reach each other by name', async () => {
    expect((await dockyard('network', 'create', names.net)).code).toBe(0);
    for (const n of [names.a, names.b]) {
      const r = await dockyard('run', '-d', '--name', n, 'busybox', 'sleep', '600');
      expect(r.code, r.stderr).toBe(0);
    }
    // On the default bridge names do not resolve.
    expect((await dockyard('exec', names.a, 'ping', '-c1', '-W1', names.b)).code).not.toBe(0);
    for (const n of [names.a, names.b]) {
      const r = await dockyard('network', 'connect', names.net, n);
      expect(r.code, r.stderr).toBe(0);
    }
    const fromA = await dockyard('exec', names.a, 'ping', '-c1', '-W1', names.b);
    expect(fromA.stdout).toContain('1 packets received');
    const fromB = await dockyard('exec', names.b, 'ping', '-c1', '-W1', names.a);
    expect(fromB.stdout).toContain('1 packets received');
  });
});

/** The engine leaves its (empty) cgroup parent behind in every hierarchy; remove ours, deepest first. */
async function removeCgroupParent(name: string): Promise<void> {
  for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const dir = join('/sys/fs/cgroup', controller, name);
    const out = await sh('find', [dir, '-depth', '-type', 'd']);
    for (const d of out.stdout.split('\n').filter(Boolean)) await rmdir(d).catch(() => {});
  }
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
  });
}
