import { lessonFilesSchema } from '@dockyard/lessons';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { requireAuthorApi } from '@/lib/instructor/access';
import { readLessonArchive, UPLOAD_LIMITS, UploadError } from '@/lib/instructor/archive';
import { ingestLesson } from '@/lib/instructor/ingest';

export const dynamic = 'force-dynamic';

const uploadSchema = z.object({
  file: z.instanceof(File).refine((f) => f.size > 0 && f.size <= UPLOAD_LIMITS.archiveBytes, 'too-large'),
});

/** An instructor uploads one lesson folder as .zip or .tar.gz; it becomes (or replaces) that lesson's draft. */
export async function POST(request: Request) {
  const user = await requireAuthorApi();
  if (user instanceof NextResponse) return user;
  // Refuse oversized bodies before reading them (multipart adds a little around the file).
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > UPLOAD_LIMITS.archiveBytes + 64 * 1024) {
    return NextResponse.json({ error: 'too-large' }, { status: 413 });
  }
  const form = await request.formData().catch(() => null);
  const parsed = uploadSchema.safeParse({ file: form?.get('file') });
  if (!parsed.success) {
    const tooLarge = parsed.error.issues.some((i) => i.message === 'too-large');
    return NextResponse.json(
      { error: tooLarge ? 'too-large' : 'bad-request' },
      { status: tooLarge ? 413 : 400 },
    );
  }
  try {
    const lesson = await readLessonArchive(Buffer.from(await parsed.data.file.arrayBuffer()));
    if (!lessonFilesSchema.safeParse(lesson.files).success) {
      return NextResponse.json({ error: 'unsafe-path' }, { status: 400 });
    }
    return await ingestLesson(user, lesson, 'upload', parsed.data.file.name);
  } catch (error) {
    if (error instanceof UploadError) {
      return NextResponse.json(
        { error: error.code, entry: error.entry ?? null },
        { status: error.code === 'too-large' ? 413 : 400 },
      );
    }
    throw error;
  }
}
