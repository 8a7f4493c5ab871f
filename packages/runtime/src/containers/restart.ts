import type { Engine } from '../engine.js';
import { startContainer } from './start.js';
import { stopContainer } from './stop.js';

export async function restartContainer(
  engine: Engine,
  ref: string,
  o: { time?: number; signal?: string } = {},
): Promise<void> {
  await stopContainer(engine, ref, o);
  await startContainer(engine, ref);
}
