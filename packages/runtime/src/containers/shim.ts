import {
  attachShim as clientAttach,
  startShim as clientStart,
  type ExitRecord,
  readExit,
  type ShimAttachment,
  type StartShimOptions,
} from '../shim/index.js';

export type { ShimAttachment };
export type ExitStatus = ExitRecord;

export interface ShimStartOptions extends Omit<StartShimOptions, 'exitCommand'> {
  exitCommand?: string;
  exitCommandArgs?: string[];
}

/** The engine's view of the shim/ client (see the dyshim contract). */
export interface ShimModule {
  startShim(opts: ShimStartOptions): Promise<{ pid: number; shimPid: number }>;
  attachShim(stateDir: string, opts: { replay: boolean; stdin: boolean }): ShimAttachment;
  readExit(stateDir: string): Promise<ExitStatus | null>;
}

const shim: ShimModule = {
  startShim: ({ exitCommand, exitCommandArgs, ...rest }) =>
    clientStart({
      ...rest,
      exitCommand: exitCommand ? { path: exitCommand, args: exitCommandArgs } : undefined,
    }),
  attachShim: (stateDir, opts) => clientAttach(stateDir, opts),
  readExit,
};

export async function loadShim(): Promise<ShimModule> {
  return shim;
}
