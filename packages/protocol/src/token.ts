// Short-lived lab tokens: web signs them for a signed-in student, sandboxd verifies them.
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

export const roleSchema = z.enum(['student', 'instructor', 'admin']);
export type Role = z.infer<typeof roleSchema>;

export const LAB_TOKEN_ISSUER = 'dockyard-web';
export const LAB_TOKEN_AUDIENCE = 'dockyard-sandboxd';
/** Tokens only open a connection; sandboxd keeps its own session afterwards. */
export const LAB_TOKEN_MAX_TTL_SECONDS = 15 * 60;

const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/);

/**
 * A lesson's wishes for its lab box (lesson.yaml `lab.limits`), carried in the signed token. sandboxd clamps each
 * one to its operator's maxima, so a lesson can ask for less than the host allows, never more.
 */
export const labLimitsSchema = z.strictObject({
  memoryMiB: z
    .number()
    .int()
    .min(16)
    .max(1024 * 1024)
    .optional(),
  pids: z.number().int().min(16).max(1_000_000).optional(),
  cpus: z.number().min(0.05).max(1024).optional(),
  diskMiB: z
    .number()
    .int()
    .min(64)
    .max(1024 * 1024)
    .optional(),
  idleMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  lifetimeMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
});
export type LabLimits = z.infer<typeof labLimitsSchema>;

export const labTokenClaimsSchema = z.object({
  sub: idSchema,
  lesson: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  /** A box the user already has; absent = sandboxd picks or creates one. */
  box: idSchema.optional(),
  role: roleSchema,
  /** The lesson's box limits; absent = the operator's defaults. */
  limits: labLimitsSchema.optional(),
});
export type LabTokenClaims = z.infer<typeof labTokenClaimsSchema>;

export const verifiedLabTokenSchema = labTokenClaimsSchema.extend({
  exp: z.number().int(),
  iat: z.number().int(),
});
export type VerifiedLabToken = z.infer<typeof verifiedLabTokenSchema>;

export class LabTokenError extends Error {
  constructor(
    readonly code: 'expired' | 'invalid-signature' | 'malformed' | 'bad-claims',
    message: string,
  ) {
    super(message);
    this.name = 'LabTokenError';
  }
}

function secretKey(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('lab token secret must be at least 32 characters');
  return new TextEncoder().encode(secret);
}

export async function signLabToken(
  claims: LabTokenClaims,
  secret: string,
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const parsed = labTokenClaimsSchema.parse(claims);
  const ttl = options.ttlSeconds ?? 120;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > LAB_TOKEN_MAX_TTL_SECONDS) {
    throw new Error(`ttlSeconds must be an integer in 1..${LAB_TOKEN_MAX_TTL_SECONDS}`);
  }
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const { sub, ...rest } = parsed;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(LAB_TOKEN_ISSUER)
    .setAudience(LAB_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(secretKey(secret));
}

export async function verifyLabToken(
  token: string,
  secret: string,
  options: { now?: Date } = {},
): Promise<VerifiedLabToken> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: ['HS256'],
      issuer: LAB_TOKEN_ISSUER,
      audience: LAB_TOKEN_AUDIENCE,
      currentDate: options.now,
      requiredClaims: ['exp', 'iat', 'sub'],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new LabTokenError('expired', 'lab token expired');
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw new LabTokenError('invalid-signature', 'lab token signature is invalid');
    }
    throw new LabTokenError('malformed', `lab token rejected: ${(error as Error).message}`);
  }
  const claims = verifiedLabTokenSchema.safeParse(payload);
  if (!claims.success)
    throw new LabTokenError('bad-claims', `lab token claims invalid: ${claims.error.message}`);
  return claims.data;
}
