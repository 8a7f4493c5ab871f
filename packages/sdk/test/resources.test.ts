import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerApiError, type DockerEvent } from '../src/index.js';
import { ApiTestDaemon, clientFor } from './helpers.js';

const d = new ApiTestDaemon();
const docker = clientFor(d);

beforeAll(() => d.setup());
afterAll(() => d.teardown());

async function apiError(p: Promise<unknown>): Promise<DockerApiError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof DockerApiError)) throw new Error(`expected a DockerApiError, got ${String(e)}`);
  return e;
}

describe('sdk: system, volumes, networks, errors', () => {
  it('ping, version, info', async () => {
    expect(await docker.ping()).toBe('OK');
    const v = await docker.version();
    expect(v.ApiVersion).toBe('1.47');
    expect(v.Os).toBe('linux');
    const info = await docker.info();
    expect(info.Images).toBe(1);
    expect(info.OSType).toBe('linux');
  });

  it('volumes: create, list with filters, inspect, remove, prune', async () => {
    const name = d.name('vol');
    const vol = await docker.createVolume({ Name: name, Labels: { sdk: 'yes' } });
    expect(vol.name).toBe(name);
    const info = await vol.inspect();
    expect(info).toMatchObject({ Name: name, Driver: 'local', Scope: 'local', Labels: { sdk: 'yes' } });
    const listed = await docker.listVolumes({ filters: { label: ['sdk=yes'] } });
    expect(listed.Volumes.map((v) => v.Name)).toEqual([name]);
    expect(listed.Warnings).toEqual([]);
    await vol.remove();
    const gone = await apiError(vol.inspect());
    expect(gone.statusCode).toBe(404);
    expect(gone.message).toBe(`get ${name}: no such volume`);
    await docker.getVolume(name).remove({ force: true });

    const idle = d.name('idle');
    await docker.createVolume({ Name: idle });
    const pruned = await docker.pruneVolumes({ filters: { all: ['true'] } });
    expect(pruned.VolumesDeleted).toContain(idle);
  });

  it('networks: create, inspect, list with filters, remove, prune; duplicate is a 409', async () => {
    const name = d.name('net');
    const subnet = `10.${d.octet}.210.0/24`;
    const net = await docker.createNetwork({
      Name: name,
      CheckDuplicate: true,
      Driver: 'bridge',
      IPAM: { Config: [{ Subnet: subnet }] },
      Labels: { sdk: 'yes' },
    });
    expect(net.id).toMatch(/^[0-9a-f]{64}$/);
    const info = await net.inspect();
    expect(info).toMatchObject({ Name: name, Driver: 'bridge', Scope: 'local', Internal: false });
    expect(info.IPAM.Config).toEqual([{ Subnet: subnet, Gateway: `10.${d.octet}.210.1` }]);
    const listed = await docker.listNetworks({ filters: { label: ['sdk=yes'] } });
    expect(listed.map((n) => n.Id)).toEqual([net.id]);
    const dup = await apiError(docker.createNetwork({ Name: name, CheckDuplicate: true }));
    expect(dup.statusCode).toBe(409);
    expect(dup.message).toBe(`network with name ${name} already exists`);
    await net.remove();
    expect((await apiError(net.inspect())).statusCode).toBe(404);

    const idle = d.name('idle');
    await docker.createNetwork({ Name: idle });
    expect((await docker.pruneNetworks()).NetworksDeleted).toEqual([idle]);
  });

  it('events stream the engine actions as typed objects', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const name = d.name('evt');
    await docker.createVolume({ Name: name });
    await docker.getVolume(name).remove();
    const stream = await docker.getEvents({
      since,
      until: Math.floor(Date.now() / 1000) + 1,
      filters: { type: ['volume'], volume: [name] },
    });
    const seen: DockerEvent[] = [];
    for await (const e of stream) seen.push(e);
    expect(seen.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`)).toEqual([
      `volume create ${name}`,
      `volume destroy ${name}`,
    ]);
  });

  it('errors: unknown objects are 404s, bad input 400s, all as DockerApiError', async () => {
    const noCtr = await apiError(docker.getContainer('sdk-missing').inspect());
    expect(noCtr.statusCode).toBe(404);
    expect(noCtr.message).toContain('No such container: sdk-missing');
    const noImg = await apiError(docker.getImage('sdk-missing:nope').inspect());
    expect(noImg.statusCode).toBe(404);
    const bad = await apiError(docker.createVolume({ Name: '../../etc' }));
    expect(bad.statusCode).toBe(400);
    const old = await apiError(clientFor(d, '1.12').ping());
    expect(old.statusCode).toBe(400);
    expect(old.message).toContain('client version 1.12 is too old');
    // An unversioned client talks to the same engine.
    expect(await clientFor(d, null).ping()).toBe('OK');
  });
});
