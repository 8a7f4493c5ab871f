#!/usr/bin/env node
// `npm start`: one sandbox host and the web app on this machine, sharing a lab-token secret.
// sandboxd needs root (it creates namespaces, cgroups, mounts and veths); the web app does not care.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = process.env.DOCKYARD_STATE_DIR ?? '/var/lib/dockyard';
const webPort = process.env.PORT ?? '3000';
const sandboxPort = process.env.SANDBOXD_PORT ?? '4000';

function sharedSecret() {
  if (process.env.DOCKYARD_LAB_TOKEN_SECRET) return process.env.DOCKYARD_LAB_TOKEN_SECRET;
  const file = path.join(stateDir, 'lab-token-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

if (process.getuid?.() !== 0) {
  console.error('npm start must run as root: the sandbox daemon creates namespaces, cgroups and mounts.');
  process.exit(1);
}

const secret = sharedSecret();
const publicHost = process.env.DOCKYARD_PUBLIC_HOST ?? 'localhost';
const children = [];
function run(name, command, args, env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  children.push(child);
  child.on('exit', (code, signal) => {
    console.error(`${name} exited (${signal ?? code}); stopping`);
    for (const other of children) if (other !== child) other.kill('SIGTERM');
    process.exitCode = code ?? 1;
  });
}

// The web app's data (published lessons among it): sandboxd grades and prepares those lessons too.
const webDataDir = process.env.DOCKYARD_DATA_DIR ?? path.join(root, 'apps/web/.data');
run('sandboxd', process.execPath, ['--import', 'tsx', 'apps/sandboxd/src/main.ts'], {
  SANDBOXD_TOKEN_SECRET: secret,
  SANDBOXD_HOST: process.env.SANDBOXD_HOST ?? '0.0.0.0',
  SANDBOXD_PORT: sandboxPort,
  SANDBOXD_ALLOWED_ORIGINS: process.env.SANDBOXD_ALLOWED_ORIGINS ?? `http://${publicHost}:${webPort}`,
  SANDBOXD_LESSONS_DIR:
    process.env.SANDBOXD_LESSONS_DIR ??
    `${path.join(root, 'lessons')}:${path.join(webDataDir, 'lessons-published')}`,
});
run('web', 'npm', ['start', '-w', 'apps/web'], {
  DOCKYARD_LAB_TOKEN_SECRET: secret,
  DOCKYARD_DATA_DIR: webDataDir,
  // Browsers connect to sandboxd directly; the web server itself (lab checks) over loopback.
  DOCKYARD_SANDBOX_URL: process.env.DOCKYARD_SANDBOX_URL ?? `http://${publicHost}:${sandboxPort}`,
  DOCKYARD_SANDBOX_INTERNAL_URL:
    process.env.DOCKYARD_SANDBOX_INTERNAL_URL ?? `http://127.0.0.1:${sandboxPort}`,
  PORT: webPort,
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}
