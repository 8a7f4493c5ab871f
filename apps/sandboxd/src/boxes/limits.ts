import type { LabLimits } from '@dockyard/protocol';

const MiB = 2 ** 20;

/** The host's ceiling for every box (the operator's SANDBOXD_* settings). */
export interface OperatorMaxima {
  memoryBytes: number;
  pids: number;
  cpus: number;
  /** 0 = boxes have no disk cap. */
  diskBytes: number;
  idleTimeoutSeconds: number;
  maxLifetimeSeconds: number;
}

/** What one box actually gets. */
export type EffectiveLimits = OperatorMaxima;

/**
 * A lesson's limits clamped to the operator's maxima: a lesson may ask for less than the host allows, never more.
 * Whatever the lesson leaves out is the maximum.
 */
export function clampLimits(max: OperatorMaxima, wish: LabLimits = {}): EffectiveLimits {
  const lower = (asked: number | undefined, ceiling: number) =>
    asked === undefined ? ceiling : Math.min(asked, ceiling);
  return {
    memoryBytes: lower(wish.memoryMiB === undefined ? undefined : wish.memoryMiB * MiB, max.memoryBytes),
    pids: lower(wish.pids, max.pids),
    cpus: lower(wish.cpus, max.cpus),
    // An uncapped host still honours a lesson that wants a cap.
    diskBytes:
      wish.diskMiB === undefined
        ? max.diskBytes
        : max.diskBytes === 0
          ? wish.diskMiB * MiB
          : Math.min(wish.diskMiB * MiB, max.diskBytes),
    idleTimeoutSeconds: lower(
      wish.idleMinutes === undefined ? undefined : wish.idleMinutes * 60,
      max.idleTimeoutSeconds,
    ),
    maxLifetimeSeconds: lower(
      wish.lifetimeMinutes === undefined ? undefined : wish.lifetimeMinutes * 60,
      max.maxLifetimeSeconds,
    ),
  };
}
