import { RegistryClient, RegistryError } from './registry.js';
import { DEFAULT_DOMAIN } from './registry-reference.js';

/** One result in the shape of the Engine API's /images/search. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/**
 * `docker search` against a v2 registry's catalog: `localhost:5000/term` searches that registry, a bare term the
 * one in DOCKYARD_SEARCH_REGISTRY. Docker Hub's search index (a v1 API) is never contacted.
 */
export async function searchRegistry(
  term: string,
  limit = 25,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SearchResult[]> {
  if (limit < 1 || limit > 100) throw new RegistryError('limit must be between 1 and 100', 400);
  const slash = term.indexOf('/');
  const first = slash > 0 ? term.slice(0, slash) : '';
  let domain: string | undefined;
  let query = term;
  if (first && (/[.:]/.test(first) || first === 'localhost')) {
    domain = first;
    query = term.slice(slash + 1);
  } else {
    domain = env.DOCKYARD_SEARCH_REGISTRY || undefined;
  }
  if (!domain || domain === DEFAULT_DOMAIN || domain === 'index.docker.io') {
    throw new RegistryError(
      `the docker.io search index is not reachable from this engine; search a registry's catalog instead, e.g. "localhost:5000/${query}", or set DOCKYARD_SEARCH_REGISTRY`,
      500,
    );
  }
  const client = new RegistryClient(domain, { env });
  try {
    const q = query.toLowerCase();
    return (await client.catalog())
      .filter((name) => name.toLowerCase().includes(q))
      .slice(0, limit)
      .map((name) => ({
        name: `${domain}/${name}`,
        description: '',
        star_count: 0,
        is_official: false,
        is_automated: false,
      }));
  } finally {
    client.close();
  }
}
