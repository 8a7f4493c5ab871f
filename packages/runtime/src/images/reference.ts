import { DockyardError } from '../errors.js';

export interface ImageRef {
  repo: string;
  tag: string;
}

// Optional registry host (may carry a port) followed by lowercase path components, as in the distribution spec.
const REPO_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/** Parses `busybox`, `busybox:1.36`, `docker.io/library/busybox:latest` into repo + tag (default `latest`). */
export function parseReference(ref: string): ImageRef {
  let name = ref;
  let tag = 'latest';
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  name = name.replace(/^docker\.io\//, '').replace(/^library\//, '');
  if (!REPO_RE.test(name) || !TAG_RE.test(tag)) {
    throw new DockyardError(`invalid reference format: ${ref}`);
  }
  return { repo: name, tag };
}

export const formatReference = (r: ImageRef) => `${r.repo}:${r.tag}`;
export const normalizeReference = (ref: string) => formatReference(parseReference(ref));
