import { type CgroupCheckInput, checkCgroup } from './checks/cgroup.js';
import { type CommandCheckInput, checkCommand } from './checks/command.js';
import { type ContainerCheckInput, checkContainer } from './checks/container.js';
import { checkFile, type FileCheckInput } from './checks/file.js';
import { checkHttp, type HttpCheckInput } from './checks/http.js';
import { checkImage, type ImageCheckInput } from './checks/image.js';
import { checkIptables, type IptablesCheckInput } from './checks/iptables.js';
import { checkMount, type MountCheckInput } from './checks/mount.js';
import { checkNamespace, type NamespaceCheckInput } from './checks/namespace.js';
import { checkNetns, type NetnsCheckInput } from './checks/netns.js';
import { checkProcess, matchingProcesses, type ProcessCheckInput } from './checks/process.js';
import { nestedContainerPid } from './kernel/nested-engine.js';
import { type Bilingual, type CheckResult, fail } from './result.js';
import { type BoxTarget, boxRoot } from './target.js';

interface Declared {
  id?: string;
  hint?: Bilingual;
}

/** A check as declared in a lesson (see packages/lessons), narrowed to what the host-side grader reads. */
export type HostCheck = Declared &
  (
    | ({ kind: 'process'; in?: string } & ProcessCheckInput)
    | ({ kind: 'namespace'; in?: string } & NamespaceCheckInput)
    | ({ kind: 'cgroup'; in?: string } & CgroupCheckInput)
    | ({ kind: 'mount'; in?: string } & MountCheckInput)
    | ({ kind: 'file'; in?: string } & FileCheckInput)
    | ({ kind: 'netns'; in?: string } & NetnsCheckInput)
    | ({ kind: 'iptables' } & IptablesCheckInput)
    | ({ kind: 'command'; in?: string } & CommandCheckInput)
    | ({ kind: 'http'; in?: string } & HttpCheckInput)
    | ({ kind: 'container'; in?: string } & ContainerCheckInput)
    | ({ kind: 'image'; in?: string } & ImageCheckInput)
    | { kind: 'script' | 'quiz'; in?: string }
  );

export interface GradeContext {
  target: BoxTarget;
  /** The box's address on the host bridge, for http checks. */
  address?: string;
  /** Host pid of a nested-engine container's init; by default found from the engine's records and the kernel. */
  containerPid?: (name: string) => Promise<number | null>;
}

/** Evaluates one check against a box from the host. Never trusts anything the box prints. */
export async function evaluateCheck(check: HostCheck, context: GradeContext): Promise<CheckResult> {
  const container = check.in?.startsWith('container:') ? check.in.slice('container:'.length) : undefined;
  let target = context.target;
  if (container !== undefined) {
    const pid = context.containerPid
      ? await context.containerPid(container)
      : nestedContainerPid(context.target, container);
    if (pid === null) {
      return fail(`Container ${container} is not running.`, `容器 ${container} 没有在运行。`);
    }
    target = { ...target, initPid: pid };
  }
  switch (check.kind) {
    case 'process':
      return checkProcess(target, check);
    case 'namespace':
      return checkNamespace(target, check);
    case 'cgroup':
      return checkCgroup(target, check);
    case 'mount': {
      if (check.match === undefined) return checkMount(target.initPid, check);
      const process = matchingProcesses(target, check.match)[0];
      if (!process) {
        return fail(
          `No running process matches /${check.match}/.`,
          `没有找到匹配 /${check.match}/ 的运行中进程。`,
        );
      }
      return checkMount(process.pid, check);
    }
    case 'file':
      return checkFile(boxRoot(target), context.target.initPid, check);
    case 'netns':
      return checkNetns(target, check);
    case 'iptables':
      return checkIptables(target, check);
    case 'command':
      return checkCommand(target, check);
    case 'http':
      return checkHttp(context.address, check);
    // The nested engine lives in the box itself: these always look at the box, whatever `in` says.
    case 'container':
      return checkContainer(context.target, check);
    case 'image':
      return checkImage(context.target, check);
    default:
      return fail(
        `Checks of kind ${check.kind} are not evaluated by the host grader.`,
        `${check.kind} 类型的检查不由主机端评分器处理。`,
      );
  }
}
