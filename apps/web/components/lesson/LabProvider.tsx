'use client';

import {
  type ClientToServerEvents,
  LAB_NAMESPACE,
  labTokenResponseSchema,
  type ServerToClientEvents,
} from '@dockyard/protocol';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { Socket } from 'socket.io-client';

export type LabSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type LabStatus = 'connecting' | 'connected' | 'unavailable';

interface LabContextValue {
  status: LabStatus;
  socket: LabSocket | null;
  retry: () => void;
}

const LabContext = createContext<LabContextValue>({ status: 'connecting', socket: null, retry: () => {} });

export function useLab(): LabContextValue {
  return useContext(LabContext);
}

const CONNECT_TIMEOUT_MS = 5000;

/** One socket.io connection to sandboxd per lesson page; any failure becomes the "unavailable" state. */
export function LabProvider({ lessonId, children }: { lessonId: string; children: ReactNode }) {
  const [status, setStatus] = useState<LabStatus>('connecting');
  const [socket, setSocket] = useState<LabSocket | null>(null);
  const [attempt, setAttempt] = useState(0);
  const current = useRef<LabSocket | null>(null);

  useEffect(() => {
    // `attempt` re-runs this effect on retry.
    void attempt;
    let cancelled = false;
    setStatus('connecting');
    (async () => {
      try {
        const response = await fetch('/api/lab/token', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ lessonId }),
        });
        if (!response.ok) throw new Error(`token request failed: ${response.status}`);
        const { token, sandboxUrl } = labTokenResponseSchema.parse(await response.json());
        const { io } = await import('socket.io-client');
        if (cancelled) return;
        const next: LabSocket = io(`${sandboxUrl.replace(/\/$/, '')}${LAB_NAMESPACE}`, {
          auth: { token },
          transports: ['websocket'],
          reconnection: false,
          timeout: CONNECT_TIMEOUT_MS,
        });
        current.current = next;
        next.on('connect', () => {
          if (!cancelled) {
            setSocket(next);
            setStatus('connected');
          }
        });
        const fail = () => {
          next.close();
          if (!cancelled) {
            setSocket(null);
            setStatus('unavailable');
          }
        };
        next.on('connect_error', fail);
        next.on('disconnect', fail);
      } catch {
        if (!cancelled) setStatus('unavailable');
      }
    })();
    return () => {
      cancelled = true;
      current.current?.close();
      current.current = null;
    };
  }, [lessonId, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return <LabContext.Provider value={{ status, socket, retry }}>{children}</LabContext.Provider>;
}
