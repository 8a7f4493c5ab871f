import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon } from './helpers.js';

const d = new ApiTestDaemon();

beforeAll(() => d.setup());
afterAll(() => d.teardown());

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

/** Containers come from the CLI on the same state root, so these tests need only the volume endpoints. */
async function dy(args: string[]): Promise<string> {
  const r = await d.dy(args);
  if (r.code !== 0) throw new Error(`dockyard ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('engine API: volumes', () => {
  it('docker volume create/ls/inspect/rm with labels and filters', async () => {
    const vol = d.name('vol');
    const other = d.name('other');
    expect(await d.ok(['volume', 'create', '--label', 'course=dockyard', '--label', 'lab', vol])).toBe(vol);
    expect(await d.ok(['volume', 'create', other])).toBe(other);
    const info = JSON.parse(await d.ok(['volume', 'inspect', vol]))[0];
    expect(info).toMatchObject({
      Name: vol,
      Driver: 'local',
      Scope: 'local',
      Labels: { course: 'dockyard', lab: '' },
      Mountpoint: path.join(d.root, 'volumes', vol, '_data'),
    });
    expect(Date.parse(info.CreatedAt)).not.toBeNaN();

    const byLabel = await d.ok(['volume', 'ls', '-q', '--filter', 'label=course=dockyard']);
    expect(byLabel.split('\n')).toEqual([vol]);
    const byName = await d.ok(['volume', 'ls', '-q', '--filter', `name=${other}`]);
    expect(byName.split('\n')).toEqual([other]);
    const all = await d.ok(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}']);
    expect(all.split('\n')).toEqual(expect.arrayContaining([`local ${vol}`, `local ${other}`]));

    expect(await d.ok(['volume', 'rm', vol, other])).toBe(`${vol}\n${other}`);
    const gone = await d.docker(['volume', 'inspect', vol]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`No such volume: ${vol}`);
    const raw = await d.request('GET', `/volumes/${vol}`);
    expect(raw.status).toBe(404);
    expect(json(raw.body).message).toBe(`get ${vol}: no such volume`);
  });

  it('a volume mounted by a container is in use (409) and dangling=false; rm -f of a missing one succeeds', async () => {
    const vol = d.name('used');
    const ctr = d.name('user');
    await d.ok(['volume', 'create', vol]);
    await dy(['create', '--name', ctr, '-v', `${vol}:/data`, 'busybox', 'true']);
    const del = await d.request('DELETE', `/v1.41/volumes/${vol}`);
    expect(del.status).toBe(409);
    expect(json(del.body).message).toMatch(
      new RegExp(`^remove ${vol}: volume is in use - \\[[0-9a-f]{64}\\]$`),
    );
    const dangling = await d.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']);
    expect(dangling.split('\n')).not.toContain(vol);
    const inUse = await d.ok(['volume', 'ls', '-q', '--filter', 'dangling=false']);
    expect(inUse.split('\n')).toContain(vol);
    await dy(['rm', ctr]);
    expect((await d.request('DELETE', `/volumes/${vol}`)).status).toBe(204);
    expect((await d.request('DELETE', `/volumes/${vol}`)).status).toBe(404);
    expect((await d.request('DELETE', `/volumes/${vol}?force=1`)).status).toBe(204);
  });

  it('create is idempotent by name, answers 201 in Docker shape, refuses foreign drivers and options', async () => {
    const vol = d.name('api');
    const body = JSON.stringify({ Name: vol, Driver: 'local', Labels: { a: 'b' }, DriverOpts: {} });
    const first = await d.request('POST', '/v1.43/volumes/create', body);
    expect(first.status).toBe(201);
    expect(Object.keys(json(first.body)).sort()).toEqual(
      ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope'].sort(),
    );
    const again = await d.request('POST', '/v1.43/volumes/create', body);
    expect(json(again.body).CreatedAt).toBe(json(first.body).CreatedAt);

    const foreign = await d.request('POST', '/volumes/create', JSON.stringify({ Name: 'x1', Driver: 'nfs' }));
    expect(foreign.status).toBe(404);
    expect(json(foreign.body).message).toBe('plugin "nfs" not found');
    const opts = await d.request(
      'POST',
      '/volumes/create',
      JSON.stringify({ Name: 'x2', DriverOpts: { bogus: '1' } }),
    );
    expect(opts.status).toBe(400);
    expect(json(opts.body).message).toBe('invalid option key: "bogus"');
    const badName = await d.request('POST', '/volumes/create', JSON.stringify({ Name: '../etc' }));
    expect(badName.status).toBe(400);
    const malformed = await d.request('POST', '/volumes/create', '{"Name":');
    expect(malformed.status).toBe(400);
    const badFilter = await d.request('GET', `/volumes?filters=${encodeURIComponent('{"colour":["red"]}')}`);
    expect(badFilter.status).toBe(400);
    expect(json(badFilter.body).message).toBe("invalid filter 'colour'");
    expect((await d.request('GET', '/volumes/x2')).status).toBe(404);
    expect((await d.request('DELETE', `/volumes/${vol}`)).status).toBe(204);
  });

  it('prune: API 1.41 removes every unused volume, 1.42+ only anonymous ones unless all=true', async () => {
    const keep = d.name('keep');
    const named = d.name('named');
    const holder = d.name('holder');
    await d.ok(['volume', 'create', keep]);
    await d.ok(['volume', 'create', named]);
    await dy(['create', '--name', holder, '-v', `${keep}:/k`, 'busybox', 'true']);
    const anon = d.name('anon');
    await dy(['create', '--name', anon, '-v', '/scratch', 'busybox', 'true']);
    const anonName = await dy(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', anon]);
    await dy(['rm', anon]);

    const modern = json((await d.request('POST', '/v1.43/volumes/prune')).body);
    expect(modern.VolumesDeleted).toEqual([anonName]);
    expect(typeof modern.SpaceReclaimed).toBe('number');

    const legacy = await d.ok(['volume', 'prune', '-f']);
    expect(legacy).toContain(named);
    expect(legacy).not.toContain(keep);
    const left = (await d.ok(['volume', 'ls', '-q'])).split('\n');
    expect(left).toContain(keep);
    expect(left).not.toContain(named);
    await dy(['rm', holder]);
    const all = json(
      (await d.request('POST', `/v1.43/volumes/prune?filters=${encodeURIComponent('{"all":["true"]}')}`))
        .body,
    );
    expect(all.VolumesDeleted).toEqual([keep]);
  });

  it('records volume events', async () => {
    const vol = d.name('ev');
    const since = Math.floor(Date.now() / 1000) - 1;
    await d.ok(['volume', 'create', vol]);
    await d.ok(['volume', 'rm', vol]);
    const events = await d.ok([
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      `volume=${vol}`,
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.ID}}',
    ]);
    expect(events.split('\n')).toEqual([`volume create ${vol}`, `volume destroy ${vol}`]);
  });
});
