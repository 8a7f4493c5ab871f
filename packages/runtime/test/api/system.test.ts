import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, BIN, DOCKER, runProcess, waitFor } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

describe('engine API: system endpoints', () => {
  it('answers _ping with Docker headers', async () => {
    const r = await d.request('GET', '/_ping');
    expect(r.status).toBe(200);
    expect(r.body).toBe('OK');
    expect(r.headers['api-version']).toBe('1.47');
    expect(r.headers.ostype).toBe('linux');
    const head = await d.request('HEAD', '/v1.41/_ping');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('docker version shows both sides', async () => {
    const out = await d.ok(['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}']);
    expect(out).toBe('1.47 1.41');
  });

  it('docker info prints the server section', async () => {
    const out = await d.ok(['info', '--format', '{{.Driver}} {{.OSType}} {{.Images}}']);
    expect(out).toBe('overlay2 linux 1');
  });

  it('accepts newer version prefixes and refuses old ones', async () => {
    expect((await d.request('GET', '/v1.99/version')).status).toBe(200);
    const old = await d.request('GET', '/v1.12/version');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body).message).toMatch(/client version 1.12 is too old/);
  });

  it('unknown routes are 404 page not found, and the server keeps serving', async () => {
    const r = await d.request('GET', '/v1.41/nothing/here');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ message: 'page not found' });
    expect((await d.request('GET', '/_ping')).status).toBe(200);
  });

  it('the socket is root-owned 0660 and TCP without TLS is refused', async () => {
    const st = await fs.stat(d.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(0);
    const r = await d.dy(['daemon', '--host', 'tcp://127.0.0.1:0'], { timeoutMs: 20_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to listen on TCP without --tlsverify/);
  });

  it('a second daemon on its own socket stops cleanly on SIGTERM and removes its socket', async () => {
    const socket = `${d.run}/second.sock`;
    const child = spawn(process.execPath, [BIN, 'daemon', '--host', `unix://${socket}`], {
      env: d.env,
      stdio: 'ignore',
    });
    await waitFor(async () => existsSync(socket));
    const r = await runProcess(DOCKER, ['version', '--format', '{{.Server.Os}}'], {
      env: { ...d.clientEnv, DOCKER_HOST: `unix://${socket}` },
    });
    expect(r.stdout.trim()).toBe('linux');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('TCP only with mutual TLS: a client with a CA-signed cert gets in, one without is refused', async () => {
    const dir = path.join(d.base, 'tls');
    await fs.mkdir(dir, { recursive: true });
    const ssl = async (args: string[]) => {
      const r = await runProcess('openssl', args, { env: process.env });
      if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
    };
    const f = (n: string) => path.join(dir, n);
    await ssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f('ca-key.pem'),
      '-out',
      f('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=api-test-ca',
    ]);
    for (const [name, cn, usage] of [
      ['server', 'localhost', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
      ['client', 'client', 'extendedKeyUsage=clientAuth\n'],
    ] as const) {
      await ssl([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f(`${name}-key.pem`),
        '-out',
        f(`${name}.csr`),
        '-subj',
        `/CN=${cn}`,
      ]);
      await fs.writeFile(f(`${name}.ext`), usage);
      await ssl([
        'x509',
        '-req',
        '-in',
        f(`${name}.csr`),
        '-CA',
        f('ca.pem'),
        '-CAkey',
        f('ca-key.pem'),
        '-CAcreateserial',
        '-out',
        f(`${name}.pem`),
        '-days',
        '1',
        '-extfile',
        f(`${name}.ext`),
      ]);
    }
    const child = spawn(
      process.execPath,
      [
        BIN,
        'daemon',
        '--host',
        `unix://${d.run}/tls.sock`,
        '--host',
        'tcp://127.0.0.1:0',
        '--tlsverify',
        '--tlscacert',
        f('ca.pem'),
        '--tlscert',
        f('server.pem'),
        '--tlskey',
        f('server-key.pem'),
      ],
      { env: d.env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    try {
      const port = await waitFor(async () => /tcp port (\d+)/.exec(stderr)?.[1], 30_000);
      const host = ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', f('ca.pem')];
      const good = await d.docker(
        [
          ...host,
          '--tlscert',
          f('client.pem'),
          '--tlskey',
          f('client-key.pem'),
          'version',
          '--format',
          '{{.Server.Os}}',
        ],
        { env: { DOCKER_HOST: '' } },
      );
      expect(good.stdout.trim()).toBe('linux');
      const noCert = await d.docker([...host, 'ps'], { env: { DOCKER_HOST: '' } });
      expect(noCert.code).not.toBe(0);
      expect(noCert.stderr).toMatch(/certificate required|bad certificate|handshake/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
