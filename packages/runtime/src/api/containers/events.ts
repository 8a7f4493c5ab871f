import type { ContainerRecord } from '../../containers/record.js';
import type { Engine } from '../../engine.js';
import { recordEvent } from '../../events.js';

/** Records a container event with Docker's attributes: image, name, the labels, plus any extras. */
export function containerEvent(
  engine: Engine,
  rec: Pick<ContainerRecord, 'id' | 'name' | 'image' | 'config'>,
  action: string,
  extra: Record<string, string> = {},
): Promise<void> {
  return recordEvent(engine.cfg, {
    Type: 'container',
    Action: action,
    Actor: { ID: rec.id, Attributes: { ...rec.config.labels, image: rec.image, name: rec.name, ...extra } },
  });
}
