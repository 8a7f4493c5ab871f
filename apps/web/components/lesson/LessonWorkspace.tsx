'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { Link } from '@/i18n/navigation';
import { restoreScrollAnchor } from '@/lib/scroll-anchor';
import { CodeActions } from './CodeActions';
import { LabPanel } from './LabPanel';
import { LabProvider } from './LabProvider';
import { StepChecks } from './StepChecks';

export interface QuizView {
  id: string;
  type: 'choice' | 'text';
  questionHtml: string;
  options: { key: string; html: string }[];
  passed: boolean;
}

export interface StepView {
  id: string;
  title: string;
  passed: boolean;
  quizzes: QuizView[];
  labChecks: number;
}

interface Props {
  lessonId: string;
  title: string;
  summary: string;
  html: string;
  steps: StepView[];
  terminals: number;
}

interface CodeMount {
  mount: HTMLElement;
  code: string;
  run: boolean;
  copy: boolean;
}

const MIN_PANE_PERCENT = 25;
const MAX_PANE_PERCENT = 75;

export function LessonWorkspace({ lessonId, title, summary, html, steps, terminals }: Props) {
  const t = useTranslations('lesson');
  const contentRef = useRef<HTMLDivElement>(null);
  const workspaceRef = useRef<HTMLDivElement>(null);
  const [mounts, setMounts] = useState<Map<string, HTMLElement>>(new Map());
  const [codeMounts, setCodeMounts] = useState<CodeMount[]>([]);
  const [passedSteps, setPassedSteps] = useState(
    () => new Set(steps.filter((s) => s.passed).map((s) => s.id)),
  );
  const [leftPercent, setLeftPercent] = useState(50);

  // Check panels go at the end of each rendered step section (the lesson HTML stays untouched by React).
  useEffect(() => {
    const root = contentRef.current;
    if (!root) return;
    const next = new Map<string, HTMLElement>();
    for (const section of root.querySelectorAll<HTMLElement>('section.dy-step[data-step-id]')) {
      const mount = document.createElement('div');
      mount.className = 'dy-step-checks';
      section.append(mount);
      next.set(section.dataset.stepId ?? '', mount);
    }
    setMounts(next);
    // Run/copy buttons sit right under the code blocks that ask for them.
    const code: CodeMount[] = [];
    for (const pre of root.querySelectorAll<HTMLElement>('pre.dy-code')) {
      const run = pre.hasAttribute('data-run');
      const copy = pre.hasAttribute('data-copy');
      if (!run && !copy) continue;
      const mount = document.createElement('div');
      pre.after(mount);
      code.push({ mount, code: pre.textContent ?? '', run, copy });
    }
    setCodeMounts(code);
    restoreScrollAnchor();
    return () => {
      for (const mount of next.values()) mount.remove();
      for (const entry of code) entry.mount.remove();
    };
  }, []);

  useEffect(() => {
    const saved = Number(localStorage.getItem('dy-split'));
    if (saved >= MIN_PANE_PERCENT && saved <= MAX_PANE_PERCENT) setLeftPercent(saved);
  }, []);

  const onStepPassed = useCallback((stepId: string) => {
    setPassedSteps((previous) => new Set(previous).add(stepId));
  }, []);

  function startResize(event: React.PointerEvent<HTMLDivElement>) {
    const workspace = workspaceRef.current;
    if (!workspace) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    const rect = workspace.getBoundingClientRect();
    const move = (e: PointerEvent) => {
      const percent = ((e.clientX - rect.left) / rect.width) * 100;
      setLeftPercent(Math.min(MAX_PANE_PERCENT, Math.max(MIN_PANE_PERCENT, percent)));
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      setLeftPercent((value) => {
        localStorage.setItem('dy-split', String(Math.round(value)));
        return value;
      });
      window.dispatchEvent(new Event('resize'));
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  function resizeWithKeys(event: React.KeyboardEvent<HTMLDivElement>) {
    const delta = event.key === 'ArrowLeft' ? -2 : event.key === 'ArrowRight' ? 2 : 0;
    if (!delta) return;
    setLeftPercent((value) => Math.min(MAX_PANE_PERCENT, Math.max(MIN_PANE_PERCENT, value + delta)));
    window.dispatchEvent(new Event('resize'));
  }

  return (
    <LabProvider lessonId={lessonId}>
      <div
        className="dy-workspace"
        ref={workspaceRef}
        style={{ '--dy-left': `${leftPercent}%` } as React.CSSProperties}
      >
        <article className="dy-lesson-pane" data-scroll-pane>
          <nav className="dy-breadcrumb">
            <Link href="/">← {t('back')}</Link>
          </nav>
          <h1 data-testid="lesson-title">{title}</h1>
          <p className="dy-summary">{summary}</p>
          <p className="dy-muted" data-testid="steps-progress">
            {t('stepsProgress', { passed: passedSteps.size, total: steps.length })}
          </p>
          <div
            ref={contentRef}
            className="dy-lesson-content"
            // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitized by @dockyard/lessons (rehype-sanitize)
            dangerouslySetInnerHTML={{ __html: html }}
          />
          {steps.map((step) => {
            const mount = mounts.get(step.id);
            return mount
              ? createPortal(
                  <StepChecks
                    lessonId={lessonId}
                    step={step}
                    passed={passedSteps.has(step.id)}
                    onPassed={onStepPassed}
                  />,
                  mount,
                  step.id,
                )
              : null;
          })}
          {codeMounts.map((entry, index) =>
            createPortal(
              <CodeActions code={entry.code} run={entry.run} copy={entry.copy} index={index} />,
              entry.mount,
              `code-${index}`,
            ),
          )}
        </article>
        {/* biome-ignore lint/a11y/useSemanticElements: a draggable splitter, not a horizontal rule */}
        <div
          className="dy-splitter"
          role="separator"
          aria-orientation="vertical"
          aria-valuenow={Math.round(leftPercent)}
          aria-valuemin={MIN_PANE_PERCENT}
          aria-valuemax={MAX_PANE_PERCENT}
          aria-label={t('resizeHandle')}
          tabIndex={0}
          onPointerDown={startResize}
          onKeyDown={resizeWithKeys}
        />
        <LabPanel terminals={terminals} />
      </div>
    </LabProvider>
  );
}
