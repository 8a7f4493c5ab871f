import { createAuthClient } from 'better-auth/react';

// Same origin as the page, so better-auth's origin check passes without configuration.
export const authClient = createAuthClient();
