import { io, type Socket } from 'socket.io-client';
import { getApiKey } from './client';
import { NODE_STATE_EVENTS, type NodeStateEvent, type RunSocketEventMap, type SubscribeRequest } from '@studioflow/runtime/graph';

/**
 * Handlers for what a subscribed socket hears (RunSocketEventMap, shared with the runtime and the
 * gateway: the run events and `run.snapshot`), plus what this client adds: `node.state` standing for
 * every state-only node event (NODE_STATE_EVENTS).
 */
export type RunEvents = { [K in keyof RunSocketEventMap]: (e: RunSocketEventMap[K]) => void } & {
  'node.state': (e: NodeStateEvent) => void;
};

/**
 * One Socket.IO connection per watched run (same origin, default /socket.io path): the server sends
 * a socket only the runs it subscribed to. Subscribes on every (re)connect so a dropped connection
 * picks the run up again. Returns a close function.
 */
export function watchRun(
  runId: string,
  handlers: Partial<RunEvents>,
  onConnection?: (state: 'connected' | 'disconnected' | 'error', detail?: string) => void,
): () => void {
  const socket: Socket = io({ auth: { token: getApiKey() }, reconnectionDelayMax: 5000 });
  socket.on('connect', () => {
    onConnection?.('connected');
    socket.emit('subscribe', { runId } satisfies SubscribeRequest);
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
