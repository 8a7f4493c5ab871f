import { inspectContainer } from '../containers/inspect.js';
import { DockyardError } from '../errors.js';
import { inspectImageBody } from '../images/inspect.js';
import { err, exit, getEngine, out } from './common.js';
import { renderTemplate } from './format.js';

export type ObjectType = 'container' | 'image' | 'volume' | 'network';

export function inspectImage(id: string): Promise<Record<string, unknown>> {
  return inspectImageBody(getEngine(), id);
}

async function findObject(ref: string, type?: ObjectType): Promise<Record<string, unknown> | undefined> {
  const e = getEngine();
  if (!type || type === 'container') {
    const rec = await e.containers.find(ref);
    if (rec) return inspectContainer(e, rec);
  }
  if (!type || type === 'image') {
    const id = await e.images.resolve(ref).catch(() => undefined);
    if (id) return inspectImage(id);
  }
  if (!type || type === 'volume') {
    const v = await e.volumes.get(ref);
    if (v) {
      const { Anonymous: _anonymous, ...rest } = v;
      return rest;
    }
  }
  if (!type || type === 'network') {
    const nets = await e.networks();
    const n = await nets.inspect(ref).catch(() => undefined);
    if (n) return n;
  }
  return undefined;
}

/** docker inspect: a JSON array (4-space indent like docker) or one --format line per object. */
export async function inspectObjects(
  refs: string[],
  type: ObjectType | undefined,
  format?: string,
): Promise<void> {
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const ref of refs) {
    const obj = await findObject(ref, type);
    if (obj) found.push(obj);
    else missing.push(ref);
  }
  if (format) for (const o of found) out(renderTemplate(format, o));
  else out(JSON.stringify(found, null, 4));
  if (missing.length) {
    for (const m of missing) {
      const what =
        type === 'image'
          ? 'image'
          : type === 'volume'
            ? 'volume'
            : type === 'network'
              ? 'network'
              : type === 'container'
                ? 'container'
                : 'object';
      err(
        type === 'volume'
          ? `Error response from daemon: get ${m}: no such volume`
          : type === 'network'
            ? `Error response from daemon: network ${m} not found`
            : `Error response from daemon: No such ${what}: ${m}`,
      );
    }
    exit.code = 1;
  }
}

export function checkType(t: string | undefined): ObjectType | undefined {
  if (t === undefined) return undefined;
  if (['container', 'image', 'volume', 'network'].includes(t)) return t as ObjectType;
  throw new DockyardError(`"${t}" is not a valid value for --type`);
}
