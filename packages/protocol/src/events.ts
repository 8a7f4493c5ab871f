// socket.io events between the browser (web app) and sandboxd. Every payload that crosses the
// wire is parsed with these schemas on the receiving side.
import { z } from 'zod';

export const localizedTextSchema = z.object({ 'zh-CN': z.string(), en: z.string() });
export type LocalizedText = z.infer<typeof localizedTextSchema>;

export const TERMINAL_ROWS = { min: 2, max: 500 } as const;
export const TERMINAL_COLS = { min: 10, max: 1000 } as const;
export const MAX_TERMINALS_PER_BOX = 4;

const terminalId = z.string().regex(/^t[0-9]{1,2}$/);
const rows = z.number().int().min(TERMINAL_ROWS.min).max(TERMINAL_ROWS.max);
const cols = z.number().int().min(TERMINAL_COLS.min).max(TERMINAL_COLS.max);

export const terminalOpenSchema = z.object({ terminalId, rows, cols });
export const terminalDataSchema = z.object({
  terminalId,
  /** Keystrokes (client→server) or output (server→client). */
  data: z.string().max(64 * 1024),
});
export const terminalResizeSchema = z.object({ terminalId, rows, cols });
export const terminalCloseSchema = z.object({ terminalId });
export const terminalExitSchema = z.object({ terminalId, exitCode: z.number().int().nullable() });

export const checkRequestSchema = z.object({
  lessonId: z.string().min(1).max(100),
  stepId: z.string().min(1).max(100),
  checkId: z.string().min(1).max(100).optional(),
});
export const checkResultSchema = z.object({
  lessonId: z.string(),
  stepId: z.string(),
  passed: z.boolean(),
  results: z.array(
    z.object({
      checkId: z.string(),
      kind: z.string(),
      passed: z.boolean(),
      message: localizedTextSchema,
    }),
  ),
});

/** A path inside the box, always absolute, never with `..` segments or NUL bytes. */
export const boxPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..'), {
    message: 'path must be absolute, without ".." or NUL',
  });
export const MAX_FILE_BYTES = 1024 * 1024;

export const fileListRequestSchema = z.object({ path: boxPathSchema });
export const fileEntrySchema = z.object({
  name: z.string(),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  size: z.number().int().nonnegative(),
  mode: z.string().regex(/^[0-7]{4}$/),
});
export const fileListResultSchema = z.object({ path: boxPathSchema, entries: z.array(fileEntrySchema) });
export const fileReadRequestSchema = z.object({ path: boxPathSchema });
export const fileReadResultSchema = z.object({
  path: boxPathSchema,
  content: z.string().max(MAX_FILE_BYTES),
  encoding: z.enum(['utf8', 'base64']),
});
export const fileWriteRequestSchema = fileReadResultSchema;

/** An error any request can be answered with; `code` is stable, `message` bilingual. */
export const protocolErrorSchema = z.object({ code: z.string(), message: localizedTextSchema });
export type ProtocolError = z.infer<typeof protocolErrorSchema>;

type Ack<T> = (result: { ok: true; value: T } | { ok: false; error: ProtocolError }) => void;

export type TerminalOpen = z.infer<typeof terminalOpenSchema>;
export type TerminalData = z.infer<typeof terminalDataSchema>;
export type TerminalResize = z.infer<typeof terminalResizeSchema>;
export type TerminalClose = z.infer<typeof terminalCloseSchema>;
export type TerminalExit = z.infer<typeof terminalExitSchema>;
export type CheckRequest = z.infer<typeof checkRequestSchema>;
export type CheckResult = z.infer<typeof checkResultSchema>;
export type FileEntry = z.infer<typeof fileEntrySchema>;
export type FileListResult = z.infer<typeof fileListResultSchema>;
export type FileReadResult = z.infer<typeof fileReadResultSchema>;

/** Events the browser sends (socket.io `ClientToServerEvents`). */
export interface ClientToServerEvents {
  'terminal:open': (payload: TerminalOpen, ack: Ack<{ terminalId: string }>) => void;
  'terminal:data': (payload: TerminalData) => void;
  'terminal:resize': (payload: TerminalResize) => void;
  'terminal:close': (payload: TerminalClose) => void;
  'check:run': (payload: CheckRequest, ack: Ack<CheckResult>) => void;
  'file:list': (payload: z.infer<typeof fileListRequestSchema>, ack: Ack<FileListResult>) => void;
  'file:read': (payload: z.infer<typeof fileReadRequestSchema>, ack: Ack<FileReadResult>) => void;
  'file:write': (payload: z.infer<typeof fileWriteRequestSchema>, ack: Ack<{ path: string }>) => void;
}

/** Events sandboxd sends (socket.io `ServerToClientEvents`). */
export interface ServerToClientEvents {
  'terminal:data': (payload: TerminalData) => void;
  'terminal:exit': (payload: TerminalExit) => void;
  'lab:status': (payload: LabStatus) => void;
  'lab:error': (payload: ProtocolError) => void;
}

/** socket.io namespace on sandboxd and the `auth` the client passes when connecting. */
export const LAB_NAMESPACE = '/lab';
export const labHandshakeSchema = z.object({ token: z.string().min(10).max(4096) });

// lab:reset: the student's box (and any saved work) is thrown away and a fresh one takes its place; terminals
// must be opened again. Declared as interface merges so the events above stay as they are.
export const labResetSchema = z.object({}).strict();
export type LabReset = z.infer<typeof labResetSchema>;
export interface LabResetResult {
  boxId: string;
}
export interface ClientToServerEvents {
  'lab:reset': (payload: LabReset, ack: Ack<LabResetResult>) => void;
}

/**
 * Why a box stopped: `idle`/`lifetime` (reaped, work saved), `left` (the student left, work saved), `reset`
 * (thrown away from another window), `died` (its init ended; work saved — connecting again gives a fresh box).
 */
export const labStopReasons = ['idle', 'lifetime', 'left', 'reset', 'died'] as const;
export type LabStopReason = (typeof labStopReasons)[number];
export const labStatusSchema = z.object({
  state: z.enum(['starting', 'ready', 'stopped']),
  message: localizedTextSchema.optional(),
  reason: z.enum(labStopReasons).optional(),
});
export type LabStatus = z.infer<typeof labStatusSchema>;

// lab:leave: the student is done for now (closing the lab, signing out). sandboxd saves the box's writable layer
// and stops the box; the next connection restores the work into a fresh box.
export const labLeaveSchema = z.object({}).strict();
export type LabLeave = z.infer<typeof labLeaveSchema>;
export const labLeaveResultSchema = z.object({
  /** Boxes stopped (0 when the student had none). */
  stopped: z.number().int().nonnegative(),
  /** Whether their work is now saved for the next box. */
  saved: z.boolean(),
});
export type LabLeaveResult = z.infer<typeof labLeaveResultSchema>;
export interface ClientToServerEvents {
  'lab:leave': (payload: LabLeave, ack: Ack<LabLeaveResult>) => void;
}
