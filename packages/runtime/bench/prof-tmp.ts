import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ApiTestDaemon, DOCKER } from '../test/api/helpers.js';
const d = new ApiTestDaemon();
await d.setup();
const runOnce = () => new Promise<number>((resolve) => { const t0 = performance.now(); const c = spawn(DOCKER, ['run', '--rm', 'busybox', 'true'], { env: d.clientEnv, stdio: 'ignore' }); c.on('exit', () => resolve(performance.now() - t0)); });
try {
  for (let i = 0; i < 3; i++) await runOnce();
  d.daemonStderr = '';
  const times = [];
  for (let i = 0; i < 10; i++) { const w = performance.now(); const t = await runOnce(); times.push(t); d.daemonStderr += `RUN start=${(w % 100000).toFixed(1)} took ${t.toFixed(0)}\n`; await new Promise((r) => setTimeout(r, 200)); }
  console.log('untraced', times.map((t) => t.toFixed(0)).join(' '));
  writeFileSync('/tmp/dy/trace.txt', d.daemonStderr);
} finally {
  await d.teardown();
}
