// The engine API tests' isolated daemon: own state root, run dir, cgroup parent, bridge/chain prefixes, subnets.
import { ApiTestDaemon } from '../../runtime/test/api/helpers.js';
import { Dockyard } from '../src/index.js';

export { runProcess, waitFor } from '../../runtime/test/api/helpers.js';
export { ApiTestDaemon };

export function clientFor(d: ApiTestDaemon, version?: string | null): Dockyard {
  return new Dockyard({ socketPath: d.socket, version });
}

/** Reads a stream to its end. */
export async function drain(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks);
}
