import { lessonFilesSchema } from '@dockyard/lessons';
import { NextResponse } from 'next/server';
import { requireAuthorApi } from '@/lib/instructor/access';
import { UploadError } from '@/lib/instructor/archive';
import { folderRequestSchema, lessonsRoot, readLessonFolder } from '@/lib/instructor/folder';
import { ingestLesson } from '@/lib/instructor/ingest';

export const dynamic = 'force-dynamic';

/** Takes a lesson folder under DOCKYARD_LESSONS_DIR as that lesson's draft. */
export async function POST(request: Request) {
  const user = await requireAuthorApi();
  if (user instanceof NextResponse) return user;
  const body = folderRequestSchema.safeParse(await request.json().catch(() => null));
  if (!body.success) return NextResponse.json({ error: 'bad-request' }, { status: 400 });
  const root = lessonsRoot();
  if (!root) return NextResponse.json({ error: 'no-root' }, { status: 409 });
  try {
    const lesson = await readLessonFolder(root, body.data.path);
    if (!lessonFilesSchema.safeParse(lesson.files).success) {
      return NextResponse.json({ error: 'unsafe-path' }, { status: 400 });
    }
    return await ingestLesson(user, lesson, 'folder', body.data.path);
  } catch (error) {
    if (error instanceof UploadError) {
      return NextResponse.json({ error: error.code, entry: error.entry ?? null }, { status: 400 });
    }
    throw error;
  }
}
