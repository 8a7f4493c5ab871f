export { NetworkError, type NetworkErrorCode } from './errors.js';
export {
  type ConnectRequest,
  DEFAULT_NETWORK,
  macFor,
  NetworkManager,
  type NetworkManagerOptions,
  type ReconcileOptions,
} from './manager.js';
export type { NetworkAttachment, NetworkRecord, PortBinding } from './types.js';
