import { databaseKind, databaseUrl, getDb } from '@dockyard/db';
import { betterAuth } from 'better-auth';
import { prismaAdapter } from 'better-auth/adapters/prisma';
import { createAuthMiddleware, getSessionFromCtx } from 'better-auth/api';
import { nextCookies } from 'better-auth/next-js';
import { headers } from 'next/headers';
import { claimFirstAdmin } from './first-admin';
import { leaveLab } from './sandbox';
import { getSecret } from './secrets';

const port = process.env.PORT ?? '3000';
const baseURL = process.env.BETTER_AUTH_URL ?? `http://localhost:${port}`;
const trustedOrigins = [
  baseURL,
  `http://localhost:${port}`,
  `http://127.0.0.1:${port}`,
  ...(process.env.DOCKYARD_TRUSTED_ORIGINS?.split(',').filter(Boolean) ?? []),
];

export const ROLES = ['student', 'instructor', 'admin'] as const;
export type AppRole = (typeof ROLES)[number];

function createAuth() {
  const db = getDb();
  return betterAuth({
    appName: 'Dockyard',
    baseURL,
    secret: getSecret('BETTER_AUTH_SECRET', 'auth-secret'),
    trustedOrigins,
    telemetry: { enabled: false },
    database: prismaAdapter(db, { provider: databaseKind(databaseUrl()) }),
    emailAndPassword: { enabled: true, autoSignIn: true, minPasswordLength: 8, maxPasswordLength: 128 },
    user: {
      additionalFields: {
        // Never settable from sign-up input; see the create hook below.
        role: { type: 'string', input: false, defaultValue: 'student', required: false },
      },
    },
    databaseHooks: {
      user: {
        create: {
          before: async (user) => ({ data: { ...user, role: 'student' } }),
          // The first account of a fresh install administers it (race-free: see first-admin.ts).
          after: async (user) => {
            await claimFirstAdmin(db, user.id);
          },
        },
      },
    },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 100,
      customRules: {
        '/sign-in/email': { window: 60, max: 5 },
        '/sign-up/email': { window: 60, max: 5 },
      },
    },
    hooks: {
      // Signing out is the student leaving: sandboxd saves their box's work and stops it, before the session
      // goes (leaveLab gives up quickly when sandboxd is down, so sign-out never waits on it for long).
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== '/sign-out') return;
        const session = await getSessionFromCtx(ctx).catch(() => null);
        if (session) await leaveLab(session.user.id, String(session.user.role ?? 'student'));
      }),
    },
    plugins: [nextCookies()],
  });
}

type Auth = ReturnType<typeof createAuth>;
const shared = globalThis as unknown as { dockyardAuth?: Auth };

export function getAuth(): Auth {
  shared.dockyardAuth ??= createAuth();
  return shared.dockyardAuth;
}

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  role: AppRole;
}

export async function getSessionUser(): Promise<SessionUser | null> {
  const session = await getAuth().api.getSession({ headers: await headers() });
  if (!session) return null;
  const role = (ROLES as readonly string[]).includes(String(session.user.role))
    ? (session.user.role as AppRole)
    : 'student';
  return { id: session.user.id, name: session.user.name, email: session.user.email, role };
}
