import { z } from 'zod';

/** The parts of an OCI / Docker image config the engine reads; everything else is kept as-is. */
export const ContainerConfigSchema = z
  .object({
    Env: z.array(z.string()).nullish(),
    Cmd: z.array(z.string()).nullish(),
    Entrypoint: z.array(z.string()).nullish(),
    WorkingDir: z.string().nullish(),
    User: z.string().nullish(),
    Labels: z.record(z.string(), z.string()).nullish(),
    ExposedPorts: z.record(z.string(), z.unknown()).nullish(),
    Volumes: z.record(z.string(), z.unknown()).nullish(),
    StopSignal: z.string().nullish(),
    Hostname: z.string().nullish(),
  })
  .passthrough();
export type ContainerConfig = z.infer<typeof ContainerConfigSchema>;

export const HistorySchema = z
  .object({
    created: z.string().optional(),
    created_by: z.string().optional(),
    comment: z.string().optional(),
    empty_layer: z.boolean().optional(),
  })
  .passthrough();

export const ImageConfigSchema = z
  .object({
    architecture: z.string().default('amd64'),
    os: z.string().default('linux'),
    created: z.string().optional(),
    author: z.string().optional(),
    comment: z.string().optional(),
    config: ContainerConfigSchema.nullish(),
    container_config: z.unknown().optional(),
    rootfs: z.object({
      type: z.literal('layers'),
      diff_ids: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/)),
    }),
    history: z.array(HistorySchema).optional(),
  })
  .passthrough();
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

export const LayerMetaSchema = z.object({
  diffId: z.string(),
  size: z.number(),
  created: z.string(),
});
export type LayerMeta = z.infer<typeof LayerMetaSchema>;

export const RepositoriesSchema = z.record(z.string(), z.string());

export interface ImageRecord {
  id: string; // sha256:<hex>
  config: ImageConfig;
  tags: string[];
  /** repo@sha256:… of registry manifests known to be this image. */
  digests: string[];
  size: number;
  created: string;
}
