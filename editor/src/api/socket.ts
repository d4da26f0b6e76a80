import { io, type Socket } from 'socket.io-client';
import { getApiKey } from './client';

export interface RunEvents {
  'run.started': (e: { runId: string }) => void;
  'node.started': (e: { runId: string; nodeId: string }) => void;
  'node.progress': (e: { runId: string; nodeId: string; progress: number; message?: string }) => void;
  'node.completed': (e: { runId: string; nodeId: string; outputs?: Record<string, unknown>; durationMs?: number; cached?: boolean }) => void;
  'node.failed': (e: { runId: string; nodeId: string; error?: string }) => void;
  'run.completed': (e: { runId: string; results?: Record<string, unknown> }) => void;
  'run.failed': (e: { runId: string; error?: string }) => void;
}

export type RunEventName = keyof RunEvents;

/**
 * One Socket.IO connection per watched run (same origin, default /socket.io path). Subscribes on
 * every (re)connect so a dropped connection picks the run up again. Returns a close function.
 */
export function watchRun(
  runId: string,
  handlers: Partial<RunEvents>,
  onConnection?: (state: 'connected' | 'disconnected' | 'error', detail?: string) => void,
): () => void {
  const socket: Socket = io({ auth: { token: getApiKey() }, reconnectionDelayMax: 5000 });
  socket.on('connect', () => {
    onConnection?.('connected');
    socket.emit('subscribe', { runId });
  });
  socket.on('disconnect', (reason) => onConnection?.('disconnected', String(reason)));
  socket.on('connect_error', (err) => onConnection?.('error', err.message));
  for (const [name, handler] of Object.entries(handlers)) {
    socket.on(name, (payload: { runId?: string }) => {
      if (payload && payload.runId !== undefined && payload.runId !== runId) return;
      (handler as (p: unknown) => void)(payload);
    });
  }
  return () => {
    socket.removeAllListeners();
    socket.disconnect();
  };
}
