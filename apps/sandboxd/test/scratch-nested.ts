import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BoxManager } from '../src/boxes/manager.js';
import { removeLabNetwork } from '../src/boxes/network.js';
const suffix = 'sc' + Math.random().toString(16).slice(2, 5);
const network = { bridge: `dytn${suffix}`, subnet: `10.233.${Math.floor(Math.random()*250)}.0/24`, chain: `DYTN-${suffix}` };
const work = mkdtempSync('/tmp/dyn/w-'); chmodSync(work, 0o711);
const tc = execFileSync('bash', ['/work/main/infra/box-toolchain/build.sh', join(work, 'tc')], { encoding: 'utf8' }).trim();
const imageRootfs = execFileSync('bash', ['/work/main/infra/images/build.sh', 'lab-debian'], { encoding: 'utf8' }).trim();
const m = new BoxManager({ dataRoot: join(work, 'data'), runRoot: join(work, 'run'), imageRootfs, idBase: 5_000_000 + Math.floor(Math.random()*50)*65536, maxBoxes: 1, network, cgroupParent: `/dytn-${suffix}`,
  defaultLimits: { memoryBytes: 1024 * 2 ** 20, memorySwapBytes: 1024 * 2 ** 20, pids: 512, cpus: 1, tmpBytes: 256 * 2 ** 20 },
  extraBinds: [
    { source: tc, target: '/opt/dockyard', readonly: true },
    { source: process.execPath, target: '/opt/dockyard/bin/node', readonly: true },
    { source: '/var/cache/dockyard/images', target: '/opt/dockyard/images', readonly: true },
    { source: join(tc, 'bin/dockyard'), target: '/usr/local/bin/dockyard', readonly: true },
    { source: join(tc, 'bin/dockyard'), target: '/usr/local/bin/docker', readonly: true },
  ] });
await m.init();
const box = await m.create();
writeFileSync('/tmp/dyn/box.json', JSON.stringify({ box, work, suffix, network }));
console.log(box);
const script = process.argv[2] ?? 'docker run --rm busybox echo hi';
try { console.log(await m.exec(box.id, ['sh', '-c', script + ' 2>&1'], { timeoutMs: 60000 })); } catch (e) { console.log('ERR', e); }
if (process.env.KEEP) process.exit(0);
await m.destroy(box.id); await removeLabNetwork(network);
execFileSync('sh', ['-c', `for d in /sys/fs/cgroup/*/dytn-${suffix}; do rmdir $d; done 2>/dev/null; true`]);
