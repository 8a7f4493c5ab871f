export { type ApiContext, ApiError, type Route } from './http.js';
export {
  type ApiServer,
  type ApiServerOptions,
  startApiServer,
  type TcpOptions,
} from './server.js';
export { Demuxer, MUX_HEADER_SIZE, muxFrame, type StreamId, streamContentType } from './stream.js';
export { API_VERSION, ENGINE_VERSION, MIN_API_VERSION } from './version.js';
