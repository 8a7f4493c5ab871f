import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containerId, must, sh, TestEnv } from './helpers.js';

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    // Fail rather than hang if the packets go nowhere.
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
  });
}

/** A port nothing on the host listens on and no other test is likely to pick. */
async function freePort(): Promise<number> {
  const listening = await must('ss', ['-ltnH']);
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (!listening.includes(`:${port} `)) return port;
  }
}

async function waitForListener(netns: string, port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 500) throw new Error(`nothing listens on port ${port} in ${netns}`);
    const out = await must('ip', ['netns', 'exec', netns, 'ss', '-ltnH']);
    if (out.includes(`:${port} `)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('publishing ports', () => {
  const env = new TestEnv();
  let webroot = '';
  let netns = { name: '', path: '', hostsPath: '' };
  const web = containerId();
  let webIp = '';
  const marker = `hello from ${web.slice(0, 12)}`;

  beforeAll(async () => {
    await env.setup();
    await env.manager.ensureDefaultBridge();
    webroot = await mkdtemp(join(tmpdir(), 'dytest-www-'));
    await writeFile(join(webroot, 'index.html'), marker);
    netns = await env.netns();
    webIp = (await env.manager.connect({ containerId: web, name: 'web', netnsPath: netns.path }, 'bridge'))
      .ip;
    env.spawnIn(netns.name, BUSYBOX, ['httpd', '-f', '-p', '80', '-h', webroot]);
    await waitForListener(netns.name, 80);
  });
  afterAll(async () => {
    await env.cleanup();
    await rm(webroot, { recursive: true, force: true });
    expect(await env.iptablesLines()).toEqual([]);
    expect(await env.links()).toEqual([]);
  });

  const rulesOf = async (id: string) =>
    (await must('iptables-save', [])).split('\n').filter((l) => l.includes(`dockyard:${id}`));

  it('reaches busybox httpd in the container through 127.0.0.1:<port>', async () => {
    const port = await freePort();
    const applied = await env.manager.publish(web, webIp, [
      { hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'tcp' },
    ]);
    expect(applied).toEqual([{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'tcp' }]);
    const res = await get(port);
    expect(res.status).toBe(200);
    expect(res.body).toBe(marker);
    expect(await rulesOf(web)).toHaveLength(1);

    await env.manager.unpublish(web);
    expect(await rulesOf(web)).toEqual([]);
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('publishes on 0.0.0.0, reachable through loopback too, and picks a host port when given 0', async () => {
    const [applied] = await env.manager.publish(web, webIp, [
      { hostIp: '0.0.0.0', hostPort: 0, containerPort: 80, proto: 'tcp' },
    ]);
    expect(applied?.hostPort).toBeGreaterThanOrEqual(32768);
    expect((await get(applied?.hostPort ?? 0)).body).toBe(marker);
    await env.manager.unpublish(web);
  });

  it('fails with Docker’s message when a host socket holds the port, leaving no rules', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      await expect(
        env.manager.publish(web, webIp, [
          { hostIp: '127.0.0.1', hostPort: (await freePort()) + 0, containerPort: 81, proto: 'tcp' },
          { hostIp: '0.0.0.0', hostPort: port, containerPort: 80, proto: 'tcp' },
        ]),
      ).rejects.toThrow(`Bind for 0.0.0.0:${port} failed: port is already allocated`);
    } finally {
      server.close();
    }
    expect(await rulesOf(web)).toEqual([]);
  });

  it('fails when another container already published the port, leaving its rules alone', async () => {
    const port = await freePort();
    await env.manager.publish(web, webIp, [
      { hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'tcp' },
    ]);
    const other = containerId();
    const ns2 = await env.netns();
    const ip2 = (
      await env.manager.connect({ containerId: other, name: 'other', netnsPath: ns2.path }, 'bridge')
    ).ip;
    await expect(
      env.manager.publish(other, ip2, [
        { hostIp: '0.0.0.0', hostPort: port, containerPort: 80, proto: 'tcp' },
      ]),
    ).rejects.toMatchObject({
      code: 'port_allocated',
      message: `Bind for 0.0.0.0:${port} failed: port is already allocated`,
    });
    expect(await rulesOf(other)).toEqual([]);
    expect(await rulesOf(web)).toHaveLength(1);
    // The same port over UDP is a different binding.
    await env.manager.publish(other, ip2, [
      { hostIp: '127.0.0.1', hostPort: port, containerPort: 80, proto: 'udp' },
    ]);
    expect(await rulesOf(other)).toHaveLength(1);
    await env.manager.unpublish(other);
    await env.manager.unpublish(web);
    expect(await rulesOf(web)).toEqual([]);
  });

  it('lets a container reach itself through its published port (hairpin)', async () => {
    const port = await freePort();
    const gateway = `10.${env.octet}.0.1`;
    await env.manager.publish(web, webIp, [
      { hostIp: '0.0.0.0', hostPort: port, containerPort: 80, proto: 'tcp' },
    ]);
    // node as the client inside the netns (busybox-static's wget crashes resolving addresses).
    // A bound on the wait so a broken hairpin fails the test instead of hanging it.
    const script = `require('http').get('http://${gateway}:${port}/', { timeout: 5000 }, (r) => r.pipe(process.stdout)).on('timeout', () => process.exit(2))`;
    const r = await sh('ip', ['netns', 'exec', netns.name, process.execPath, '-e', script]);
    expect(r.stdout).toBe(marker);
    await env.manager.unpublish(web);
  });
});
