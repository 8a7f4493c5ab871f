import { evaluateCheck, type HostCheck } from '@dockyard/grader';
import { loadLesson } from '@dockyard/lessons';
import type { CheckResult } from '@dockyard/protocol';
import { boxCgroupDirs } from '../boxes/cgroups.js';
import type { BoxRecord } from '../boxes/manager.js';
import { resolveLessonDir } from '../lessons/prepare.js';

/**
 * Runs the checks of one lesson step against a box, from the host. Quiz checks are graded by the web app,
 * which holds the answers; here they are reported as not applicable.
 */
export async function runStepChecks(
  lessonsDir: string,
  box: BoxRecord,
  lessonId: string,
  stepId: string,
): Promise<CheckResult> {
  const lesson = await loadLesson(await resolveLessonDir(lessonsDir, lessonId));
  const step = lesson.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`lesson ${lessonId} has no step ${stepId}`);
  const cgroupDir = boxCgroupDirs(box.pid)[0];
  if (!cgroupDir) throw new Error('the box has no cgroup (is it running?)');
  const target = { initPid: box.pid, cgroupDir };
  const results: CheckResult['results'] = [];
  for (const [index, check] of step.checks.entries()) {
    if (check.kind === 'quiz') continue;
    const result = await evaluateCheck(check as HostCheck, { target, address: box.address });
    results.push({
      checkId: check.id ?? `${stepId}-${index + 1}`,
      kind: check.kind,
      passed: result.pass,
      message:
        result.pass || !('hint' in check)
          ? result.message
          : {
              'zh-CN': `${result.message['zh-CN']} ${check.hint['zh-CN']}`,
              en: `${result.message.en} ${check.hint.en}`,
            },
    });
  }
  return { lessonId, stepId, passed: results.length > 0 && results.every((r) => r.passed), results };
}
