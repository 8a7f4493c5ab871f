import { type LabTokenResponse, signLabToken } from '@dockyard/protocol';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getSessionUser } from '@/lib/auth';
import { getLesson } from '@/lib/course';
import { LAB_TOKEN_TTL_SECONDS, labTokenSecret, publicSandboxUrl } from '@/lib/sandbox';

export const dynamic = 'force-dynamic';

const bodySchema = z.object({ lessonId: z.string().min(1).max(100) });

/** Issues a short-lived token the browser presents to sandboxd to open its lab. */
export async function POST(request: Request) {
  const user = await getSessionUser();
  if (!user) return NextResponse.json({ error: 'unauthenticated' }, { status: 401 });
  const body = bodySchema.safeParse(await request.json().catch(() => null));
  if (!body.success) return NextResponse.json({ error: 'bad-request' }, { status: 400 });
  const lesson = await getLesson(body.data.lessonId);
  if (!lesson) return NextResponse.json({ error: 'not-found' }, { status: 404 });
  const now = new Date();
  const token = await signLabToken(
    // The lesson's box limits travel signed; sandboxd clamps them to its own maxima.
    { sub: user.id, lesson: body.data.lessonId, role: user.role, limits: lesson.lab.limits },
    labTokenSecret(),
    { ttlSeconds: LAB_TOKEN_TTL_SECONDS, now },
  );
  const response: LabTokenResponse = {
    token,
    sandboxUrl: publicSandboxUrl(),
    expiresAt: new Date(now.getTime() + LAB_TOKEN_TTL_SECONDS * 1000).toISOString(),
  };
  return NextResponse.json(response, { headers: { 'cache-control': 'no-store' } });
}
