import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon, clientFor, runProcess, waitFor } from './helpers.js';

const d = new ApiTestDaemon();
const docker = clientFor(d);
const project = `sdkcompose${randomBytes(3).toString('hex')}`;
let dir = '';
let port = 0;

/** A loopback port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const p = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

function compose(args: string[], projectName = project, projectDir = dir, env: NodeJS.ProcessEnv = {}) {
  return runProcess(
    'docker-compose',
    ['--project-name', projectName, '--project-directory', projectDir, ...args],
    {
      env: { ...d.clientEnv, COMPOSE_INTERACTIVE_NO_CLI: '1', ...env },
      timeoutMs: 180_000,
    },
  );
}

/** Exit status 0, or the command's stderr in the failure. */
function succeeded(r: { code: number; stderr: string }): string {
  if (r.code !== 0) throw new Error(`docker-compose exited ${r.code}: ${r.stderr}`);
  return r.stderr;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  await d.setup();
  dir = path.join(d.base, 'compose');
  await fs.mkdir(dir, { recursive: true });
  port = await freePort();
  // web serves a page it writes into the named volume; client waits for web and fetches it by service name.
  const file = `version: "2.4"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello from a named volume > /www/index.html && exec httpd -f -p 8080 -h /www"]
    volumes:
      - site:/www
    networks:
      - backend
    ports:
      - "127.0.0.1:${port}:8080"
  client:
    image: busybox
    depends_on:
      - web
    networks:
      - backend
    command: ["sh", "-c", "until wget -q -O /tmp/page http://web:8080/index.html; do sleep 0.2; done; echo fetched: $$(cat /tmp/page); exec sleep 600"]
networks:
  backend: {}
volumes:
  site: {}
`;
  await fs.writeFile(path.join(dir, 'docker-compose.yml'), file);
});

afterAll(async () => {
  await compose(['down', '-v', '--timeout', '1']).catch(() => undefined);
  await compose(['down', '--timeout', '1'], `${project}b`, path.join(dir, 'b')).catch(() => undefined);
  await d.teardown();
});

describe('docker-compose 1.29 against the engine', () => {
  it('up -d, the port answers, logs, ps, down -v leaves nothing', async () => {
    const up = await compose(['up', '-d']);
    expect(up.stderr).not.toMatch(/ERROR/);
    expect(up.code).toBe(0);

    // The published port on loopback reaches httpd, which serves the file from the volume.
    const page = await waitFor(async () => {
      const r = await get(`http://127.0.0.1:${port}/index.html`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    expect(page.body).toBe('hello from a named volume\n');

    // The second service found the first by its service name on the project network.
    const logs = await waitFor(async () => {
      const r = await compose(['logs', '--no-color', 'client']);
      return r.stdout.includes('fetched: hello from a named volume') ? r.stdout : undefined;
    }, 60_000);
    expect(logs).toMatch(/client_1\s+\| fetched: hello from a named volume/);

    const ps = await compose(['ps']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`${project}_web_1\\s.*Up.*127\\.0\\.0\\.1:${port}->8080/tcp`));
    expect(ps.stdout).toMatch(new RegExp(`${project}_client_1\\s.*Up`));
    expect(ps.stdout.split('\n').filter((l) => l.startsWith(`${project}_`))).toHaveLength(2);

    // What compose made, seen through the sdk.
    const label = { label: [`com.docker.compose.project=${project}`] };
    expect((await docker.listContainers({ filters: label })).length).toBe(2);
    const nets = await docker.listNetworks({ filters: label });
    expect(nets.map((n) => n.Name)).toEqual([`${project}_backend`]);
    const vols = await docker.listVolumes({ filters: label });
    expect(vols.Volumes.map((v) => v.Name)).toEqual([`${project}_site`]);

    const down = await compose(['down', '-v', '--timeout', '1']);
    expect(down.code).toBe(0);
    expect(await docker.listContainers({ all: true, filters: label })).toEqual([]);
    expect(await docker.listNetworks({ filters: label })).toEqual([]);
    expect((await docker.listVolumes({ filters: label })).Volumes).toEqual([]);
    expect(await get(`http://127.0.0.1:${port}/`).catch(() => 'refused')).toBe('refused');
  });

  it('a second up leaves an unchanged service and its named network alone; a changed one is recreated', async () => {
    const bdir = path.join(dir, 'b');
    await fs.mkdir(bdir, { recursive: true });
    const netName = `${project}-shared`;
    const ctrName = `${project}-solo`;
    const file = (tz: string) => `version: "3.8"
services:
  solo:
    image: busybox
    container_name: ${ctrName}
    command: ["sleep", "600"]
    environment:
      TZ: ${tz}
    networks:
      - shared
networks:
  shared:
    name: ${netName}
`;
    // compose 1.29 speaks the server's API version (1.47) and reads image inspect's ContainerConfig when it
    // recreates: the engine keeps that field at every version so this works without COMPOSE_API_VERSION.
    const up = () => compose(['up', '-d'], `${project}b`, bdir);
    await fs.writeFile(path.join(bdir, 'docker-compose.yml'), file('UTC'));
    succeeded(await up());
    const netId = (await docker.getNetwork(netName).inspect()).Id;
    const first = (await docker.getContainer(ctrName).inspect()).Id;

    const again = succeeded(await up());
    expect(again).toContain(`${ctrName} is up-to-date`);
    expect(again).not.toContain('needs to be recreated');
    expect((await docker.getContainer(ctrName).inspect()).Id).toBe(first);

    await fs.writeFile(path.join(bdir, 'docker-compose.yml'), file('Asia/Shanghai'));
    const changed = succeeded(await up());
    expect(changed).toContain(`Recreating ${ctrName}`);
    const recreated = await docker.getContainer(ctrName).inspect();
    expect(recreated.Id).not.toBe(first);
    expect(recreated.Config.Env).toContain('TZ=Asia/Shanghai');
    expect(recreated.State.Running).toBe(true);
    expect(Object.keys(recreated.NetworkSettings.Networks ?? {})).toEqual([netName]);
    expect((await docker.getNetwork(netName).inspect()).Id).toBe(netId);

    succeeded(await compose(['down', '--timeout', '1'], `${project}b`, bdir));
    expect((await docker.listNetworks({ filters: { name: [netName] } })).length).toBe(0);
  });
});
