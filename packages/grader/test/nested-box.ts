import type { BoxRecord } from '../../../apps/sandboxd/src/boxes/manager.js';
import { startNestedBox as startLabBox } from '../../../apps/sandboxd/test/nested-box.js';
import type { BoxTarget } from '../src/target.js';

/**
 * A real lab box (sandboxd's shared test helper) with the nested engine bound in, as students get it: `docker`
 * in the box runs our engine there.
 */
export interface NestedBox {
  box: BoxRecord;
  target: BoxTarget;
  sh(script: string): Promise<string>;
  destroy(): Promise<void>;
}

export async function startNestedBox(): Promise<NestedBox> {
  const lab = await startLabBox({
    part: 'grd',
    subnetOctet: 235,
    idBase: 12_000_000,
    tmpBytes: 64 * 2 ** 20,
  });
  return {
    box: lab.box,
    target: { initPid: lab.box.pid, cgroupDir: `/sys/fs/cgroup/pids${lab.cgroupParent}/${lab.box.id}` },
    sh: (script) => lab.sh(script),
    destroy: () => lab.destroy(),
  };
}
