import type { Engine } from '../engine.js';
import { DockyardError } from '../errors.js';
import { VALID_NAME } from './names.js';

export async function renameContainer(engine: Engine, ref: string, newName: string): Promise<void> {
  const name = newName.replace(/^\//, '');
  if (!VALID_NAME.test(name)) {
    throw new DockyardError(
      `Error response from daemon: Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  const rec = await engine.containers.get(ref);
  await engine.containers.withNamesLock(async () => {
    if (rec.name === name) {
      throw new DockyardError(
        'Error response from daemon: Renaming a container with the same name as its current name',
      );
    }
    const holder = (await engine.containers.list()).find((c) => c.name === name);
    if (holder) {
      throw new DockyardError(
        `Error response from daemon: Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    await engine.containers.update(rec.id, (r) => {
      r.name = name;
    });
  });
}
