import { io, type Socket } from 'socket.io-client';
import { getApiKey } from './client';
import type { NodeRunState, Shoot } from './types';

export interface RunEvents {
  'run.started': (e: { runId: string }) => void;
  'node.started': (e: { runId: string; nodeId: string }) => void;
  'node.progress': (e: { runId: string; nodeId: string; progress: number; message?: string }) => void;
  'node.completed': (e: {
    runId: string;
    nodeId: string;
    outputs?: Record<string, unknown>;
    durationMs?: number;
    cached?: boolean;
    sourceRunId?: string | null;
    costUsd?: number | null;
    cost?: number | null;
  }) => void;
  'node.failed': (e: { runId: string; nodeId: string; error?: string }) => void;
  'run.completed': (e: { runId: string; results?: Record<string, unknown> }) => void;
  'run.failed': (e: { runId: string; error?: string }) => void;
  /** Sent by the server right after `subscribe`: the whole shoot as GET /api/shoots/:id returns it. */
  'run.snapshot': (e: Shoot & { runId?: string }) => void;
  'run.cancelled': (e: { runId: string; error?: string }) => void;
  'run.awaiting_review': (e: { runId: string }) => void;
  /** node.queued / node.pending / node.skipped / node.cancelled / node.awaiting_review carry `state`. */
  'node.state': (e: { runId: string; nodeId: string; state: NodeRunState; error?: string }) => void;
}

const NODE_STATE_EVENTS = ['node.queued', 'node.pending', 'node.skipped', 'node.cancelled', 'node.awaiting_review'];

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
  const on = (name: string, handler: (p: never) => void, mapState?: string) => {
    socket.on(name, (payload: { runId?: string; id?: string; state?: string }) => {
      const id = payload?.runId ?? (name === 'run.snapshot' ? payload?.id : undefined);
      if (id !== undefined && id !== runId) return;
      (handler as (p: unknown) => void)(mapState && !payload.state ? { ...payload, state: mapState } : payload);
    });
  };
  for (const [name, handler] of Object.entries(handlers)) {
    if (name === 'node.state') {
      for (const ev of NODE_STATE_EVENTS) on(ev, handler, ev.slice('node.'.length));
    } else on(name, handler);
  }
  return () => {
    socket.removeAllListeners();
    socket.disconnect();
  };
}
