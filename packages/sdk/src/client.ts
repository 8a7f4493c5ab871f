import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { EventStream, ProgressStream, StatsStream } from './progress.js';
import {
  type Change,
  ChangesSchema,
  type ContainerInspectInfo,
  ContainerInspectSchema,
  type ContainerSummary,
  ContainerSummarySchema,
  CreateResponseSchema,
  type ExecInspectInfo,
  ExecInspectSchema,
  type HistoryItem,
  HistoryItemSchema,
  IdResponseSchema,
  type ImageDeleteItem,
  ImageDeleteSchema,
  type ImageInspectInfo,
  ImageInspectSchema,
  type ImageSummary,
  ImageSummarySchema,
  InfoSchema,
  NetworkCreateResponseSchema,
  type NetworkInspectInfo,
  NetworkSchema,
  type PathStat,
  PathStatSchema,
  PruneContainersSchema,
  PruneImagesSchema,
  PruneNetworksSchema,
  PruneVolumesSchema,
  type Stats,
  StatsSchema,
  type SystemInfo,
  type TopResponse,
  TopResponseSchema,
  UpdateResponseSchema,
  type VersionInfo,
  VersionSchema,
  type VolumeInspectInfo,
  type VolumeList,
  VolumeListSchema,
  VolumeSchema,
  type WaitResponse,
  WaitResponseSchema,
} from './schemas.js';
import { type Query, Transport, type TransportOptions } from './transport.js';
import type {
  AttachOptions,
  AuthConfig,
  BuildOptions,
  CommitOptions,
  ContainerCreateOptions,
  EventsOptions,
  ExecCreateOptions,
  ExecStartOptions,
  Filters,
  ListContainersOptions,
  ListImagesOptions,
  LogsOptions,
  NetworkConnectOptions,
  NetworkCreateOptions,
  NetworkDisconnectOptions,
  UpdateOptions,
  VolumeCreateOptions,
} from './types.js';

const filters = (f: Filters | undefined) => (f && Object.keys(f).length ? JSON.stringify(f) : undefined);
const seg = encodeURIComponent;
/** Image references keep their `/` and `:` (the engine routes `/images/<name with slashes>/json`). */
const imageSeg = (name: string) => encodeURI(name).replace(/[?#]/g, encodeURIComponent);
const registryAuth = (auth: AuthConfig | undefined) =>
  Buffer.from(JSON.stringify(auth ?? {})).toString('base64url');

export interface DockyardOptions extends Partial<TransportOptions> {}

/** A typed, promise-based Engine API client in dockerode's shape. */
export class Dockyard {
  readonly transport: Transport;

  constructor(o: DockyardOptions = {}) {
    const fromEnv = process.env.DOCKER_HOST?.startsWith('unix://')
      ? process.env.DOCKER_HOST.slice('unix://'.length)
      : undefined;
    this.transport = new Transport({
      socketPath: o.socketPath ?? fromEnv ?? '/run/dockyard/docker.sock',
      version: o.version,
    });
  }

  // ---- system ----

  async ping(): Promise<string> {
    return this.transport.text({ method: 'GET', path: '/_ping' });
  }

  version(): Promise<VersionInfo> {
    return this.transport.json({ method: 'GET', path: '/version' }, VersionSchema);
  }

  info(): Promise<SystemInfo> {
    return this.transport.json({ method: 'GET', path: '/info' }, InfoSchema);
  }

  /** Follows the engine's events until the returned stream is destroyed (or `until` passes). */
  async getEvents(o: EventsOptions = {}): Promise<EventStream> {
    const res = await this.transport.send({
      method: 'GET',
      path: '/events',
      query: { since: o.since, until: o.until, filters: filters(o.filters) },
    });
    return new EventStream(res);
  }

  // ---- containers ----

  listContainers(o: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    return this.transport.json(
      {
        method: 'GET',
        path: '/containers/json',
        query: { all: o.all, limit: o.limit, size: o.size, filters: filters(o.filters) },
      },
      z.array(ContainerSummarySchema),
    );
  }

  async createContainer(o: ContainerCreateOptions): Promise<Container> {
    const { name, ...body } = o;
    const r = await this.transport.json(
      { method: 'POST', path: '/containers/create', query: { name }, json: body },
      CreateResponseSchema,
    );
    return this.getContainer(r.Id);
  }

  getContainer(id: string): Container {
    return new Container(this.transport, id);
  }

  async pruneContainers(o: { filters?: Filters } = {}) {
    return this.transport.json(
      { method: 'POST', path: '/containers/prune', query: { filters: filters(o.filters) } },
      PruneContainersSchema,
    );
  }

  getExec(id: string): Exec {
    return new Exec(this.transport, id);
  }

  // ---- images ----

  listImages(o: ListImagesOptions = {}): Promise<ImageSummary[]> {
    return this.transport.json(
      {
        method: 'GET',
        path: '/images/json',
        query: { all: o.all, digests: o.digests, filters: filters(o.filters) },
      },
      z.array(ImageSummarySchema),
    );
  }

  getImage(name: string): Image {
    return new Image(this.transport, name);
  }

  /** `repoTag` like `busybox`, `localhost:5000/x:1`; the tag defaults to `latest`. */
  async pull(
    repoTag: string,
    o: { authconfig?: AuthConfig; platform?: string } = {},
  ): Promise<ProgressStream> {
    const { repo, tag } = splitRepoTag(repoTag);
    const res = await this.transport.send({
      method: 'POST',
      path: '/images/create',
      query: { fromImage: repo, tag: tag ?? 'latest', platform: o.platform },
      headers: { 'X-Registry-Auth': registryAuth(o.authconfig) },
    });
    return new ProgressStream(res);
  }

  /** `POST /images/create?fromSrc=-`: a rootfs tarball becomes a one-layer image. */
  async importImage(tar: Buffer | Readable, o: { repo?: string; tag?: string; changes?: string[] } = {}) {
    const res = await this.transport.send({
      method: 'POST',
      path: '/images/create',
      query: { fromSrc: '-', repo: o.repo, tag: o.tag, changes: o.changes },
      body: tar,
    });
    return new ProgressStream(res);
  }

  /** `docker build`: `context` is a tar of the build context (with the Dockerfile). */
  async buildImage(context: Buffer | Readable, o: BuildOptions = {}): Promise<ProgressStream> {
    const query: Query = {
      t: typeof o.t === 'string' ? [o.t] : o.t,
      dockerfile: o.dockerfile,
      buildargs: o.buildargs ? JSON.stringify(o.buildargs) : undefined,
      labels: o.labels ? JSON.stringify(o.labels) : undefined,
      target: o.target,
      nocache: o.nocache,
      rm: o.rm,
      forcerm: o.forcerm,
      pull: o.pull,
      q: o.q,
    };
    const res = await this.transport.send({ method: 'POST', path: '/build', query, body: context });
    return new ProgressStream(res);
  }

  async loadImage(tar: Buffer | Readable, o: { quiet?: boolean } = {}): Promise<ProgressStream> {
    const res = await this.transport.send({
      method: 'POST',
      path: '/images/load',
      query: { quiet: o.quiet },
      body: tar,
    });
    return new ProgressStream(res);
  }

  /** `docker save` of several images into one archive. */
  getImages(names: string[]): Promise<IncomingMessage> {
    return this.transport.send({ method: 'GET', path: '/images/get', query: { names } });
  }

  pruneImages(o: { filters?: Filters } = {}) {
    return this.transport.json(
      { method: 'POST', path: '/images/prune', query: { filters: filters(o.filters) } },
      PruneImagesSchema,
    );
  }

  // ---- networks ----

  listNetworks(o: { filters?: Filters } = {}): Promise<NetworkInspectInfo[]> {
    return this.transport.json(
      { method: 'GET', path: '/networks', query: { filters: filters(o.filters) } },
      z.array(NetworkSchema),
    );
  }

  async createNetwork(o: NetworkCreateOptions): Promise<Network> {
    const r = await this.transport.json(
      { method: 'POST', path: '/networks/create', json: o },
      NetworkCreateResponseSchema,
    );
    return this.getNetwork(r.Id);
  }

  getNetwork(id: string): Network {
    return new Network(this.transport, id);
  }

  pruneNetworks(o: { filters?: Filters } = {}) {
    return this.transport.json(
      { method: 'POST', path: '/networks/prune', query: { filters: filters(o.filters) } },
      PruneNetworksSchema,
    );
  }

  // ---- volumes ----

  listVolumes(o: { filters?: Filters } = {}): Promise<VolumeList> {
    return this.transport.json(
      { method: 'GET', path: '/volumes', query: { filters: filters(o.filters) } },
      VolumeListSchema,
    );
  }

  async createVolume(o: VolumeCreateOptions = {}): Promise<Volume> {
    const v = await this.transport.json({ method: 'POST', path: '/volumes/create', json: o }, VolumeSchema);
    return this.getVolume(v.Name);
  }

  getVolume(name: string): Volume {
    return new Volume(this.transport, name);
  }

  pruneVolumes(o: { filters?: Filters } = {}) {
    return this.transport.json(
      { method: 'POST', path: '/volumes/prune', query: { filters: filters(o.filters) } },
      PruneVolumesSchema,
    );
  }
}

function splitRepoTag(ref: string): { repo: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: undefined };
}

export class Container {
  constructor(
    private readonly t: Transport,
    readonly id: string,
  ) {}

  private path(rest: string): string {
    return `/containers/${seg(this.id)}${rest}`;
  }

  inspect(o: { size?: boolean } = {}): Promise<ContainerInspectInfo> {
    return this.t.json(
      { method: 'GET', path: this.path('/json'), query: { size: o.size } },
      ContainerInspectSchema,
    );
  }

  start(): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/start') });
  }

  /** `t`: seconds to wait before SIGKILL. */
  stop(o: { t?: number; signal?: string } = {}): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/stop'), query: { t: o.t, signal: o.signal } });
  }

  kill(o: { signal?: string } = {}): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/kill'), query: { signal: o.signal } });
  }

  restart(o: { t?: number } = {}): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/restart'), query: { t: o.t } });
  }

  pause(): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/pause') });
  }

  unpause(): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/unpause') });
  }

  remove(o: { force?: boolean; v?: boolean; link?: boolean } = {}): Promise<void> {
    return this.t.empty({
      method: 'DELETE',
      path: this.path(''),
      query: { force: o.force, v: o.v, link: o.link },
    });
  }

  /**
   * Without `follow`: the whole log (multiplexed frames unless the container has a TTY; see demuxBuffer).
   * With `follow: true`: the live stream (see demuxStream).
   */
  logs(o: LogsOptions & { follow: true }): Promise<IncomingMessage>;
  logs(o?: LogsOptions & { follow?: false }): Promise<Buffer>;
  async logs(o: LogsOptions & { follow?: boolean } = {}): Promise<IncomingMessage | Buffer> {
    const req = {
      method: 'GET' as const,
      path: this.path('/logs'),
      query: {
        stdout: o.stdout ?? true,
        stderr: o.stderr ?? true,
        timestamps: o.timestamps,
        tail: o.tail === undefined ? undefined : String(o.tail),
        since: o.since,
        until: o.until,
        follow: o.follow,
      },
    };
    return o.follow ? this.t.send(req) : this.t.buffer(req);
  }

  /** The hijacked connection: write to it for stdin, read (multiplexed unless TTY) for the output. */
  attach(o: AttachOptions = {}): Promise<Socket> {
    return this.t.hijack({
      method: 'POST',
      path: this.path('/attach'),
      query: {
        stream: o.stream ?? true,
        stdin: o.stdin,
        stdout: o.stdout ?? true,
        stderr: o.stderr ?? true,
        logs: o.logs,
        detachKeys: o.detachKeys,
      },
    });
  }

  wait(o: { condition?: 'not-running' | 'next-exit' | 'removed' } = {}): Promise<WaitResponse> {
    return this.t.json(
      { method: 'POST', path: this.path('/wait'), query: { condition: o.condition } },
      WaitResponseSchema,
    );
  }

  top(o: { ps_args?: string } = {}): Promise<TopResponse> {
    return this.t.json(
      { method: 'GET', path: this.path('/top'), query: { ps_args: o.ps_args } },
      TopResponseSchema,
    );
  }

  /** One sample, or with `stream: true` a stream of samples until destroyed. */
  stats(o: { stream: true }): Promise<StatsStream>;
  stats(o?: { stream?: false }): Promise<Stats>;
  async stats(o: { stream?: boolean } = {}): Promise<Stats | StatsStream> {
    if (o.stream) {
      return new StatsStream(
        await this.t.send({ method: 'GET', path: this.path('/stats'), query: { stream: true } }),
      );
    }
    return this.t.json({ method: 'GET', path: this.path('/stats'), query: { stream: false } }, StatsSchema);
  }

  async exec(o: ExecCreateOptions): Promise<Exec> {
    const r = await this.t.json({ method: 'POST', path: this.path('/exec'), json: o }, IdResponseSchema);
    return new Exec(this.t, r.Id);
  }

  resize(o: { h: number; w: number }): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/resize'), query: { h: o.h, w: o.w } });
  }

  /** Extracts a tar archive into the container at `path`. */
  putArchive(
    tar: Buffer | Readable,
    o: { path: string; noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean },
  ): Promise<void> {
    return this.t.empty({
      method: 'PUT',
      path: this.path('/archive'),
      query: { path: o.path, noOverwriteDirNonDir: o.noOverwriteDirNonDir, copyUIDGID: o.copyUIDGID },
      body: tar,
    });
  }

  /** A tar of `path` from the container, with its stat. */
  async getArchive(o: { path: string }): Promise<{ stream: IncomingMessage; stat: PathStat | undefined }> {
    const stream = await this.t.send({ method: 'GET', path: this.path('/archive'), query: { path: o.path } });
    const header = stream.headers['x-docker-container-path-stat'];
    let stat: PathStat | undefined;
    if (typeof header === 'string') {
      const parsed = PathStatSchema.safeParse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
      if (parsed.success) stat = parsed.data;
    }
    return { stream, stat };
  }

  /** The container's filesystem as a tar stream. */
  export(): Promise<IncomingMessage> {
    return this.t.send({ method: 'GET', path: this.path('/export') });
  }

  commit(o: CommitOptions = {}): Promise<{ Id: string }> {
    return this.t.json(
      {
        method: 'POST',
        path: '/commit',
        query: {
          container: this.id,
          repo: o.repo,
          tag: o.tag,
          comment: o.comment,
          author: o.author,
          pause: o.pause,
          changes: o.changes,
        },
        json: {},
      },
      IdResponseSchema,
    );
  }

  rename(o: { name: string }): Promise<void> {
    return this.t.empty({ method: 'POST', path: this.path('/rename'), query: { name: o.name } });
  }

  update(o: UpdateOptions): Promise<{ Warnings: string[] }> {
    return this.t
      .json({ method: 'POST', path: this.path('/update'), json: o }, UpdateResponseSchema)
      .then((r) => ({ Warnings: r.Warnings ?? [] }));
  }

  changes(): Promise<Change[]> {
    return this.t.json({ method: 'GET', path: this.path('/changes') }, ChangesSchema);
  }
}

export class Exec {
  constructor(
    private readonly t: Transport,
    readonly id: string,
  ) {}

  /**
   * Starts the process. `Detach`: returns at once with nothing. Otherwise the output stream
   * (multiplexed unless Tty) on a hijacked socket; write to it for the process's stdin (AttachStdin),
   * `end()` it to close that stdin.
   */
  start(o: ExecStartOptions & { Detach: true }): Promise<undefined>;
  start(o?: ExecStartOptions): Promise<Socket>;
  async start(o: ExecStartOptions = {}): Promise<Socket | undefined> {
    const req = {
      method: 'POST' as const,
      path: `/exec/${seg(this.id)}/start`,
      json: { Detach: o.Detach ?? false, Tty: o.Tty ?? false },
    };
    if (o.Detach) {
      await this.t.empty(req);
      return undefined;
    }
    return this.t.hijack(req);
  }

  resize(o: { h: number; w: number }): Promise<void> {
    return this.t.empty({ method: 'POST', path: `/exec/${seg(this.id)}/resize`, query: { h: o.h, w: o.w } });
  }

  inspect(): Promise<ExecInspectInfo> {
    return this.t.json({ method: 'GET', path: `/exec/${seg(this.id)}/json` }, ExecInspectSchema);
  }
}

export class Image {
  constructor(
    private readonly t: Transport,
    readonly name: string,
  ) {}

  inspect(): Promise<ImageInspectInfo> {
    return this.t.json({ method: 'GET', path: `/images/${imageSeg(this.name)}/json` }, ImageInspectSchema);
  }

  history(): Promise<HistoryItem[]> {
    return this.t.json(
      { method: 'GET', path: `/images/${imageSeg(this.name)}/history` },
      z.array(HistoryItemSchema),
    );
  }

  tag(o: { repo: string; tag?: string }): Promise<void> {
    return this.t.empty({
      method: 'POST',
      path: `/images/${imageSeg(this.name)}/tag`,
      query: { repo: o.repo, tag: o.tag },
    });
  }

  remove(o: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.t.json(
      {
        method: 'DELETE',
        path: `/images/${imageSeg(this.name)}`,
        query: { force: o.force, noprune: o.noprune },
      },
      ImageDeleteSchema,
    );
  }

  async push(o: { tag?: string; authconfig?: AuthConfig } = {}): Promise<ProgressStream> {
    const res = await this.t.send({
      method: 'POST',
      path: `/images/${imageSeg(this.name)}/push`,
      query: { tag: o.tag },
      headers: { 'X-Registry-Auth': registryAuth(o.authconfig) },
    });
    return new ProgressStream(res);
  }

  /** `docker save` of this image: a docker-archive tar stream. */
  get(): Promise<IncomingMessage> {
    return this.t.send({ method: 'GET', path: `/images/${imageSeg(this.name)}/get` });
  }
}

export class Network {
  constructor(
    private readonly t: Transport,
    readonly id: string,
  ) {}

  inspect(): Promise<NetworkInspectInfo> {
    return this.t.json({ method: 'GET', path: `/networks/${seg(this.id)}` }, NetworkSchema);
  }

  remove(): Promise<void> {
    return this.t.empty({ method: 'DELETE', path: `/networks/${seg(this.id)}` });
  }

  connect(o: NetworkConnectOptions): Promise<void> {
    return this.t.empty({ method: 'POST', path: `/networks/${seg(this.id)}/connect`, json: o });
  }

  disconnect(o: NetworkDisconnectOptions): Promise<void> {
    return this.t.empty({ method: 'POST', path: `/networks/${seg(this.id)}/disconnect`, json: o });
  }
}

export class Volume {
  constructor(
    private readonly t: Transport,
    readonly name: string,
  ) {}

  inspect(): Promise<VolumeInspectInfo> {
    return this.t.json({ method: 'GET', path: `/volumes/${seg(this.name)}` }, VolumeSchema);
  }

  remove(o: { force?: boolean } = {}): Promise<void> {
    return this.t.empty({ method: 'DELETE', path: `/volumes/${seg(this.name)}`, query: { force: o.force } });
  }
}
