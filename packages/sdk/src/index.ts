export { Container, Dockyard, type DockyardOptions, Exec, Image, Network, Volume } from './client.js';
export {
  demuxBuffer,
  demuxStream,
  FrameParser,
  MUX_HEADER_SIZE,
  muxFrame,
  type StreamKind,
} from './demux.js';
export { DockerApiError, DockerProgressError } from './errors.js';
export { builtImageId, EventStream, ProgressStream, StatsStream } from './progress.js';
export * from './schemas.js';
export { Transport, type TransportOptions } from './transport.js';
export type * from './types.js';
