import { readLogs } from '../../containers/logs.js';
import { type ApiContext, ApiError, queryBool, requireResponse } from '../http.js';
import { parseTime } from '../query.js';
import { muxFrame, streamContentType } from '../stream.js';

/** GET /containers/:id/logs: the json-file log as a raw (TTY) or multiplexed stream, optionally followed. */
export async function streamLogs(ctx: ApiContext): Promise<void> {
  const engine = ctx.engine;
  const rec = await engine.containers.get(ctx.params.id ?? '');
  const wantOut = queryBool(ctx, 'stdout');
  const wantErr = queryBool(ctx, 'stderr');
  if (!wantOut && !wantErr) throw new ApiError(400, 'Bad parameters: you must choose at least one stream');
  const nowSec = Date.now() / 1000;
  const since = parseTime(ctx.query.get('since'), nowSec);
  const until = parseTime(ctx.query.get('until'), nowSec);
  const tailRaw = ctx.query.get('tail');
  const tail = !tailRaw || tailRaw === 'all' ? undefined : Number(tailRaw);
  if (tail !== undefined && !Number.isInteger(tail))
    throw new ApiError(400, `invalid tail value: ${tailRaw}`);
  const timestamps = queryBool(ctx, 'timestamps');
  const follow = queryBool(ctx, 'follow');
  const tty = rec.config.tty;
  const res = requireResponse(ctx);
  res.writeHead(200, { 'Content-Type': streamContentType(ctx.apiVersion, tty) });
  res.flushHeaders();
  const ac = new AbortController();
  res.on('close', () => ac.abort());
  await readLogs(engine, rec.id, {
    follow,
    tail,
    // Always asked with timestamps so since/until can be applied here; stripped unless the client wants them.
    timestamps: true,
    signal: ac.signal,
    write: (stream, text) => {
      if ((stream === 'stdout' && !wantOut) || (stream === 'stderr' && !wantErr)) return;
      const sp = text.indexOf(' ');
      const time = text.slice(0, sp);
      const t = Date.parse(time) / 1000;
      if (since !== undefined && t < since) return;
      if (until !== undefined && t > until) return;
      const payload = Buffer.from(timestamps ? text : text.slice(sp + 1));
      res.write(tty ? payload : muxFrame(stream === 'stdout' ? 1 : 2, payload));
    },
  });
  if (!res.writableEnded) res.end();
}
