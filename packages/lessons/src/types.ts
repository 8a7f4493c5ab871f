import type { Rule } from './rules.js';
import type { Lab, Locale, Localized, Step, Topic } from './schema.js';

export interface LintIssue {
  /** Path relative to the folder that holds the lesson folders, with `/` separators. */
  file: string;
  line: number;
  column?: number;
  rule: Rule;
  message: string;
}

export interface QuizOption {
  key: string;
}

/** A quiz as written in one language's Markdown. `answer` never leaves the server. */
export interface Quiz {
  id: string;
  type: 'choice' | 'text';
  answer?: string;
  options: QuizOption[];
  /** Step the quiz sits in, if any. */
  stepId?: string;
  line: number;
}

export interface CodeBlock {
  lang: string;
  run: boolean;
  copy: boolean;
  file?: string;
  /** Step the block sits in, if any. */
  stepId?: string;
  line: number;
}

/** What lint needs from one Markdown file: steps, quizzes, code blocks, in document order. */
export interface MarkdownOutline {
  steps: { id: string; line: number }[];
  quizzes: Quiz[];
  codeBlocks: CodeBlock[];
  /** hint, note, warning and details blocks, for translation parity. */
  asides: { name: string; stepId?: string; line: number }[];
}

export interface LessonMarkdown {
  /** File relative to the lesson root, e.g. `pid-namespace/en.md`. */
  file: string;
  source: string;
  outline: MarkdownOutline;
}

export interface Lesson {
  id: string;
  /** Absolute path of the lesson folder. */
  dir: string;
  title: Localized;
  summary: Localized;
  topic: Topic;
  level: number;
  minutes: number;
  requires: string[];
  lab: Lab;
  steps: Step[];
  markdown: Record<Locale, LessonMarkdown>;
  /** sha256 over lesson.yaml, both Markdown files, setup, check and solution scripts. */
  hash: string;
}
