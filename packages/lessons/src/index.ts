export { findQuiz, gradeQuiz, type QuizGrade, UnknownQuizError } from './grade.js';
export { lintLessons } from './lint.js';
export { type LintRun, runLessonsLint } from './lint-run.js';
export {
  type Course,
  formatIssue,
  LessonError,
  type LessonResult,
  loadCourse,
  loadLesson,
  orderLessons,
  readLesson,
} from './load.js';
export { parseCodeMeta, sanitizeSchema } from './markdown.js';
export {
  type RenderedLesson,
  type RenderedQuiz,
  type RenderedStep,
  type RenderOptions,
  renderLesson,
  renderMarkdown,
} from './render.js';
export { RULES, type Rule } from './rules.js';
export {
  CHECK_KINDS,
  type Check,
  type CheckKind,
  checkSchema,
  type Lab,
  type LessonYaml,
  LOCALES,
  type Locale,
  type Localized,
  lessonYamlSchema,
  type Step,
  stepSchema,
  TOPICS,
  type Topic,
} from './schema.js';
export type {
  CodeBlock,
  Lesson,
  LessonMarkdown,
  LintIssue,
  MarkdownOutline,
  Quiz,
  QuizOption,
} from './types.js';
export { lessonFilesSchema, readLessonFiles } from './upload.js';
