import {
  type CheckResult,
  type ClientToServerEvents,
  checkResultSchema,
  LAB_LEAVE_PATH,
  LAB_NAMESPACE,
  type LabLeaveResult,
  type LabTokenClaims,
  labLeaveResultSchema,
  type ProtocolError,
  roleSchema,
  type ServerToClientEvents,
  signLabToken,
} from '@dockyard/protocol';
import { io, type Socket } from 'socket.io-client';
import { getSecret } from '@/lib/secrets';

export const LAB_TOKEN_TTL_SECONDS = 120;
const CHECK_TIMEOUT_MS = 30_000;

export function labTokenSecret(): string {
  return getSecret('DOCKYARD_LAB_TOKEN_SECRET', 'lab-token-secret');
}

/** Where browsers connect to sandboxd. */
export function publicSandboxUrl(): string {
  return process.env.DOCKYARD_SANDBOX_URL ?? 'http://localhost:4000';
}

/** Where this server connects to sandboxd (differs when browsers go through a public name). */
function internalSandboxUrl(): string {
  return process.env.DOCKYARD_SANDBOX_INTERNAL_URL ?? publicSandboxUrl();
}

export class LabCheckError extends Error {
  constructor(readonly error: ProtocolError | null) {
    super(error?.message.en ?? 'lab unavailable');
  }
}

/**
 * Grades a lab step server-to-server: the web app opens its own short socket to the student's box, so a
 * passed check it records was really reported by sandboxd, never by the browser.
 */
export async function runLabCheck(claims: LabTokenClaims, stepId: string): Promise<CheckResult> {
  const token = await signLabToken(claims, labTokenSecret(), { ttlSeconds: LAB_TOKEN_TTL_SECONDS });
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(
    `${internalSandboxUrl().replace(/\/$/, '')}${LAB_NAMESPACE}`,
    { auth: { token }, transports: ['websocket'], reconnection: false, timeout: 5000, forceNew: true },
  );
  try {
    return await new Promise<CheckResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LabCheckError(null)), CHECK_TIMEOUT_MS);
      const fail = (error: ProtocolError | null) => {
        clearTimeout(timer);
        reject(new LabCheckError(error));
      };
      socket.on('connect_error', () => fail(null));
      socket.on('lab:error', (error) => fail(error));
      socket.on('lab:status', ({ state }) => {
        if (state !== 'ready') return;
        socket.emit('check:run', { lessonId: claims.lesson, stepId }, (reply) => {
          clearTimeout(timer);
          if (!reply.ok) return reject(new LabCheckError(reply.error));
          const parsed = checkResultSchema.safeParse(reply.value);
          if (parsed.success) resolve(parsed.data);
          else reject(new LabCheckError(null));
        });
      });
    });
  } finally {
    socket.close();
  }
}

const LEAVE_TIMEOUT_MS = 5000;

/**
 * The student leaves (sign-out): sandboxd saves their box's work and stops it. Never throws — a sandboxd that
 * is down or slow must not keep anyone signed in — and gives up after a short timeout.
 */
export async function leaveLab(userId: string, role: string): Promise<LabLeaveResult | null> {
  try {
    // Any lesson id will do: leaving concerns every box of the user.
    const token = await signLabToken(
      { sub: userId, lesson: 'sign-out', role: roleSchema.catch('student').parse(role) },
      labTokenSecret(),
      {
        ttlSeconds: LAB_TOKEN_TTL_SECONDS,
      },
    );
    const response = await fetch(`${internalSandboxUrl().replace(/\/$/, '')}${LAB_LEAVE_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(LEAVE_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`sandboxd answered ${response.status}`);
    return labLeaveResultSchema.parse(await response.json());
  } catch (error) {
    console.warn(`lab leave on sign-out failed for ${userId}: ${(error as Error).message}`);
    return null;
  }
}
