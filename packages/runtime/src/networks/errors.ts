/**
 * Errors carry a stable code (for the CLI's translations and the Engine API's status mapping)
 * and Docker's English wording where Docker has one.
 */
export type NetworkErrorCode =
  | 'not_found'
  | 'name_conflict'
  | 'invalid_name'
  | 'invalid_subnet'
  | 'invalid_address'
  | 'pool_overlap'
  | 'pool_exhausted'
  | 'address_in_use'
  | 'active_endpoints'
  | 'predefined'
  | 'already_connected'
  | 'not_connected'
  | 'port_allocated'
  | 'unsupported'
  | 'command_failed';

const statusByCode: Record<NetworkErrorCode, number> = {
  not_found: 404,
  name_conflict: 409,
  invalid_name: 400,
  invalid_subnet: 400,
  invalid_address: 400,
  pool_overlap: 403,
  pool_exhausted: 500,
  address_in_use: 403,
  active_endpoints: 403,
  predefined: 403,
  already_connected: 403,
  not_connected: 404,
  port_allocated: 500,
  unsupported: 400,
  command_failed: 500,
};

export class NetworkError extends Error {
  readonly code: NetworkErrorCode;
  /** HTTP status the Engine API should answer with (Docker's choice where known). */
  readonly status: number;

  constructor(code: NetworkErrorCode, message: string) {
    super(message);
    this.name = 'NetworkError';
    this.code = code;
    this.status = statusByCode[code];
  }
}
