import { fileURLToPath } from 'node:url';

/** packages/runtime/native/bin/dyshim, built by `make -C packages/runtime/native`. */
export function shimBinaryPath(): string {
  return fileURLToPath(new URL('../../native/bin/dyshim', import.meta.url));
}

export function attachSocketPath(stateDir: string): string {
  return `${stateDir}/attach.sock`;
}
