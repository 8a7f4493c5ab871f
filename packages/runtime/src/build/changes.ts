import { parseDuration } from '../containers/healthcheck.js';
import { DockyardError } from '../errors.js';
import type { ImageConfig } from '../images/types.js';
import { buildError, type ParsedInstruction, parseInstructions } from './dockerfile.js';
import { processWord, SubstitutionError } from './words.js';

export type Config = NonNullable<ImageConfig['config']> & Record<string, unknown>;

/** What `docker commit --change` and `docker import --change` accept: dockerd's validCommitCommands. */
const CHANGE_COMMANDS = new Set([
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'ONBUILD',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** Parses `--change` lines with the Dockerfile parser; refuses what a commit may not carry. */
export function parseChanges(list: string[]): ParsedInstruction[] {
  return list.flatMap((text) => {
    const { instructions } = parseInstructions(text);
    for (const i of instructions) {
      if (!CHANGE_COMMANDS.has(i.keyword))
        throw new DockyardError(`${i.keyword} is not a valid change command`);
      // Bad durations and ports fail here, before a commit has written anything.
      if (i.keyword === 'HEALTHCHECK') healthcheckConfig(i);
      if (i.keyword === 'EXPOSE') for (const a of i.args) if (!a.includes('$')) expandPorts(a, i.line);
    }
    return instructions;
  });
}

/** A copy of `config` with the changes applied in order; `$VAR` in them expands from the config's Env, as dockerd does. */
export function applyChanges(config: Config, changes: ParsedInstruction[]): Config {
  const c: Config = { ...config };
  for (const i of changes) {
    const vars = new Map(
      (c.Env ?? []).map((e) => [e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)]),
    );
    const w = (raw: string) => {
      try {
        return processWord(raw, vars);
      } catch (e) {
        if (e instanceof SubstitutionError) throw buildError(i.line, e.message);
        throw e;
      }
    };
    const shellForm = () => [
      ...((c.Shell as string[] | undefined)?.length ? (c.Shell as string[]) : ['/bin/sh', '-c']),
      i.rest,
    ];
    switch (i.keyword) {
      case 'CMD':
        c.Cmd = i.json ?? shellForm();
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = i.json ?? shellForm();
        break;
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const p of i.props) {
          const k = w(p.name);
          const entry = `${k}=${w(p.raw ?? '')}`;
          const at = env.findIndex((e) => e.startsWith(`${k}=`));
          if (at >= 0) env[at] = entry;
          else env.push(entry);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        c.Labels = {
          ...(c.Labels ?? {}),
          ...Object.fromEntries(i.props.map((p) => [w(p.name), w(p.raw ?? '')])),
        };
        break;
      case 'EXPOSE': {
        const ports = i.args.flatMap((a) => expandPorts(w(a), i.line));
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        break;
      }
      case 'VOLUME': {
        const vols = (i.json ?? i.args).map(w);
        c.Volumes = { ...(c.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        break;
      }
      case 'USER':
        c.User = w(i.args[0] as string);
        break;
      case 'WORKDIR':
        c.WorkingDir = w(i.args[0] as string);
        break;
      case 'STOPSIGNAL':
        c.StopSignal = w(i.args[0] as string);
        break;
      case 'ONBUILD':
        c.OnBuild = [...((c.OnBuild as string[] | null | undefined) ?? []), i.rest];
        break;
      case 'HEALTHCHECK':
        c.Healthcheck = healthcheckConfig(i);
        break;
    }
  }
  return c;
}

/** `80`, `80/udp`, `8000-8002/tcp` → Docker's `port/proto` keys. */
export function expandPorts(spec: string, line: number): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw buildError(line, `Invalid containerPort: ${spec}`);
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (to < from || to > 65535) throw buildError(line, `Invalid range specified for the Port: ${spec}`);
  const out: string[] = [];
  for (let p = from; p <= to; p++) out.push(`${p}/${proto}`);
  return out;
}

/** A HEALTHCHECK instruction as the image config's Healthcheck (durations in nanoseconds, zero values left out). */
export function healthcheckConfig(i: ParsedInstruction): Record<string, unknown> {
  if ((i.args[0] ?? '').toUpperCase() === 'NONE') return { Test: ['NONE'] };
  const cmdText = i.rest.replace(/^\S+\s*/, '');
  let json: string[] | undefined;
  try {
    const v: unknown = JSON.parse(cmdText);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v;
  } catch {}
  const hc: Record<string, unknown> = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', cmdText] };
  const durations: [string, string][] = [
    ['interval', 'Interval'],
    ['timeout', 'Timeout'],
    ['start-period', 'StartPeriod'],
    ['start-interval', 'StartInterval'],
  ];
  for (const [flag, key] of durations) {
    const v = i.flags[flag];
    if (v === undefined) continue;
    const ns = parseDuration(v);
    if (ns === undefined) throw buildError(i.line, `time: invalid duration "${v}"`);
    if (ns !== 0 && ns < 1_000_000) throw buildError(i.line, `${key} in HEALTHCHECK cannot be less than 1ms`);
    if (ns) hc[key] = ns;
  }
  if (i.flags.retries !== undefined) {
    const r = Number(i.flags.retries);
    if (!Number.isInteger(r) || r < 0) throw buildError(i.line, `--retries must be a non-negative integer`);
    if (r) hc.Retries = r;
  }
  return hc;
}
