import { z } from 'zod';

/** What containers/ gets back from connect(): one interface of the container on one network. */
export interface NetworkAttachment {
  network: string;
  networkId: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  ifname: string;
  aliases: string[];
}

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp';
}

export const portBindingSchema = z.object({
  hostIp: z.ipv4(),
  hostPort: z.number().int().min(0).max(65535),
  containerPort: z.number().int().min(1).max(65535),
  proto: z.enum(['tcp', 'udp']),
});

const stringMap = z.record(z.string(), z.string());

/** A network as stored on disk, in the shape of Docker's `network inspect` (Containers filled on read). */
export const networkRecordSchema = z.object({
  Name: z.string(),
  Id: z.string().regex(/^[0-9a-f]{64}$/),
  Created: z.string(),
  Scope: z.literal('local'),
  Driver: z.enum(['bridge', 'host', 'null']),
  EnableIPv6: z.boolean(),
  IPAM: z.object({
    Driver: z.literal('default'),
    Options: stringMap,
    Config: z.array(z.object({ Subnet: z.string(), Gateway: z.string() })),
  }),
  Internal: z.boolean(),
  Attachable: z.boolean(),
  Ingress: z.boolean(),
  ConfigOnly: z.boolean(),
  Containers: z.record(
    z.string(),
    z.object({
      Name: z.string(),
      EndpointID: z.string(),
      MacAddress: z.string(),
      IPv4Address: z.string(),
      IPv6Address: z.string(),
    }),
  ),
  Options: stringMap,
  Labels: stringMap,
});
export type NetworkRecord = z.infer<typeof networkRecordSchema>;

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** One attachment as kept in the container's endpoint record: enough to undo it after a crash. */
export const storedAttachmentSchema = z.object({
  network: z.string(),
  networkId: z.string(),
  endpointId: z.string(),
  ip: z.string(),
  prefixLen: z.number().int(),
  gateway: z.string(),
  mac: z.string(),
  ifname: z.string(),
  aliases: z.array(z.string()),
  hostVeth: z.string(),
  bridge: z.string(),
});
export type StoredAttachment = z.infer<typeof storedAttachmentSchema>;

export const publishedPortSchema = portBindingSchema.extend({ containerIp: z.ipv4() });
export type PublishedPort = z.infer<typeof publishedPortSchema>;

/** Per-container record: `<stateRoot>/networks/endpoints/<containerId>.json`. */
export const endpointRecordSchema = z.object({
  containerId: z.string(),
  name: z.string(),
  netnsPath: z.string(),
  /** `<st_dev>:<st_ino>` of the netns when first connected: tells a live container from a reused pid. */
  netnsId: z.string(),
  hostsPath: z.string().optional(),
  hostname: z.string().optional(),
  /** Static lines of its /etc/hosts (legacy links, --add-host), kept when the file is rewritten. */
  extraHosts: z.array(z.object({ ip: z.string(), names: z.array(z.string()) })).optional(),
  attachments: z.array(storedAttachmentSchema),
  ports: z.array(publishedPortSchema),
});
export type EndpointRecord = z.infer<typeof endpointRecordSchema>;

/** IPAM state of one network: `<stateRoot>/networks/ipam/<networkId>.json`, address → container id. */
export const ipamRecordSchema = z.object({ allocations: z.record(z.string(), z.string()) });
export type IpamRecord = z.infer<typeof ipamRecordSchema>;
