import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateCheck, type HostCheck } from '../src/evaluate.js';
import { type NestedBox, startNestedBox } from './nested-box.js';

// Containers and images of the nested engine in a real lab box, judged from the host.
let lab: NestedBox;
const grade = (check: HostCheck) => evaluateCheck(check, { target: lab.target });

beforeAll(async () => {
  lab = await startNestedBox();
  await lab.sh(
    [
      'mkdir -p /root/site && echo hello > /root/site/index.html',
      'docker network create labnet >/dev/null',
      'docker run -d --name web -m 64m --pids-limit 50 --cpus 0.5 -p 127.0.0.1:8080:80 -e GREETING=hi --hostname webhost -v /root/site:/www --network labnet --restart always busybox httpd -f -p 80 -h /www >/dev/null',
      'docker run -d --name site -p 8086:80 -v /root/site:/www busybox httpd -f -p 80 -h /www >/dev/null',
      'docker volume create data >/dev/null',
      'docker run -d --name vol -v data:/data busybox sleep 1000 >/dev/null',
      'docker create --name life busybox sleep 100 >/dev/null',
      'docker run -d --name hostnet --network host busybox sleep 1000 >/dev/null',
      'docker run -d --name nonet --network none busybox sleep 1000 >/dev/null',
      'docker run -d --name frozen busybox sleep 1000 >/dev/null && docker pause frozen >/dev/null',
      'docker run --name done busybox sh -c "exit 3" || true',
      'docker commit web snap:1 >/dev/null',
    ].join(' && '),
  );
}, 180_000);

afterAll(async () => {
  await lab?.destroy();
});

describe('container checks', () => {
  it('passes a running container with the asked limits, ports, networks, mounts, env and hostname', async () => {
    const result = await grade({
      kind: 'container',
      name: 'web',
      expect: {
        state: 'running',
        image: 'busybox',
        memory: '64MiB',
        pids: 50,
        cpus: 0.5,
        ports: ['127.0.0.1:8080:80/tcp'],
        networks: ['labnet'],
        mounts: [{ source: '/root/site', destination: '/www', type: 'bind' }],
        restart: 'always',
        env: ['GREETING=hi'],
        hostname: 'webhost',
      },
    });
    expect(result.message.en).toBe('Container web is as asked (running).');
    expect(result.pass).toBe(true);
  });

  it('says precisely what differs', async () => {
    const result = await grade({
      kind: 'container',
      name: 'web',
      expect: {
        memory: '128MiB',
        ports: ['127.0.0.1:8081:80/tcp'],
        network: 'bridge',
        mounts: [{ destination: '/www', type: 'volume' }],
        env: ['GREETING=bye'],
        hostname: 'other',
      },
    });
    expect(result.pass).toBe(false);
    expect(result.message.en).toContain('memory limit is 64MiB, the task asks for 128MiB');
    expect(result.message['zh-CN']).toContain('容器 web 的 memory 上限是 64MiB，题目要求 128MiB');
    expect(result.message.en).toContain('port 127.0.0.1:8081:80/tcp is not published');
    expect(result.message.en).toContain('not on network bridge (it is on: labnet)');
    expect(result.message.en).toContain('/www in container web is a bind mount');
    expect(result.message.en).toContain('does not have GREETING=bye');
    expect(result.message.en).toContain('has hostname webhost, the task asks for other');
  });

  it('tells volumes from binds', async () => {
    const result = await grade({
      kind: 'container',
      name: 'vol',
      expect: {
        state: 'running',
        mounts: [{ source: 'data', destination: '/data', type: 'volume' }],
        network: 'bridge',
      },
    });
    expect(result.message.en).toBe('Container vol is as asked (running).');
  });

  it("knows Docker's host and none network modes", async () => {
    expect((await grade({ kind: 'container', name: 'hostnet', expect: { network: 'host' } })).pass).toBe(
      true,
    );
    expect((await grade({ kind: 'container', name: 'nonet', expect: { network: 'none' } })).pass).toBe(true);
    const wrong = await grade({ kind: 'container', name: 'nonet', expect: { network: 'bridge' } });
    expect(wrong.message.en).toBe('Container nonet is not on network bridge (it is on: none).');
  });

  it('knows created, paused and exited containers', async () => {
    const life = await grade({
      kind: 'container',
      name: 'life',
      expect: { state: 'created', image: 'busybox' },
    });
    expect(life.message.en).toBe('Container life is as asked (created).');
    const frozen = await grade({ kind: 'container', name: 'frozen', expect: { state: 'paused' } });
    expect(frozen.message.en).toBe('Container frozen is as asked (paused).');
    const done = await grade({
      kind: 'container',
      name: 'done',
      expect: { state: 'exited', 'exit-code': 3 },
    });
    expect(done.message.en).toBe('Container done is as asked (exited).');
    const running = await grade({ kind: 'container', name: 'frozen', expect: { state: 'running' } });
    expect(running.message.en).toBe('Container frozen is paused, the task asks for running.');
    const missing = await grade({ kind: 'container', name: 'nope', expect: { state: 'running' } });
    expect(missing.message.en).toBe('There is no container named nope.');
  });

  it('reaches a published nested container from the host through the box address', async () => {
    const result = await evaluateCheck(
      { kind: 'http', port: 8086, path: '/index.html', expect: { status: 200, body: 'hello' } },
      { target: lab.target, address: lab.box.address },
    );
    expect(result.pass).toBe(true);
    const ports = await grade({ kind: 'container', name: 'site', expect: { ports: ['8086:80/tcp'] } });
    expect(ports.pass).toBe(true);
  });

  it('evaluates other checks inside a container given by name', async () => {
    const result = await grade({
      kind: 'file',
      in: 'container:web',
      path: '/www/index.html',
      expect: { content: 'hello' },
    });
    expect(result.pass).toBe(true);
    const stopped = await grade({
      kind: 'file',
      in: 'container:done',
      path: '/bin/sh',
      expect: { exists: true },
    });
    expect(stopped.pass).toBe(false);
  });
});

describe('image checks', () => {
  it('judges an image from its verified config and layers', async () => {
    const base = await grade({
      kind: 'image',
      ref: 'busybox',
      expect: { 'layers-max': 1, cmd: ['sh'], 'size-max': '10MiB' },
    });
    expect(base.pass).toBe(true);
    const snap = await grade({ kind: 'image', ref: 'snap:1', expect: { 'layers-min': 2 } });
    expect(snap.message.en).toMatch(/^Image snap:1 is as asked \(2 layer/);
    const wrong = await grade({ kind: 'image', ref: 'snap:1', expect: { 'layers-max': 1, user: 'app' } });
    expect(wrong.message.en).toBe(
      'Image snap:1: it has 2 layer(s), at most 1 are allowed; USER is root (unset), app is asked for.',
    );
    expect((await grade({ kind: 'image', ref: 'ghost:1', expect: { exists: false } })).pass).toBe(true);
    expect((await grade({ kind: 'image', ref: 'ghost:1' })).message.en).toBe('There is no image ghost:1.');
  });
});

describe('a student who edits the engine records gains nothing', () => {
  const store = '/var/lib/dockyard';

  it('an exited container marked running in its record is still exited', async () => {
    await lab.sh(
      `f=$(grep -l '"name": "done"' ${store}/containers/*/container.json) && sed -i 's/"status": "exited"/"status": "running"/' $f && grep -q '"status": "running"' $f`,
    );
    const result = await grade({ kind: 'container', name: 'done', expect: { state: 'running' } });
    expect(result.message.en).toBe('Container done is exited, the task asks for running.');
  });

  it('a forged record pointing at another container does not make it exist', async () => {
    // A copy of web's record under a new id and name: no process lives in a cgroup of that id with that rootfs.
    await lab.sh(
      `src=$(grep -l '"name": "web"' ${store}/containers/*/container.json) && id=$(printf '%064d' 7) && mkdir -p ${store}/containers/$id && sed -e "s/$(basename $(dirname $src))/$id/g" -e 's/"name": "web"/"name": "ghost"/' $src > ${store}/containers/$id/container.json`,
    );
    const result = await grade({
      kind: 'container',
      name: 'ghost',
      expect: { state: 'running', memory: '64MiB' },
    });
    expect(result.pass).toBe(false);
    expect(result.message.en).toContain('Container ghost is exited');
  });

  it('a limit written into the record is not a limit', async () => {
    await lab.sh(
      `f=$(grep -l '"name": "vol"' ${store}/containers/*/container.json) && sed -i 's/"memory": 0/"memory": 67108864/' $f`,
    );
    const result = await grade({ kind: 'container', name: 'vol', expect: { memory: '64MiB' } });
    expect(result.message.en).toBe("Container vol's memory limit is unlimited, the task asks for 64MiB.");
  });

  it('an edited image config no longer counts as that image', async () => {
    await lab.sh(
      `id=$(sed -n 's/.*"snap:1": "sha256:\\([0-9a-f]*\\)".*/\\1/p' ${store}/images/repositories.json) && sed -i 's/"Cmd":\\[[^]]*\\]/"Cmd":["forged"]/' ${store}/images/configs/$id.json && grep -q forged ${store}/images/configs/$id.json`,
    );
    const result = await grade({ kind: 'image', ref: 'snap:1', expect: { cmd: ['forged'] } });
    expect(result.pass).toBe(false);
    expect(result.message.en).toMatch(
      /^Image snap:1 is damaged \(the config of snap:1 does not match its id\)/,
    );
  });

  it('a container record claiming another image does not change the layers it runs on', async () => {
    await lab.sh(
      `f=$(grep -l '"name": "web"' ${store}/containers/*/container.json) && sed -i 's/"image": "busybox"/"image": "snap:1"/' $f`,
    );
    const busybox = await grade({ kind: 'container', name: 'web', expect: { image: 'busybox' } });
    expect(busybox.pass).toBe(true);
  });
});
