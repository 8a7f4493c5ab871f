import {
  DockerfileParser,
  type Instruction,
  ModifiableInstruction,
  PropertyInstruction,
} from 'dockerfile-ast';
import { z } from 'zod';
import { DockyardError } from '../errors.js';

/** One Dockerfile instruction as the builder needs it; everything comes from dockerfile-ast, then zod checks it. */
export interface ParsedInstruction {
  keyword: string;
  /** The instruction as written, continuation lines joined: what `Step N/M :` prints. */
  original: string;
  line: number;
  flags: Record<string, string>;
  /** Arguments after the flags, continuations removed. */
  rest: string;
  /** Whitespace-separated arguments (shell form). */
  args: string[];
  /** The exec (JSON array) form, when the arguments are one. */
  json: string[] | undefined;
  /** ENV / LABEL / ARG: names and raw (still quoted) values. */
  props: { name: string; raw: string | undefined }[];
}

export interface Stage {
  index: number;
  name: string | undefined;
  from: ParsedInstruction;
  instructions: ParsedInstruction[];
}

export interface ParsedDockerfile {
  escapeChar: string;
  /** ARGs before the first FROM. */
  globalArgs: ParsedInstruction[];
  stages: Stage[];
}

const KEYWORDS = [
  'FROM',
  'RUN',
  'CMD',
  'LABEL',
  'MAINTAINER',
  'EXPOSE',
  'ENV',
  'ADD',
  'COPY',
  'ENTRYPOINT',
  'VOLUME',
  'USER',
  'WORKDIR',
  'ARG',
  'ONBUILD',
  'STOPSIGNAL',
  'HEALTHCHECK',
  'SHELL',
] as const;

const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
  RUN: [],
};

const base = z.object({
  keyword: z.enum(KEYWORDS),
  original: z.string(),
  line: z.number().int(),
  flags: z.record(z.string(), z.string()),
  rest: z.string(),
  args: z.array(z.string()),
  json: z.array(z.string()).optional(),
  props: z.array(z.object({ name: z.string().min(1), raw: z.string().optional() })),
});

/** Argument-count rules Docker's parser enforces, with its messages. */
const InstructionSchema = base.superRefine((i, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  const allowed = FLAGS[i.keyword] ?? [];
  for (const f of Object.keys(i.flags)) {
    if (!allowed.includes(f)) fail(`unknown flag: ${f}`);
  }
  const n = i.json ? i.json.length : i.args.length;
  switch (i.keyword) {
    case 'FROM':
      if (!(i.args.length === 1 || (i.args.length === 3 && i.args[1]?.toUpperCase() === 'AS')))
        fail('FROM requires either one or three arguments');
      break;
    case 'COPY':
    case 'ADD':
      if (n < 2)
        fail(
          `${i.keyword} requires at least two arguments, but only ${n === 0 ? 'zero' : 'one'} was provided. Destination could not be determined.`,
        );
      break;
    case 'ENV':
    case 'LABEL':
      if (i.props.length === 0) fail(`${i.keyword} requires at least one argument`);
      for (const p of i.props)
        if (p.raw === undefined && i.keyword === 'LABEL') fail(`${i.keyword} names can not be blank`);
      break;
    case 'ARG':
      if (i.props.length !== 1) fail('ARG requires exactly one argument');
      break;
    case 'SHELL':
      if (!i.json || i.json.length === 0) fail('SHELL requires the arguments to be in JSON form');
      break;
    case 'HEALTHCHECK': {
      const t = i.args[0]?.toUpperCase();
      if (t !== 'NONE' && t !== 'CMD') fail(`Unknown type "${i.args[0] ?? ''}" in HEALTHCHECK (try CMD)`);
      if (t === 'NONE' && (i.args.length > 1 || Object.keys(i.flags).length))
        fail('HEALTHCHECK NONE takes no arguments');
      if (t === 'CMD' && i.args.length < 2) fail('Missing command after HEALTHCHECK CMD');
      break;
    }
    case 'RUN':
    case 'EXPOSE':
    case 'VOLUME':
    case 'USER':
    case 'WORKDIR':
    case 'STOPSIGNAL':
    case 'ONBUILD':
    case 'MAINTAINER':
      if (i.rest.trim() === '') fail(`${i.keyword} requires at least one argument`);
      break;
  }
  if ((i.keyword === 'USER' || i.keyword === 'WORKDIR' || i.keyword === 'STOPSIGNAL') && i.args.length > 1)
    fail(`${i.keyword} requires exactly one argument`);
});

/** The text of an instruction's lines with escaped newlines removed, as Docker's parser keeps it. */
function joinedText(lines: string[], start: number, end: number, escapeChar: string): string {
  let text = '';
  for (let l = start; l <= end; l++) {
    let line = lines[l] ?? '';
    if (l > start && /^\s*#/.test(line)) continue;
    const trimmed = line.replace(/\s+$/, '');
    if (l < end && trimmed.endsWith(escapeChar)) line = trimmed.slice(0, -1);
    text += line;
  }
  return text.trim();
}

function parseJsonForm(rest: string): string[] | undefined {
  const t = rest.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {}
  return undefined;
}

function toParsed(i: Instruction, lines: string[], escapeChar: string): ParsedInstruction {
  const range = i.getRange();
  const original = joinedText(lines, range.start.line, range.end.line, escapeChar);
  const flags: Record<string, string> = {};
  if (i instanceof ModifiableInstruction) {
    for (const f of i.getFlags()) flags[f.getName()] = f.getValue() ?? '';
  }
  const rest = (i.getArgumentsContent() ?? '').trim();
  const keyword = i.getKeyword().toUpperCase();
  let props: ParsedInstruction['props'] = [];
  if (i instanceof PropertyInstruction) {
    props = i.getProperties().map((p) => {
      const vr = p.getValueRange();
      let raw: string | undefined;
      if (vr) {
        raw = lines
          .slice(vr.start.line, vr.end.line + 1)
          .map((l, k, all) => {
            const from = k === 0 ? vr.start.character : 0;
            const to = k === all.length - 1 ? vr.end.character : l.length;
            return l.slice(from, to);
          })
          .join('');
      } else if (p.getAssignmentOperator() === '=') raw = '';
      return { name: p.getName(), raw };
    });
  }
  return {
    keyword,
    original,
    line: range.start.line + 1,
    flags,
    rest,
    args: rest.split(/\s+/).filter(Boolean),
    json: parseJsonForm(rest),
    props,
  };
}

export function buildError(line: number, message: string): DockyardError {
  return new DockyardError(`Dockerfile parse error line ${line}: ${message}`, 1);
}

/** Parses one instruction from its text (ONBUILD triggers run in a child build). */
export function parseInstructions(text: string): { escapeChar: string; instructions: ParsedInstruction[] } {
  const df = DockerfileParser.parse(text);
  const escapeChar = df.getEscapeCharacter();
  const lines = text.split(/\r?\n/);
  const instructions: ParsedInstruction[] = [];
  for (const ins of df.getInstructions()) {
    const p = toParsed(ins, lines, escapeChar);
    if (!(KEYWORDS as readonly string[]).includes(p.keyword))
      throw buildError(p.line, `unknown instruction: ${p.keyword}`);
    const checked = InstructionSchema.safeParse(p);
    if (!checked.success) throw buildError(p.line, checked.error.issues[0]?.message ?? 'invalid instruction');
    instructions.push(p);
  }
  return { escapeChar, instructions };
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const { escapeChar, instructions } = parseInstructions(text);
  const globalArgs: ParsedInstruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const name = ins.args.length === 3 ? ins.args[2]?.toLowerCase() : undefined;
      if (name !== undefined && !/^[a-z][a-z0-9._-]*$/.test(name))
        throw buildError(
          ins.line,
          `invalid name for build stage: "${ins.args[2]}", name can't start with a number or contain symbols`,
        );
      if (name && stages.some((s) => s.name === name)) throw buildError(ins.line, `duplicate name ${name}`);
      stages.push({ index: stages.length, name, from: ins, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new DockyardError('no build stage in current context', 1);
      globalArgs.push(ins);
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  if (stages.length === 0) throw new DockyardError('Dockerfile cannot be empty', 1);
  return { escapeChar, globalArgs, stages };
}
