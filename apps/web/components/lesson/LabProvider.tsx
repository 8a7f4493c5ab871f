'use client';

import {
  type ClientToServerEvents,
  LAB_NAMESPACE,
  type LabStopReason,
  type LocalizedText,
  labTokenResponseSchema,
  protocolErrorSchema,
  type ServerToClientEvents,
} from '@dockyard/protocol';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Socket } from 'socket.io-client';

export type LabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/** `connected` means sandboxd said the box is ready; `error` carries sandboxd's bilingual reason. */
export type LabStatus = 'connecting' | 'starting' | 'connected' | 'unavailable' | 'error';

interface LabContextValue {
  status: LabStatus;
  socket: LabSocket | null;
  /** Why the lab stopped or failed (sandboxd's message, both languages). */
  message: LocalizedText | null;
  /** Set when sandboxd stopped the box (`died`, `left`, …); a retry then starts a new machine. */
  stopReason: LabStopReason | null;
  /** Bumped on every new connection, so terminals can reset and replay their scrollback. */
  generation: number;
  retry: () => void;
  /** The terminal tab in front; "run in terminal" types into it. */
  activeTerminal: string;
  setActiveTerminal: (terminalId: string) => void;
  /** Types `text` into the active terminal as if entered by hand (a newline after each line). */
  runInTerminal: (text: string) => boolean;
}

const LabContext = createContext<LabContextValue>({
  status: 'connecting',
  socket: null,
  message: null,
  stopReason: null,
  generation: 0,
  retry: () => {},
  activeTerminal: 't0',
  setActiveTerminal: () => {},
  runInTerminal: () => false,
});

export function useLab(): LabContextValue {
  return useContext(LabContext);
}

const CONNECT_TIMEOUT_MS = 5000;
/** A fresh token per connection attempt; a rejected-as-expired token is replaced this many times. */
const TOKEN_RETRIES = 2;
/** A dropped connection (network blip, sandboxd restart) is retried on its own this many times. */
const AUTO_RECONNECTS = 3;

async function fetchToken(lessonId: string) {
  const response = await fetch('/api/lab/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lessonId }),
  });
  if (!response.ok) throw new Error(`token request failed: ${response.status}`);
  return labTokenResponseSchema.parse(await response.json());
}

/**
 * One socket.io connection per lesson page, straight from the browser to sandboxd (see README).
 * Each attempt asks the web app for a fresh short-lived token.
 */
export function LabProvider({ lessonId, children }: { lessonId: string; children: ReactNode }) {
  const [status, setStatus] = useState<LabStatus>('connecting');
  const [socket, setSocket] = useState<LabSocket | null>(null);
  const [message, setMessage] = useState<LocalizedText | null>(null);
  const [stopReason, setStopReason] = useState<LabStopReason | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [generation, setGeneration] = useState(0);
  const [activeTerminal, setActiveTerminal] = useState('t0');
  const current = useRef<LabSocket | null>(null);
  const reconnects = useRef(0);

  useEffect(() => {
    // `attempt` re-runs this effect on retry.
    void attempt;
    let cancelled = false;
    setStatus('connecting');
    setMessage(null);
    setStopReason(null);

    const connect = async (tokenRetries: number): Promise<void> => {
      const { token, sandboxUrl } = await fetchToken(lessonId);
      const { io } = await import('socket.io-client');
      if (cancelled) return;
      const next: LabSocket = io(`${sandboxUrl.replace(/\/$/, '')}${LAB_NAMESPACE}`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
        timeout: CONNECT_TIMEOUT_MS,
        forceNew: true,
      });
      current.current = next;
      let settled = false;
      let stopped = false;
      next.on('connect', () => {
        if (!cancelled) setStatus('starting');
      });
      next.on('lab:status', (payload) => {
        if (cancelled) return;
        if (payload.state === 'ready') {
          settled = true;
          reconnects.current = 0;
          setSocket(next);
          setGeneration((n) => n + 1);
          setStatus('connected');
        } else if (payload.state === 'starting') {
          setStatus('starting');
        } else {
          // The box was reaped or reset elsewhere: say why instead of silently starting a new one.
          stopped = true;
          setMessage(payload.message ?? null);
          setStopReason(payload.reason ?? null);
          // Nothing more comes from a stopped box: say so now rather than on the server's disconnect.
          settled = true;
          setSocket(null);
          setStatus('error');
        }
      });
      next.on('lab:error', (payload) => {
        const parsed = protocolErrorSchema.safeParse(payload);
        settled = true;
        next.close();
        if (cancelled) return;
        setSocket(null);
        setMessage(parsed.success ? parsed.data.message : null);
        setStatus('error');
      });
      next.on('connect_error', (error) => {
        next.close();
        if (cancelled) return;
        // sandboxd names the token problem; an expired one is simply replaced.
        if (error.message === 'expired' && tokenRetries > 0) {
          void connect(tokenRetries - 1).catch(() => !cancelled && setStatus('unavailable'));
          return;
        }
        setSocket(null);
        setStatus('unavailable');
      });
      next.on('disconnect', (reason) => {
        if (cancelled || reason === 'io client disconnect') return;
        setSocket(null);
        if (stopped) {
          setStatus('error');
          return;
        }
        if (settled && reconnects.current < AUTO_RECONNECTS) {
          reconnects.current += 1;
          setAttempt((n) => n + 1);
          return;
        }
        setStatus((previous) => (previous === 'error' ? previous : 'unavailable'));
      });
    };

    connect(TOKEN_RETRIES).catch(() => {
      if (!cancelled) setStatus('unavailable');
    });
    return () => {
      cancelled = true;
      current.current?.close();
      current.current = null;
    };
  }, [lessonId, attempt]);

  const retry = useCallback(() => {
    reconnects.current = 0;
    setAttempt((n) => n + 1);
  }, []);
  const runInTerminal = useCallback(
    (text: string) => {
      if (!socket || status !== 'connected') return false;
      // A shell reads Enter as a carriage return; one per line, as if typed.
      const typed = `${text.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r')}\r`;
      socket.emit('terminal:data', { terminalId: activeTerminal, data: typed });
      return true;
    },
    [socket, status, activeTerminal],
  );
  return (
    <LabContext.Provider
      value={{
        status,
        socket,
        message,
        stopReason,
        generation,
        retry,
        activeTerminal,
        setActiveTerminal,
        runInTerminal,
      }}
    >
      {children}
    </LabContext.Provider>
  );
}
