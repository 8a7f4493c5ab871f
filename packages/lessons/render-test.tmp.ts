import { loadLesson, renderLesson } from '/work/main/packages/lessons/src/index.ts';

const id = process.argv[2];
const r = await loadLesson('/work/main/lessons/' + id);
const lesson = (r as any).lesson ?? r;
for (const loc of ['en', 'zh-CN'] as const) {
  const out = await renderLesson(lesson, loc);
  console.log(
    loc,
    out.title,
    '| steps:',
    out.steps.map((s: any) => s.id + '(' + s.html.length + ')').join(' '),
    '| quizzes:',
    out.quizzes.map((q: any) => q.id + ':' + q.options.length).join(' '),
  );
  if (process.argv[3]) console.log(out.steps[Number(process.argv[3])].html.slice(0, 3000));
}
