/** The outcome of one check: pass or fail, with a message in both languages that says what was found. */
export interface Bilingual {
  'zh-CN': string;
  en: string;
}

export interface CheckResult {
  pass: boolean;
  message: Bilingual;
  /** What the grader observed, for the x-ray panel and instructor views. */
  found?: unknown;
}

export function pass(en: string, zh: string, found?: unknown): CheckResult {
  return { pass: true, message: { en, 'zh-CN': zh }, found };
}

export function fail(en: string, zh: string, found?: unknown): CheckResult {
  return { pass: false, message: { en, 'zh-CN': zh }, found };
}
