export { type AttachOptions, attachShim, type ShimAttachment } from './attach.js';
export { type ExitRecord, ExitRecordSchema, parseExitRecord, readExit, readShimPid } from './exit.js';
export {
  DEFAULT_MAX_PAYLOAD,
  encodeFrame,
  encodeHello,
  encodeResize,
  encodeSignal,
  FRAME_HEADER_SIZE,
  type Frame,
  FrameDecoder,
  FrameError,
  FrameType,
} from './frames.js';
export { attachSocketPath, shimBinaryPath } from './paths.js';
export { ShimStartError, type StartedShim, type StartShimOptions, shimArgs, startShim } from './start.js';
