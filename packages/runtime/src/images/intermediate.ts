import type { ImageRecord } from './types.js';

/**
 * Docker's "intermediate images": untagged images another image was built on (the classic builder records the
 * parent of each step in `config.Image`). `docker images` hides them unless asked for all; dangling images
 * (untagged, nothing built on them) stay visible.
 */
export function intermediateImageIds(images: ImageRecord[]): Set<string> {
  const parents = new Set<string>();
  for (const img of images) {
    const parent = img.config.config?.Image;
    if (typeof parent === 'string' && parent.startsWith('sha256:')) parents.add(parent);
  }
  return new Set(images.filter((img) => !img.tags.length && parents.has(img.id)).map((img) => img.id));
}
