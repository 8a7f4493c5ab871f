import pino from 'pino';
import { configFromEnv } from './config.js';
import { startSandboxd } from './server.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info' });
try {
  const sandboxd = await startSandboxd(configFromEnv(), log);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Boxes and their terminals live on in their shims; a restart re-adopts them.
    process.on(signal, () => sandboxd.close().then(() => process.exit(0)));
  }
} catch (error) {
  log.fatal({ err: error }, 'sandboxd failed to start');
  process.exit(1);
}
