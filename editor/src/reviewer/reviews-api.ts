import { io } from 'socket.io-client';
import { CSRF_COOKIE, type ReviewDecisionAnswer, type ReviewDecisionBody, type ReviewDetail, type ReviewEventMap, type ReviewItem, type SubscribeAck, type SubscribeRequest } from '@studioflow/runtime/graph';
import { apiFetch } from '../shared/session';

/** The review console's calls: the signed-in session's cookie and CSRF token, no key in the page. */
export const fetchQueue = () => apiFetch<ReviewItem[]>('GET', '/reviews');
export const fetchDetail = (runId: string) => apiFetch<ReviewDetail>('GET', `/reviews/${runId}`);
export const sendDecision = (runId: string, body: ReviewDecisionBody) => apiFetch<ReviewDecisionAnswer>('POST', `/reviews/${runId}`, body);

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * The tenant's review events over Socket.IO (the session cookie authenticates the handshake).
 * `onChange` runs on every parked or decided item; the console re-fetches the queue then.
 */
export function watchReviews(onChange: (type: keyof ReviewEventMap, event: ReviewEventMap[keyof ReviewEventMap]) => void, onState: (s: LiveState) => void): () => void {
  // Same origin needs only the cookie; from another origin (vite dev) the gateway also asks for the CSRF token.
  const csrf = document.cookie.split('; ').find((c) => c.startsWith(`${CSRF_COOKIE}=`))?.slice(CSRF_COOKIE.length + 1);
  const socket = io({ withCredentials: true, reconnectionDelayMax: 5000, ...(csrf ? { auth: { csrf: decodeURIComponent(csrf) } } : {}) });
  // A socket hears nothing until it subscribes; on every (re)connect, to the tenant's review feed.
  socket.on('connect', () => {
    const feed: SubscribeRequest = { feed: 'reviews' };
    socket.emit('subscribe', feed, (ack: SubscribeAck) => onState(ack?.ok ? 'live' : 'offline'));
  });
  socket.on('disconnect', () => onState('offline'));
  socket.on('connect_error', () => onState('offline'));
  socket.on('review.parked', (e: ReviewEventMap['review.parked']) => onChange('review.parked', e));
  socket.on('review.decided', (e: ReviewEventMap['review.decided']) => onChange('review.decided', e));
  return () => {
    socket.disconnect();
  };
}

/** "4 min", "2 h 5 min", "3 d 1 h": an age or an SLA at a glance. */
export function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  if (m < 1) return `${Math.max(0, Math.floor(seconds))} s`;
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
}
