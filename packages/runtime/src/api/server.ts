import { promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import FindMyWay from 'find-my-way';
import { listenForExits } from '../containers/exit-notify.js';
import { startHealthMonitor } from '../containers/health-monitor.js';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { hub } from './containers/hub.js';
import { type ApiContext, ApiError, type Handler, type Route } from './http.js';
import { allRoutes } from './routes/index.js';
import { isHijacked } from './stream.js';
import { API_VERSION, baseHeaders, MIN_API_VERSION } from './version.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** PEM contents: the CA that signs accepted client certificates, and the server's own cert and key. */
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ApiServerOptions {
  engine: Engine;
  /** Default `$DOCKYARD_RUN/docker.sock`. */
  socketPath?: string;
  tcp?: TcpOptions;
  /** Called with one line per failed request (the daemon prints them to stderr). */
  log?: (line: string) => void;
  /** Extra routes (tests, embedding); matched like the built-in ones. */
  routes?: Route[];
}

export interface ApiServer {
  socketPath: string;
  /** The TCP port actually bound (when `tcp` was given; port 0 picks one). */
  tcpPort?: number;
  close(): Promise<void>;
}

/** Docker's status for an engine error: by its kind, else by what its message says. */
export function statusFor(e: unknown): { status: number; message: string } {
  if (e instanceof ApiError) return { status: e.status, message: e.message };
  if (e instanceof DockyardError) {
    const message = e.message.replace(/^Error response from daemon: /, '').replace(/^Error: /, '');
    if (e.code === 'not-found' || /^No such |no such (container|image|volume|network)/i.test(message))
      return { status: 404, message };
    if (/not found$/.test(message)) return { status: 404, message };
    if (
      /conflict|already in use|is not running|is paused|is not paused|already paused|cannot remove|marked for removal|in use/i.test(
        message,
      )
    )
      return { status: 409, message };
    if (/invalid|must|cannot|conflicting|minimum|should|not supported|refus/i.test(message))
      return { status: 400, message };
    return { status: 500, message };
  }
  return { status: 500, message: e instanceof Error ? e.message : String(e) };
}

interface Matched {
  handler: Handler;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  apiVersion: string;
}

class Router {
  private readonly fmw = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true });

  constructor(routes: Route[]) {
    for (const r of routes) this.fmw.on(r.method, r.path, () => {}, { handler: r.handler });
  }

  /** Strips and checks the `/v1.NN` prefix, then finds the route. */
  match(method: string, rawUrl: string): Matched {
    const url = new URL(rawUrl, 'http://docker');
    let pathname = url.pathname;
    let apiVersion = API_VERSION;
    const m = /^\/v(\d+)\.(\d+)(\/.*)?$/.exec(pathname);
    if (m) {
      const major = Number(m[1]);
      const minor = Number(m[2]);
      const [minMajor, minMinor] = MIN_API_VERSION.split('.').map(Number) as [number, number];
      if (major < minMajor || (major === minMajor && minor < minMinor)) {
        throw new ApiError(
          400,
          `client version ${major}.${minor} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
        );
      }
      apiVersion = `${major}.${minor}`;
      pathname = m[3] ?? '/';
    }
    const lookup = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const meth of lookup) {
      const found = this.fmw.find(meth as 'GET', pathname);
      if (found) {
        const store = found.store as { handler: Handler };
        return {
          handler: store.handler,
          params: found.params as Record<string, string | undefined>,
          query: url.searchParams,
          apiVersion,
        };
      }
    }
    throw new ApiError(404, 'page not found');
  }
}

/** Serves the Engine API on a unix socket (root:root 0660) and, only when asked, on TCP with TLS client certs. */
export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const socketPath = o.socketPath ?? path.join(o.engine.cfg.run, 'docker.sock');
  const router = new Router([...allRoutes, ...(o.routes ?? [])]);
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const fail = (req: IncomingMessage, e: unknown) => {
    const { status, message } = statusFor(e);
    log(`${req.method} ${req.url}: ${status} ${message}`);
    return { status, message };
  };

  /** Routes a request (plain, or an upgrade that hijacks the socket) to its handler. */
  const dispatch = async (req: IncomingMessage, io: Pick<ApiContext, 'res' | 'upgrade'>) => {
    const m = router.match(req.method ?? 'GET', req.url ?? '/');
    await m.handler({
      req,
      ...io,
      params: m.params,
      query: m.query,
      apiVersion: m.apiVersion,
      engine: o.engine,
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(baseHeaders())) res.setHeader(k, v);
    dispatch(req, { res, upgrade: undefined }).catch((e: unknown) => {
      const { status, message } = fail(req, e);
      if (res.headersSent) {
        // Streaming had begun: all that is left is to end it.
        res.destroy();
        return;
      }
      const body = JSON.stringify({ message });
      // A body we did not read to the end (oversize, refused early) cannot leave the connection reusable.
      if (!req.complete) res.setHeader('Connection', 'close');
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      res.end(body);
      if (!req.complete) req.resume();
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    dispatch(req, { res: undefined, upgrade: { socket, head } }).catch((e: unknown) => {
      const { status, message } = fail(req, e);
      if (socket.destroyed) return;
      if (isHijacked(socket)) {
        socket.end();
        return;
      }
      const body = JSON.stringify({ message });
      const headers = {
        ...baseHeaders(),
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        Connection: 'close',
      };
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n${body}`,
      );
    });
  };

  const configure = (s: http.Server) => {
    s.on('request', onRequest);
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_err, socket) => {
      if (!socket.destroyed) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    // Streams (logs -f, events, attach) stay open as long as the client wants.
    s.requestTimeout = 0;
    s.headersTimeout = 60_000;
    s.keepAliveTimeout = 5_000;
    return s;
  };

  await prepareSocketPath(socketPath);
  const unixServer = configure(http.createServer());
  await new Promise<void>((resolve, reject) => {
    unixServer.once('error', reject);
    unixServer.listen(socketPath, () => {
      unixServer.off('error', reject);
      resolve();
    });
  });
  await fs.chmod(socketPath, 0o660);
  await fs.chown(socketPath, 0, 0).catch(() => {});

  let tcpServer: https.Server | undefined;
  let tcpPort: number | undefined;
  if (o.tcp) {
    const t = o.tcp;
    tcpServer = https.createServer({
      ca: t.ca,
      cert: t.cert,
      key: t.key,
      requestCert: true,
      rejectUnauthorized: true,
    });
    configure(tcpServer as unknown as http.Server);
    await new Promise<void>((resolve, reject) => {
      tcpServer?.once('error', reject);
      tcpServer?.listen(t.port, t.host, () => resolve());
    });
    const addr = tcpServer.address();
    tcpPort = typeof addr === 'object' && addr ? addr.port : t.port;
  }

  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  unixServer.on('connection', track);
  tcpServer?.on('secureConnection', track);
  // Exits reported by the shims are cleaned up here, at once, instead of by a CLI process per exit.
  const exits = await listenForExits(o.engine, {
    exited: (id, code) => hub.recordExit(id, code),
    cleanedUp: (id) => hub.cleanedUp(id),
  });
  // Health checks run where exits are heard: one server per engine, resuming checks of running containers.
  const health = exits ? startHealthMonitor(o.engine) : undefined;

  return {
    socketPath,
    tcpPort,
    close: async () => {
      const closing = [unixServer, tcpServer]
        .filter(Boolean)
        .map((s) => new Promise<void>((resolve) => (s as http.Server).close(() => resolve())));
      // Long-lived streams (follow, attach) would keep close() waiting forever.
      for (const s of sockets) s.destroy();
      await Promise.all(closing);
      await health?.close();
      await exits?.close();
      await o.engine.settle();
      await fs.rm(socketPath, { force: true });
    },
  };
}

/** Removes a stale socket file; refuses when another server still answers on it. */
async function prepareSocketPath(socketPath: string): Promise<void> {
  await fs.mkdir(path.dirname(socketPath), { recursive: true, mode: 0o710 });
  const st = await fs.lstat(socketPath).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new DockyardError(`${socketPath} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const c = connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new DockyardError(`another engine API server is listening on ${socketPath}`);
  await fs.rm(socketPath, { force: true });
}
