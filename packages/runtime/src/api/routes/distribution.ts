import { translatePullError } from '../../images/pull.js';
import { decodeRegistryAuth, RegistryClient } from '../../images/registry.js';
import { parseRemoteReference, withDefaultTag } from '../../images/registry-reference.js';
import { ImageConfigSchema } from '../../images/types.js';
import { type ApiContext, ApiError, type Route, sendJson } from '../http.js';
import { apiError } from './images.js';

/** `GET /distribution/{name}/json`: the manifest descriptor the registry holds for a reference, and its platforms. */
async function inspect(ctx: ApiContext): Promise<void> {
  const rest = ctx.params['*'] ?? '';
  if (!rest.endsWith('/json')) throw new ApiError(404, 'page not found');
  const name = rest.slice(0, -'/json'.length);
  let r: ReturnType<typeof parseRemoteReference>;
  try {
    r = withDefaultTag(parseRemoteReference(name));
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  const auth = decodeRegistryAuth(String(ctx.req.headers['x-registry-auth'] ?? ''));
  const client = new RegistryClient(r.domain, { auth });
  try {
    const resolved = await client
      .resolveManifest(r.path, r.digest ?? r.tag ?? 'latest')
      .catch((e: unknown) => {
        throw translatePullError(e, r);
      });
    let platforms: Record<string, unknown>[] = resolved.platforms;
    if (!platforms.length) {
      const config = ImageConfigSchema.parse(
        JSON.parse((await client.getBlobBytes(r.path, resolved.manifest.config.digest)).toString()),
      );
      platforms = [{ architecture: config.architecture, os: config.os }];
    }
    sendJson(ctx, 200, {
      Descriptor: {
        mediaType: resolved.descriptor.mediaType,
        digest: resolved.descriptor.digest,
        size: resolved.descriptor.size,
      },
      Platforms: platforms,
    });
  } catch (e) {
    throw apiError(e);
  } finally {
    client.close();
  }
}

export const routes: Route[] = [{ method: 'GET', path: '/distribution/*', handler: inspect }];
