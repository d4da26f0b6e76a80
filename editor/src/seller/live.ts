import { useCallback, useEffect, useRef, useState } from 'react';
import { io, type Socket } from 'socket.io-client';
import { NODE_STATE_EVENTS, type RunEventMap, type RunSocketEventMap, type RunStatus, type ShootView, type SubscribeAck, type SubscribeRequest } from '@studioflow/runtime/graph';
import { getShoot } from './api';
import { BALANCE_CHANGED } from './balance';

export { BALANCE_CHANGED };

/** While the socket is down, a watched shoot is read again this often. */
export const POLL_MS = 3000;
const CHECK_WHILE_LIVE_MS = 15_000;
const FINISHED: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);
export const isFinished = (status: RunStatus) => FINISHED.has(status);

const balanceChanged = () => dispatchEvent(new Event(BALANCE_CHANGED));

let shared: Socket | null = null;
/**
 * One Socket.IO connection for the whole app (same origin, the session cookie authenticates it);
 * each watched shoot subscribes to its own run, so the page hears its own shoots only.
 */
function appSocket(): Socket {
  shared ??= io({ withCredentials: true, reconnectionDelayMax: 5000 });
  return shared;
}

export interface LiveShoot {
  shoot: ShootView | null;
  /** Progress (0 to 1) of the steps running now, by node id. */
  running: Record<string, number>;
  /** Whether events arrive over the socket; false means the shoot is polled every POLL_MS. */
  live: boolean;
  error: string | null;
}

/** A shoot kept current: socket events while connected, a GET every 3 s while not, a fresh read at every end. */
export function useLiveShoot(id: string): LiveShoot {
  const [shoot, setShoot] = useState<ShootView | null>(null);
  const [running, setRunning] = useState<Record<string, number>>({});
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Counts updates pushed by the socket: a read answered after a newer push must not undo it.
  const pushed = useRef(0);

  const refresh = useCallback(async () => {
    try {
      const asked = pushed.current;
      const fresh = await getShoot(id);
      if (pushed.current !== asked && !isFinished(fresh.status)) return;
      setShoot(fresh);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [id]);

  useEffect(() => {
    void refresh();
    const socket = appSocket();
    const mine = (payload: { runId?: string } | undefined) => payload?.runId === id;
    const setNode = (nodeId: string, state: string, error?: string) =>
      ++pushed.current &&
      setShoot((s) => (s ? { ...s, nodes: s.nodes.map((n) => (n.nodeId === nodeId ? { ...n, state: state as never, error: error ?? n.error } : n)) } : s));
    const handlers: Record<string, (payload: any) => void> = {
      // Live only once the server accepted the subscription (an unknown session's socket hears nothing).
      connect: () => socket.emit('subscribe', { runId: id } satisfies SubscribeRequest, (ack: SubscribeAck | undefined) => setLive(ack?.ok === true)),
      disconnect: () => setLive(false),
      connect_error: () => setLive(false),
      'run.snapshot': (s: RunSocketEventMap['run.snapshot']) => s?.id === id && ++pushed.current && setShoot(s),
      'run.started': (e: RunEventMap['run.started']) => mine(e) && ++pushed.current && setShoot((s) => (s ? { ...s, status: 'running' } : s)),
      'node.started': (e: RunEventMap['node.started']) => {
        if (!mine(e)) return;
        setNode(e.nodeId, 'running');
        setRunning((r) => ({ ...r, [e.nodeId]: 0 }));
      },
      'node.progress': (e: RunEventMap['node.progress']) => mine(e) && setRunning((r) => ({ ...r, [e.nodeId]: e.progress })),
      'node.completed': (e: RunEventMap['node.completed']) => {
        if (!mine(e)) return;
        setNode(e.nodeId, e.state);
        // The photo as the run read it, for the card and the detail before the result exists.
        const photo = (e.outputs?.image as { url?: string } | undefined)?.url;
        if (photo) setShoot((s) => (s && !s.original && s.nodes.find((n) => n.nodeId === e.nodeId)?.type === 'input-image' ? { ...s, original: photo } : s));
      },
      'node.failed': (e: RunEventMap['node.failed']) => mine(e) && setNode(e.nodeId, 'failed', e.error),
      // The end of a shoot (or a pause for review) brings downloads, refunds, results: read it whole.
      'run.completed': (e: RunEventMap['run.completed']) => mine(e) && void refresh(),
      'run.failed': (e: RunEventMap['run.failed']) => mine(e) && void refresh(),
      'run.cancelled': (e: RunEventMap['run.cancelled']) => mine(e) && void refresh(),
      'run.awaiting_review': (e: RunEventMap['run.awaiting_review']) => mine(e) && void refresh(),
    };
    for (const name of NODE_STATE_EVENTS) {
      handlers[name] = (e: RunEventMap[typeof name]) => mine(e) && setNode(e.nodeId, e.state ?? name.slice('node.'.length));
    }
    for (const [name, handler] of Object.entries(handlers)) socket.on(name, handler);
    if (socket.connected) handlers.connect(undefined);
    return () => {
      for (const [name, handler] of Object.entries(handlers)) socket.off(name, handler);
      if (socket.connected) socket.emit('unsubscribe', { runId: id });
    };
  }, [id, refresh]);

  // A refund (seen by event or by polling) changes the balance in the header.
  const refunded = shoot && !isFinished(shoot.status) ? 0 : (shoot?.refundedCredits ?? 0);
  useEffect(() => {
    if (refunded > 0) balanceChanged();
  }, [refunded]);

  // The fallback: while the socket is down, poll until the shoot has finished. While it is up, a
  // rare read still catches an event lost between the server's snapshot and joining the run's room.
  const finished = shoot ? isFinished(shoot.status) : false;
  useEffect(() => {
    if (finished) return;
    const timer = setInterval(() => void refresh(), live ? CHECK_WHILE_LIVE_MS : POLL_MS);
    return () => clearInterval(timer);
  }, [live, finished, refresh]);

  return { shoot, running, live, error };
}
