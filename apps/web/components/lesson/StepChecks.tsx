'use client';

import {
  checkResultSchema,
  protocolErrorSchema,
  type QuizCheckResponse,
  quizCheckResponseSchema,
} from '@dockyard/protocol';
import { useLocale, useTranslations } from 'next-intl';
import { type FormEvent, useState } from 'react';
import { z } from 'zod';
import type { AppLocale } from '@/i18n/routing';
import type { QuizView, StepView } from './LessonWorkspace';

const LAB_CHECK_TIMEOUT_MS = 40_000;
const labFailureSchema = z.object({ lab: protocolErrorSchema.nullable() });
/** The server's answer when a user checks too often (lib/rate-limit.ts). */
const rateLimitedSchema = z.object({ message: z.object({ 'zh-CN': z.string(), en: z.string() }) });

interface Props {
  lessonId: string;
  step: StepView;
  passed: boolean;
  onPassed: (stepId: string) => void;
}

export function StepChecks({ lessonId, step, passed, onPassed }: Props) {
  const t = useTranslations('checks');
  return (
    <div className="dy-checks" data-testid={`checks-${step.id}`} data-passed={passed}>
      <div className={`dy-step-status ${passed ? 'dy-passed' : ''}`} data-testid={`step-status-${step.id}`}>
        {passed ? `✓ ${t('passed')}` : t('notPassed')}
      </div>
      {step.quizzes.map((quiz) => (
        <QuizForm
          key={quiz.id}
          lessonId={lessonId}
          stepId={step.id}
          quiz={quiz}
          onStepPassed={() => onPassed(step.id)}
        />
      ))}
      {step.labChecks > 0 && (
        <LabCheck lessonId={lessonId} stepId={step.id} onStepPassed={() => onPassed(step.id)} />
      )}
    </div>
  );
}

type Feedback = { tone: 'ok' | 'bad' | 'info'; text: string; hint?: string } | null;

function QuizForm({
  lessonId,
  stepId,
  quiz,
  onStepPassed,
}: {
  lessonId: string;
  stepId: string;
  quiz: QuizView;
  onStepPassed: () => void;
}) {
  const t = useTranslations('checks');
  const locale = useLocale() as AppLocale;
  const [busy, setBusy] = useState(false);
  const [feedback, setFeedback] = useState<Feedback>(
    quiz.passed ? { tone: 'ok', text: t('quizCorrect') } : null,
  );

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const answer = String(new FormData(event.currentTarget).get('answer') ?? '').trim();
    if (!answer) {
      setFeedback({ tone: 'info', text: t('quizChooseOption') });
      return;
    }
    setBusy(true);
    try {
      const response = await fetch('/api/checks/quiz', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lessonId, stepId, quizId: quiz.id, answer }),
      });
      if (response.status === 401) {
        setFeedback({ tone: 'bad', text: t('signInRequired') });
        return;
      }
      if (response.status === 429) {
        const limited = rateLimitedSchema.safeParse(await response.json().catch(() => null));
        setFeedback({ tone: 'bad', text: limited.success ? limited.data.message[locale] : t('error') });
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const body = (await response.json()) as QuizCheckResponse & { pending?: boolean };
      const result = quizCheckResponseSchema.parse(body);
      if (body.pending) setFeedback({ tone: 'info', text: t('quizPending') });
      else if (result.passed) setFeedback({ tone: 'ok', text: t('quizCorrect') });
      else setFeedback({ tone: 'bad', text: t('quizWrong'), hint: t('quizHint') });
      if (result.stepPassed) onStepPassed();
    } catch {
      setFeedback({ tone: 'bad', text: t('error') });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="dy-quiz-form" onSubmit={submit} data-testid={`quiz-${quiz.id}`}>
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by @dockyard/lessons */}
      <div className="dy-quiz-question" dangerouslySetInnerHTML={{ __html: quiz.questionHtml }} />
      {quiz.type === 'choice' ? (
        <ul className="dy-quiz-options">
          {quiz.options.map((option) => (
            <li key={option.key}>
              <label>
                <input type="radio" name="answer" value={option.key} data-option={option.key} />
                <span className="dy-option-key">{option.key}.</span>
                {/* biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by @dockyard/lessons */}
                <span dangerouslySetInnerHTML={{ __html: option.html }} />
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <input name="answer" className="dy-quiz-text" placeholder={t('answerPlaceholder')} maxLength={2000} />
      )}
      <button type="submit" className="dy-button" disabled={busy}>
        {busy ? t('checking') : t('check')}
      </button>
      {feedback && (
        <div
          className={`dy-feedback dy-feedback-${feedback.tone}`}
          role="status"
          data-testid="check-feedback"
        >
          <p>{feedback.text}</p>
          {feedback.hint && (
            <p className="dy-hint-text" data-testid="check-hint">
              {feedback.hint}
            </p>
          )}
        </div>
      )}
    </form>
  );
}

function LabCheck({
  lessonId,
  stepId,
  onStepPassed,
}: {
  lessonId: string;
  stepId: string;
  onStepPassed: () => void;
}) {
  const t = useTranslations('checks');
  const locale = useLocale() as AppLocale;
  const [busy, setBusy] = useState(false);
  const [feedback, setFeedback] = useState<{ ok: boolean; lines: string[] } | null>(null);

  // Graded by the web server, which asks sandboxd itself and records the result (see README).
  async function run() {
    setBusy(true);
    try {
      const response = await fetch('/api/checks/lab', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ lessonId, stepId }),
        signal: AbortSignal.timeout(LAB_CHECK_TIMEOUT_MS),
      });
      if (response.status === 401) return setFeedback({ ok: false, lines: [t('signInRequired')] });
      const body: unknown = await response.json().catch(() => null);
      if (response.status === 429) {
        const limited = rateLimitedSchema.safeParse(body);
        return setFeedback({
          ok: false,
          lines: [limited.success ? limited.data.message[locale] : t('error')],
        });
      }
      if (response.status === 503) {
        const lab = labFailureSchema.safeParse(body);
        const reason = lab.success && lab.data.lab ? lab.data.lab.message[locale] : t('labUnavailable');
        return setFeedback({ ok: false, lines: [reason] });
      }
      const result = checkResultSchema.extend({ stepPassed: z.boolean() }).safeParse(body);
      if (!response.ok || !result.success) return setFeedback({ ok: false, lines: [t('error')] });
      setFeedback({
        ok: result.data.passed,
        lines: result.data.results.filter((r) => !r.passed).map((r) => r.message[locale]),
      });
      if (result.data.stepPassed) onStepPassed();
    } catch (error) {
      setFeedback({
        ok: false,
        lines: [(error as Error).name === 'TimeoutError' ? t('labTimeout') : t('error')],
      });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="dy-lab-check">
      <button
        type="button"
        className="dy-button"
        onClick={run}
        disabled={busy}
        data-testid={`lab-check-${stepId}`}
      >
        {busy ? t('checking') : t('check')}
      </button>
      {feedback && (
        <div
          className={`dy-feedback dy-feedback-${feedback.ok ? 'ok' : 'bad'}`}
          role="status"
          data-testid={`lab-feedback-${stepId}`}
        >
          {feedback.ok && <p>{t('passed')}</p>}
          {feedback.lines.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      )}
    </div>
  );
}
