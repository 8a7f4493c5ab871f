import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { commitLayer } from '../containers/commit.js';
import { createContainer } from '../containers/create.js';
import { removeContainer } from '../containers/rm.js';
import { mountRootfs, unmountRootfs } from '../containers/rootfs.js';
import { loadShim } from '../containers/shim.js';
import { startContainer } from '../containers/start.js';
import { pidAlive } from '../containers/status.js';
import { waitContainer } from '../containers/wait.js';
import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { recordEvent } from '../events.js';
import { packTree } from '../images/pack.js';
import { type ProgressMessage, pullImage } from '../images/pull.js';
import { normalizeReference } from '../images/reference.js';
import type { RegistryAuth } from '../images/registry.js';
import { parseRemoteReference } from '../images/registry-reference.js';
import type { ImageConfig } from '../images/types.js';
import { resolveUser } from '../oci/user.js';
import { BuildCache } from './cache.js';
import { type Config, expandPorts, healthcheckConfig } from './changes.js';
import { applyDockerignore, type ContextLimits, DEFAULT_LIMITS, extractContext } from './context.js';
import { checksumSources, copyInto, resolveSources, type Source } from './copy.js';
import {
  buildError,
  type ParsedInstruction,
  parseDockerfile,
  parseInstructions,
  type Stage,
} from './dockerfile.js';
import { processWord, SubstitutionError, type Vars } from './words.js';

export interface BuildOptions {
  /** Path of the Dockerfile inside the context (default `Dockerfile`). */
  dockerfile?: string;
  /** Dockerfile text given directly (the CLI's `-f` pointing outside the context). */
  dockerfileText?: string;
  tags?: string[];
  /** `--build-arg NAME=value`; a null value means "take it from the environment" (resolved by the caller). */
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  target?: string;
  labels?: Record<string, string>;
  /** Progress text (the `stream` lines of the API). */
  out?: (text: string) => void;
  /** Called with the final image id just before `Successfully built` (the API's `aux` line). */
  onImage?: (id: string) => void;
  /** Credentials for pulling base images, by registry host (the API's X-Registry-Config). */
  registryAuth?: Record<string, RegistryAuth>;
  /** Pull progress; without it, pulls print `id: status` lines to `out`. */
  progress?: (m: ProgressMessage) => void;
  /** Network of RUN containers: `default`/`bridge` (the default bridge), `host`, `none` or a network name. */
  network?: string;
  /** Cancels the build (client gone, Ctrl-C): the running step's container is killed, then everything is removed. */
  signal?: AbortSignal;
}

export interface BuildResult {
  id: string;
  tags: string[];
}

/** Args every build knows without an ARG instruction; passed to RUN but kept out of the image's history. */
const PREDEFINED_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

const DEFAULT_SHELL = ['/bin/sh', '-c'];

interface StageState {
  imageId: string | undefined;
  image: ImageConfig;
  cmdSet: boolean;
  /** ARGs declared in this stage, with their values (undefined: declared without a value). */
  args: Map<string, string | undefined>;
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** Extracts a tar context (API body or the CLI's packed directory) into a temp dir, builds, removes the dir. */
export async function buildFromTar(
  engine: Engine,
  context: Readable,
  o: BuildOptions,
  limits: ContextLimits = DEFAULT_LIMITS,
): Promise<BuildResult> {
  await sweepStale(engine);
  const dir = scratchDir(engine, 'ctx');
  try {
    await extractContext(context, dir, limits);
    return await new Builder(engine, dir, o).build();
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A build's scratch dir; the pid in its name lets a later build recognise it as left by a dead process. */
function scratchDir(engine: Engine, kind: 'ctx' | 'mnt'): string {
  return path.join(
    engine.cfg.root,
    'builder',
    'tmp',
    `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

/** Unmounts and removes scratch dirs of builds whose process died (killed daemon or CLI). */
async function sweepStale(engine: Engine): Promise<void> {
  const tmp = path.join(engine.cfg.root, 'builder', 'tmp');
  for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
    const pid = Number(/^(?:ctx|mnt)-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue;
    await unmountRootfs(path.join(tmp, name)).catch(() => {});
    await fs.rm(path.join(tmp, name), { recursive: true, force: true }).catch(() => {});
  }
}

export class Builder {
  private readonly out: (s: string) => void;
  private readonly cache: BuildCache;
  private readonly containers = new Set<string>();
  private readonly mounts = new Set<string>();
  private readonly usedArgs = new Set<string>();
  private readonly stageImages: { name: string | undefined; id: string | undefined; image: ImageConfig }[] =
    [];
  private escapeChar = '\\';
  private globalArgs = new Map<string, string | undefined>();
  private step = 0;
  private total = 0;

  constructor(
    private readonly engine: Engine,
    private readonly contextDir: string,
    private readonly o: BuildOptions,
  ) {
    this.out = o.out ?? (() => {});
    this.cache = new BuildCache(engine);
  }

  async build(): Promise<BuildResult> {
    const tags = (this.o.tags ?? []).map((t) => normalizeReference(t));
    const text = await this.readDockerfile();
    const df = parseDockerfile(text);
    this.escapeChar = df.escapeChar;
    let targetIndex = df.stages.length - 1;
    if (this.o.target) {
      const t = this.o.target.toLowerCase();
      targetIndex = df.stages.findIndex((s) => s.name === t);
      if (targetIndex < 0)
        throw new DockyardError(`failed to reach build target ${this.o.target} in Dockerfile`, 1);
    }
    const stages = df.stages.slice(0, targetIndex + 1);
    const labels = Object.entries(this.o.labels ?? {});
    const target = stages[targetIndex] as Stage;
    if (labels.length) {
      const labelText = `LABEL ${labels.map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ')}`;
      const [extra] = parseInstructions(labelText).instructions;
      if (extra) target.instructions.push(extra);
    }
    this.total = df.globalArgs.length + stages.reduce((n, s) => n + 1 + s.instructions.length, 0);

    try {
      for (const a of df.globalArgs) {
        this.printStep(a);
        this.declareArg(a, this.globalArgs, this.globalVars());
      }
      let final: StageState | undefined;
      for (const stage of stages) {
        final = await this.buildStage(stage);
        this.stageImages.push({ name: stage.name, id: final.imageId, image: final.image });
      }
      if (!final?.imageId) throw new DockyardError('No image was generated. Is your Dockerfile empty?', 1);
      const unused = Object.keys(this.o.buildArgs ?? {}).filter(
        (k) => !this.usedArgs.has(k) && !PREDEFINED_ARGS.has(k),
      );
      if (unused.length)
        this.out(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed\n`);
      this.o.onImage?.(final.imageId);
      this.out(`Successfully built ${short(final.imageId)}\n`);
      for (const t of tags) {
        await this.engine.images.tag(final.imageId, t);
        await recordEvent(this.engine.cfg, {
          Type: 'image',
          Action: 'tag',
          Actor: { ID: final.imageId, Attributes: { name: t } },
        });
        this.out(`Successfully tagged ${t}\n`);
      }
      return { id: final.imageId, tags };
    } finally {
      await this.cleanup();
    }
  }

  private async readDockerfile(): Promise<string> {
    if (this.o.dockerfileText !== undefined) {
      await applyDockerignore(this.contextDir, []);
      return this.o.dockerfileText;
    }
    const name = this.o.dockerfile || 'Dockerfile';
    const rel = path.posix.normalize(name.replace(/^\/+/, ''));
    if (rel.startsWith('..')) throw new DockyardError(`Cannot locate specified Dockerfile: ${name}`, 1);
    const file = path.join(this.contextDir, rel);
    const st = await fs.lstat(file).catch(() => undefined);
    if (!st?.isFile()) throw new DockyardError(`Cannot locate specified Dockerfile: ${name}`, 1);
    const text = await fs.readFile(file, 'utf8');
    await applyDockerignore(this.contextDir, [rel, '.dockerignore']);
    return text;
  }

  private async cleanup(): Promise<void> {
    for (const id of this.containers) {
      await removeContainer(this.engine, id, { force: true, volumes: true }).catch(() => {});
    }
    for (const dir of this.mounts) {
      await unmountRootfs(dir).catch(() => {});
      await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  private printStep(i: ParsedInstruction): void {
    this.throwIfCanceled();
    this.step++;
    this.out(`Step ${this.step}/${this.total} : ${i.original}\n`);
  }

  private throwIfCanceled(): void {
    if (this.o.signal?.aborted) throw new DockyardError('the build was canceled', 1);
  }

  private globalVars(): Vars {
    const m = new Map<string, string>();
    for (const [k, v] of this.globalArgs) if (v !== undefined) m.set(k, v);
    return m;
  }

  /** Substitution scope of a stage: its ARGs, overridden by ENV (Docker: ENV wins over ARG). */
  private vars(s: StageState): Vars {
    const m = new Map<string, string>();
    for (const [k, v] of s.args) if (v !== undefined) m.set(k, v);
    for (const e of s.image.config?.Env ?? []) {
      const eq = e.indexOf('=');
      if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return m;
  }

  private word(raw: string, vars: Vars, line: number): string {
    try {
      return processWord(raw, vars, this.escapeChar);
    } catch (e) {
      if (e instanceof SubstitutionError) throw buildError(line, e.message);
      throw e;
    }
  }

  private declareArg(i: ParsedInstruction, into: Map<string, string | undefined>, vars: Vars): void {
    const p = i.props[0] as { name: string; raw: string | undefined };
    const given = this.o.buildArgs?.[p.name];
    let value: string | undefined;
    if (given !== undefined) value = given;
    else if (p.raw !== undefined) value = this.word(p.raw, vars, i.line);
    else if (into !== this.globalArgs) value = this.globalArgs.get(p.name);
    this.usedArgs.add(p.name);
    into.set(p.name, value);
  }

  private async buildStage(stage: Stage): Promise<StageState> {
    this.printStep(stage.from);
    const ref = this.word(stage.from.args[0] as string, this.globalVars(), stage.from.line);
    const s: StageState = {
      imageId: undefined,
      image: {
        architecture: 'amd64',
        os: 'linux',
        config: { Env: [] },
        rootfs: { type: 'layers', diff_ids: [] },
        history: [],
      },
      cmdSet: false,
      args: new Map(),
    };
    if (ref.toLowerCase() !== 'scratch') {
      const prev = this.stageImages.find((x) => x.name !== undefined && x.name === ref.toLowerCase());
      if (prev) {
        s.imageId = prev.id;
        s.image = prev.image;
      } else {
        const id = await this.image(ref);
        s.imageId = id;
        s.image = await this.engine.images.getConfig(id);
      }
    }
    this.out(` ---> ${s.imageId ? short(s.imageId) : ''}\n`);
    const triggers = (s.image.config?.OnBuild as string[] | null | undefined) ?? [];
    if (s.image.config) s.image = { ...s.image, config: { ...s.image.config, OnBuild: null } };
    if (triggers.length) {
      this.out(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) {
        const { instructions } = parseInstructions(t);
        for (const i of instructions) {
          if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(i.keyword))
            throw new DockyardError(`${i.keyword} isn't allowed as an ONBUILD trigger`, 1);
          await this.dispatch(s, i);
        }
      }
    }
    for (const i of stage.instructions) {
      this.printStep(i);
      await this.dispatch(s, i);
    }
    return s;
  }

  private shell(s: StageState): string[] {
    const sh = s.image.config?.Shell as string[] | undefined;
    return sh?.length ? sh : DEFAULT_SHELL;
  }

  private async dispatch(s: StageState, i: ParsedInstruction): Promise<void> {
    const vars = this.vars(s);
    const w = (raw: string) => this.word(raw, vars, i.line);
    const list = (): string[] => (i.json ?? i.args).map((a) => (i.json ? this.word(a, vars, i.line) : w(a)));
    switch (i.keyword) {
      case 'ENV': {
        const pairs = i.props.map((p) => [w(p.name), w(p.raw ?? '')] as const);
        return this.meta(s, `ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (c) => {
          const env = [...(c.Env ?? [])];
          for (const [k, v] of pairs) {
            const at = env.findIndex((e) => e.startsWith(`${k}=`));
            if (at >= 0) env[at] = `${k}=${v}`;
            else env.push(`${k}=${v}`);
          }
          c.Env = env;
        });
      }
      case 'LABEL': {
        const pairs = i.props.map((p) => [w(p.name), w(p.raw ?? '')] as const);
        return this.meta(s, `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (c) => {
          c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs) };
        });
      }
      case 'ARG': {
        this.declareArg(i, s.args, vars);
        const p = i.props[0] as { name: string; raw: string | undefined };
        const v = s.args.get(p.name);
        return this.meta(s, `ARG ${p.name}${p.raw !== undefined ? `=${v ?? ''}` : ''}`, () => {});
      }
      case 'MAINTAINER':
        return this.meta(
          s,
          `MAINTAINER ${i.rest}`,
          () => {},
          (img) => {
            img.author = i.rest;
          },
        );
      case 'WORKDIR': {
        const dir = w(i.args[0] as string);
        const cur = s.image.config?.WorkingDir || '/';
        const next = path.posix.isAbsolute(dir) ? path.posix.normalize(dir) : path.posix.join(cur, dir);
        return this.meta(s, `WORKDIR ${next}`, (c) => {
          c.WorkingDir = next;
        });
      }
      case 'USER': {
        const user = w(i.args[0] as string);
        return this.meta(s, `USER ${user}`, (c) => {
          c.User = user;
        });
      }
      case 'EXPOSE': {
        const ports = i.args.flatMap((a) => expandPorts(w(a), i.line));
        return this.meta(s, `EXPOSE ${ports.join(' ')}`, (c) => {
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        });
      }
      case 'VOLUME': {
        const vols = list();
        if (vols.some((v) => !v.trim()))
          throw buildError(i.line, 'VOLUME specified can not be an empty string');
        return this.meta(s, `VOLUME [${vols.join(' ')}]`, (c) => {
          c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        });
      }
      case 'STOPSIGNAL': {
        const sig = w(i.args[0] as string);
        if (!/^(SIG)?[A-Z][A-Z0-9+-]*$|^\d+$/.test(sig)) throw buildError(i.line, `Invalid signal: ${sig}`);
        return this.meta(s, `STOPSIGNAL ${sig}`, (c) => {
          c.StopSignal = sig;
        });
      }
      case 'CMD': {
        const cmd = i.json ?? [...this.shell(s), i.rest];
        s.cmdSet = true;
        return this.meta(s, `CMD ${JSON.stringify(cmd)}`, (c) => {
          c.Cmd = cmd;
        });
      }
      case 'ENTRYPOINT': {
        const ep = i.json ?? [...this.shell(s), i.rest];
        const keepCmd = s.cmdSet;
        return this.meta(s, `ENTRYPOINT ${JSON.stringify(ep)}`, (c) => {
          c.Entrypoint = ep.length ? ep : null;
          // Docker: an ENTRYPOINT resets a CMD inherited from the base image.
          if (!keepCmd) c.Cmd = null;
        });
      }
      case 'SHELL': {
        const sh = i.json as string[];
        return this.meta(s, `SHELL ${JSON.stringify(sh)}`, (c) => {
          c.Shell = sh;
        });
      }
      case 'HEALTHCHECK':
        return this.healthcheck(s, i);
      case 'ONBUILD': {
        const trigger = i.rest;
        const kw = (trigger.split(/\s+/)[0] ?? '').toUpperCase();
        if (kw === 'ONBUILD')
          throw buildError(i.line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (kw === 'FROM' || kw === 'MAINTAINER')
          throw buildError(i.line, `${kw} isn't allowed as an ONBUILD trigger`);
        return this.meta(s, `ONBUILD ${trigger}`, (c) => {
          c.OnBuild = [...((c.OnBuild as string[] | null | undefined) ?? []), trigger];
        });
      }
      case 'RUN':
        return this.run(s, i);
      case 'COPY':
      case 'ADD':
        return this.copy(s, i, vars);
      case 'FROM':
        throw buildError(i.line, 'FROM inside a stage');
    }
  }

  private healthcheck(s: StageState, i: ParsedInstruction): Promise<void> {
    const hc = healthcheckConfig(i);
    const text =
      (hc.Test as string[])[0] === 'NONE' ? 'HEALTHCHECK NONE' : `HEALTHCHECK &{${JSON.stringify(hc.Test)}}`;
    return this.meta(s, text, (c) => {
      c.Healthcheck = hc;
    });
  }

  /** A metadata-only step: new config, an empty_layer history entry, cached by (parent, instruction). */
  private async meta(
    s: StageState,
    text: string,
    mutate: (c: Config) => void,
    mutateImage?: (img: ImageConfig) => void,
  ): Promise<void> {
    const createdBy = `/bin/sh -c #(nop)  ${text}`;
    if (await this.fromCache(s, createdBy)) return;
    // The classic builder commits a (never started) container for metadata steps; its id is what it prints.
    const cid = randomBytes(32).toString('hex');
    this.out(` ---> Running in ${cid.slice(0, 12)}\n`);
    const config = this.nextConfig(s, mutate);
    this.out(`Removing intermediate container ${cid.slice(0, 12)}\n`);
    await this.commit(s, createdBy, config, undefined, mutateImage);
  }

  private nextConfig(s: StageState, mutate: (c: Config) => void): Config {
    const c = structuredClone((s.image.config ?? {}) as Config);
    mutate(c);
    return c;
  }

  private async fromCache(s: StageState, key: string): Promise<boolean> {
    if (this.o.noCache) return false;
    const hit = await this.cache.get(s.imageId ?? 'scratch', key);
    if (!hit) return false;
    this.out(' ---> Using cache\n');
    s.imageId = hit;
    s.image = await this.engine.images.getConfig(hit);
    this.out(` ---> ${short(hit)}\n`);
    return true;
  }

  private async commit(
    s: StageState,
    key: string,
    config: Config,
    diffId: string | undefined,
    mutateImage?: (img: ImageConfig) => void,
  ): Promise<void> {
    const created = new Date().toISOString();
    const image: ImageConfig = {
      ...s.image,
      created,
      config: { ...config, Image: s.imageId ?? '' },
      container_config: undefined,
      rootfs: {
        type: 'layers',
        diff_ids: diffId ? [...s.image.rootfs.diff_ids, diffId] : s.image.rootfs.diff_ids,
      },
      history: [
        ...(s.image.history ?? []),
        diffId ? { created, created_by: key } : { created, created_by: key, empty_layer: true },
      ],
    };
    mutateImage?.(image);
    const id = await this.engine.images.putConfig(Buffer.from(JSON.stringify(image)));
    await this.cache.put(s.imageId ?? 'scratch', key, id);
    s.imageId = id;
    s.image = image;
    this.out(` ---> ${short(id)}\n`);
  }

  /** Build args in effect for RUN (declared ARGs with a value, plus predefined proxies), not overridden by ENV. */
  private runArgs(s: StageState): string[] {
    const env = new Set((s.image.config?.Env ?? []).map((e) => e.split('=')[0]));
    const out: string[] = [];
    for (const [k, v] of s.args) if (v !== undefined && !env.has(k)) out.push(`${k}=${v}`);
    for (const [k, v] of Object.entries(this.o.buildArgs ?? {}))
      if (PREDEFINED_ARGS.has(k) && !s.args.has(k) && !env.has(k)) out.push(`${k}=${v}`);
    return out;
  }

  private async run(s: StageState, i: ParsedInstruction): Promise<void> {
    const argv = i.json ?? [...this.shell(s), i.rest];
    const args = this.runArgs(s);
    const shown = args.filter((a) => !PREDEFINED_ARGS.has(a.split('=')[0] as string));
    const createdBy = `${shown.length ? `|${shown.length} ${shown.join(' ')} ` : ''}${argv.join(' ')}`;
    if (await this.fromCache(s, createdBy)) return;
    if (!s.imageId)
      throw new DockyardError(`The command '${argv.join(' ')}' returned a non-zero code: 127`, 1);
    const rec = await createContainer(this.engine, {
      image: s.imageId,
      command: argv,
      entrypoint: '',
      env: args,
      network: !this.o.network || this.o.network === 'default' ? 'bridge' : this.o.network,
    });
    this.containers.add(rec.id);
    this.out(` ---> Running in ${rec.id.slice(0, 12)}\n`);
    const shim = await loadShim();
    let exitCode: number | undefined;
    let closed: Promise<unknown> = Promise.resolve();
    await startContainer(this.engine, rec.id, {
      beforeStart: async (r) => {
        const att = shim.attachShim(this.engine.containers.shimDir(r.id), { replay: true, stdin: false });
        att.onStdout((d) => this.out(d.toString()));
        att.onStderr((d) => this.out(d.toString()));
        att.onExit((e) => {
          exitCode = e.exitCode;
        });
        closed = att.closed;
        // Start only once the shim has registered this client, so a fast command's output is not missed.
        await new Promise<void>((resolve) => {
          att.onReplayEnd(resolve);
          void att.closed.then(() => resolve());
        });
      },
    });
    const kill = () =>
      void removeContainer(this.engine, rec.id, { force: true, volumes: true }).catch(() => {});
    this.o.signal?.addEventListener('abort', kill);
    try {
      if (this.o.signal?.aborted) kill();
      await closed;
    } finally {
      this.o.signal?.removeEventListener('abort', kill);
    }
    this.throwIfCanceled();
    exitCode ??= await waitContainer(this.engine, rec.id);
    if (exitCode !== 0)
      throw new DockyardError(`The command '${argv.join(' ')}' returned a non-zero code: ${exitCode}`, 1);
    const diffId = await commitLayer(this.engine, rec);
    this.out(`Removing intermediate container ${rec.id.slice(0, 12)}\n`);
    await removeContainer(this.engine, rec.id, { force: true, volumes: true });
    this.containers.delete(rec.id);
    await this.commit(s, createdBy, structuredClone((s.image.config ?? {}) as Config), diffId);
  }

  /** Mounts an image's layers read-write on a scratch upper dir (tracked for cleanup). */
  private async mountImage(layers: string[]): Promise<{ dir: string; rootfs: string }> {
    const dir = scratchDir(this.engine, 'mnt');
    this.mounts.add(dir);
    await fs.mkdir(dir, { recursive: true });
    if (!layers.length) {
      // overlayfs needs a lower layer: an empty one stands in for scratch.
      layers = [await this.engine.images.addLayer(packTree(await fs.mkdtemp(path.join(dir, 'empty-'))))];
    }
    return { dir, rootfs: await mountRootfs(this.engine.images, layers, dir) };
  }

  private async release(dir: string): Promise<void> {
    await unmountRootfs(dir).catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
    this.mounts.delete(dir);
  }

  private async copy(s: StageState, i: ParsedInstruction, vars: Vars): Promise<void> {
    const verb = i.keyword as 'COPY' | 'ADD';
    const words = (i.json ?? i.args).map((a) => (i.json ? a : this.word(a, vars, i.line)));
    const dest0 = words.pop() as string;
    const patterns = words;
    for (const p of patterns) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
        if (verb === 'COPY') throw new DockyardError(`COPY failed: source can't be a URL for COPY`, 1);
        throw new DockyardError(
          `ADD failed: downloading ${p} is not supported: this engine builds without internet access; download the file into the build context and COPY it`,
          1,
        );
      }
    }
    const workdir = s.image.config?.WorkingDir || '/';
    const destIsDir = dest0.endsWith('/') || dest0 === '.' || dest0.endsWith('/.');
    const dest = path.posix.isAbsolute(dest0) ? path.posix.normalize(dest0) : path.posix.join(workdir, dest0);
    let srcRoot = this.contextDir;
    let srcMount: string | undefined;
    let fromKey = '';
    try {
      const from = i.flags.from !== undefined ? this.word(i.flags.from, vars, i.line) : undefined;
      if (from !== undefined) {
        if (verb === 'ADD') throw buildError(i.line, 'ADD does not support --from');
        const layers = await this.sourceImageLayers(from);
        const m = await this.mountImage(layers.layers);
        srcMount = m.dir;
        srcRoot = m.rootfs;
        fromKey = ` from ${layers.id}`;
      }
      const sources: Source[] = await resolveSources(srcRoot, patterns, verb);
      if (sources.length > 1 && !destIsDir)
        throw new DockyardError(
          `When using ${verb} with more than one source file, the destination must be a directory and end with a /`,
          1,
        );
      const sum = await checksumSources(sources);
      const kind = sources.length > 1 ? 'multi' : sources[0]?.isDir ? 'dir' : 'file';
      const chown = i.flags.chown !== undefined ? this.word(i.flags.chown, vars, i.line) : undefined;
      const chmod = i.flags.chmod;
      if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod))
        throw buildError(i.line, `invalid chmod ${chmod}`);
      const opts = `${chown ? ` --chown=${chown}` : ''}${chmod ? ` --chmod=${chmod}` : ''}`;
      const createdBy = `/bin/sh -c #(nop) ${verb}${opts} ${kind}:${sum}${fromKey} in ${dest0.endsWith('/') && !dest.endsWith('/') ? `${dest}/` : dest} `;
      if (await this.fromCache(s, createdBy)) return;
      const target = await this.mountImage(s.image.rootfs.diff_ids);
      try {
        const owner = chown ? await resolveChown(target.rootfs, chown, i.line) : undefined;
        await copyInto(target.rootfs, sources, dest, {
          verb,
          destIsDir,
          owner,
          chmod: chmod ? Number.parseInt(chmod, 8) : undefined,
        });
        await unmountRootfs(target.dir);
        const upper = path.join(target.dir, 'upper');
        const diffId = await this.engine.images.addLayer(
          packTree(upper, { overlayWhiteouts: true, skipRoot: true }),
        );
        await this.commit(s, createdBy, structuredClone((s.image.config ?? {}) as Config), diffId);
      } finally {
        await this.release(target.dir);
      }
    } finally {
      if (srcMount) await this.release(srcMount);
    }
  }

  /** A local image, else pulled like the classic builder does for FROM (base images come from their recipes). */
  private async image(ref: string): Promise<string> {
    const found = await this.engine.images.resolve(ref);
    if (found) return found;
    const domain = (() => {
      try {
        return parseRemoteReference(ref).domain;
      } catch {
        return '';
      }
    })();
    const auths = this.o.registryAuth ?? {};
    const auth = auths[domain] ?? auths[`https://${domain}`] ?? auths[`http://${domain}`];
    const progress =
      this.o.progress ??
      ((m: ProgressMessage) => {
        if (!m.progressDetail) this.out(`${m.id ? `${m.id}: ` : ''}${m.status}\n`);
      });
    return (await pullImage(this.engine, ref, { auth, progress })).id;
  }

  /** `COPY --from=`: an earlier stage by name or index, else an image. */
  private async sourceImageLayers(from: string): Promise<{ id: string; layers: string[] }> {
    const byName = this.stageImages.find((x) => x.name !== undefined && x.name === from.toLowerCase());
    const byIndex = /^\d+$/.test(from) ? this.stageImages[Number(from)] : undefined;
    const stage = byName ?? byIndex;
    if (stage) return { id: stage.id ?? 'scratch', layers: stage.image.rootfs.diff_ids };
    if (/^\d+$/.test(from))
      throw new DockyardError(`invalid from flag value ${from}: refers to current or future build stage`, 1);
    const id = await this.image(from);
    return { id, layers: (await this.engine.images.getConfig(id)).rootfs.diff_ids };
  }
}

async function resolveChown(
  rootfs: string,
  spec: string,
  line: number,
): Promise<{ uid: number; gid: number }> {
  try {
    const u = await resolveUser(rootfs, spec);
    // `--chown=user` without a group uses the user's primary group, as resolveUser does.
    return { uid: u.uid, gid: u.gid };
  } catch (e) {
    throw buildError(line, `unable to convert uid/gid chown string to host mapping: ${(e as Error).message}`);
  }
}
