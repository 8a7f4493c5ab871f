import { API_VERSION, olderThan } from '../api/version.js';
import type { Engine } from '../engine.js';

/** Docker's ImageInspect, shaped for the asking API version (the CLI uses the newest). */
export async function inspectImageBody(engine: Engine, id: string, apiVersion: string = API_VERSION) {
  const img = await engine.images.get(id);
  const c = img.config;
  const cc = c.config ?? {};
  const body: Record<string, unknown> = {
    Id: img.id,
    RepoTags: img.tags,
    RepoDigests: img.digests,
    Parent: '',
    Comment: c.comment ?? c.history?.[c.history.length - 1]?.comment ?? '',
    Created: img.created,
    DockerVersion: '',
    Author: c.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: null,
      Cmd: null,
      Image: '',
      Volumes: null,
      WorkingDir: '',
      Entrypoint: null,
      OnBuild: null,
      Labels: null,
      ...cc,
    },
    Architecture: c.architecture,
    Os: c.os,
    Size: img.size,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: [...c.rootfs.diff_ids]
          .reverse()
          .map((d) => engine.images.layerDiff(d))
          .join(':'),
      },
    },
    RootFS: { Type: 'layers', Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
  if (typeof c.variant === 'string') body.Variant = c.variant;
  // Docker dropped these in 1.45, but docker-compose 1.x reads ContainerConfig at any version it negotiates.
  Object.assign(body, { Container: '', ContainerConfig: {} });
  if (olderThan(apiVersion, '1.44')) body.VirtualSize = img.size;
  return body;
}
