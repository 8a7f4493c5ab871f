import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiTestDaemon } from './helpers.js';

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
});
