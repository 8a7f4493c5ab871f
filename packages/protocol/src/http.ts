// HTTP bodies between web and sandboxd (and the web app's own token route).
import { z } from 'zod';
import { localizedTextSchema } from './events.js';

/** Web → browser: what the lab panel needs to connect. */
export const labTokenResponseSchema = z.object({
  token: z.string(),
  /** Base URL of the sandbox daemon (socket.io connects to `${url}${LAB_NAMESPACE}`). */
  sandboxUrl: z.url(),
  expiresAt: z.iso.datetime(),
});
export type LabTokenResponse = z.infer<typeof labTokenResponseSchema>;

/** Browser → web: grade a quiz step. */
export const quizCheckRequestSchema = z.object({
  lessonId: z.string().min(1).max(100),
  stepId: z.string().min(1).max(100),
  quizId: z.string().min(1).max(100),
  answer: z.union([z.string().max(2000), z.array(z.string().max(100)).max(26)]),
});
export type QuizCheckRequest = z.infer<typeof quizCheckRequestSchema>;

export const quizCheckResponseSchema = z.object({
  passed: z.boolean(),
  stepPassed: z.boolean(),
  message: localizedTextSchema.optional(),
  hint: localizedTextSchema.optional(),
});
export type QuizCheckResponse = z.infer<typeof quizCheckResponseSchema>;

/** sandboxd host registration / heartbeat (sandboxd → web). */
export const hostHeartbeatSchema = z.object({
  name: z.string().min(1).max(100),
  url: z.url(),
  capacity: z.number().int().nonnegative(),
  activeBoxes: z.number().int().nonnegative(),
});
export type HostHeartbeat = z.infer<typeof hostHeartbeatSchema>;

/** Web → sandboxd: create or reattach a box. */
export const boxCreateRequestSchema = z.object({
  lessonId: z.string().min(1).max(100),
  image: z.enum(['lab-debian', 'lab-dev']).default('lab-debian'),
  terminals: z.number().int().min(1).max(4).default(1),
});
export const boxSchema = z.object({
  boxId: z.string(),
  state: z.enum(['starting', 'ready', 'stopped']),
  expiresAt: z.iso.datetime(),
});
export type Box = z.infer<typeof boxSchema>;

/**
 * Web → sandboxd on sign-out: `POST ${LAB_LEAVE_PATH}` with `Authorization: Bearer <lab token of the user>`
 * (any lesson); answered with `labLeaveResultSchema`. Same effect as the socket's `lab:leave`.
 */
export const LAB_LEAVE_PATH = '/lab/leave';
