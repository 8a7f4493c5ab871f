import { getDb } from '@dockyard/db';
import { NextResponse } from 'next/server';
import { getCourse, invalidateCourse } from '@/lib/course';
import { requireAuthorApi } from '@/lib/instructor/access';
import { lessonIdSchema, PublishError, publishDraft } from '@/lib/instructor/drafts';

export const dynamic = 'force-dynamic';

/** Publishes a lint-clean draft: from now on it is in the catalog. */
export async function POST(_request: Request, { params }: { params: Promise<{ lessonId: string }> }) {
  const user = await requireAuthorApi();
  if (user instanceof NextResponse) return user;
  const id = lessonIdSchema.safeParse((await params).lessonId);
  if (!id.success) return NextResponse.json({ error: 'not-found' }, { status: 404 });
  try {
    const meta = await publishDraft(id.data, (await getCourse()).courseIds);
    invalidateCourse();
    await getDb().auditEvent.create({
      data: { actorId: user.id, action: 'lesson.publish', target: id.data },
    });
    return NextResponse.json({ lessonId: id.data, publishedAt: meta.publishedAt });
  } catch (error) {
    if (error instanceof PublishError) {
      const status = error.code === 'not-found' ? 404 : 409;
      return NextResponse.json({ error: error.code }, { status });
    }
    throw error;
  }
}
