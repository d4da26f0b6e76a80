/**
 * The browsers of the push section, in a process of their own (forked by push-section.ts) so their
 * work is not the API's and not the publisher's: one Socket.IO connection per open shoot. Each socket
 * records when its own shoot's node.completed events arrive and counts the events of other shoots.
 * Protocol (IPC): in `{ kind: 'open', ... }` → out `{ kind: 'ready' }`; in `{ kind: 'report' }` → out
 * `{ kind: 'report', receipts, foreign }`, then every socket is closed.
 */
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

export interface OpenClients {
  kind: 'open';
  baseUrl: string;
  /** One socket per entry. */
  sockets: Array<{ runId: string; token: string; tenantFeed: boolean }>;
}

export interface ClientsReport {
  kind: 'report';
  /** [runId, nodeId, received at (epoch ms, high resolution)] of each socket's own node.completed events. */
  receipts: Array<[string, string, number]>;
  /** Run events of other shoots received, summed over the sockets. */
  foreign: number;
  /** Subscriptions the server refused. */
  refused: number;
}

/** Epoch ms with sub-ms resolution, comparable between processes of one machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

const sockets: Socket[] = [];
const receipts: ClientsReport['receipts'] = [];
let foreign = 0;
let refused = 0;

async function open(msg: OpenClients): Promise<void> {
  // Connect in small waves: 200 handshakes at once would measure the API's accept path instead.
  for (let i = 0; i < msg.sockets.length; i += 20) {
    await Promise.all(msg.sockets.slice(i, i + 20).map((s) => connect(msg.baseUrl, s)));
  }
}

async function connect(baseUrl: string, s: OpenClients['sockets'][number]): Promise<void> {
  const socket = io(baseUrl, { auth: { token: s.token }, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.onAny((type: string, payload: { runId?: string; nodeId?: string }) => {
    if (type === 'run.snapshot' || !payload?.runId) return;
    if (payload.runId !== s.runId) foreign++;
    else if (type === 'node.completed') receipts.push([s.runId, payload.nodeId ?? '', epochMs()]);
  });
  const run = (await socket.emitWithAck('subscribe', { runId: s.runId })) as { ok: boolean };
  if (!run.ok) refused++;
  if (s.tenantFeed) {
    const feed = (await socket.emitWithAck('subscribe', { feed: 'tenant' })) as { ok: boolean };
    if (!feed.ok) refused++;
  }
}

process.on('message', (msg: OpenClients | { kind: 'report' }) => {
  if (msg.kind === 'open') {
    open(msg).then(
      () => process.send!({ kind: 'ready' }),
      (err: Error) => process.send!({ kind: 'error', message: err.message }),
    );
  } else if (msg.kind === 'report') {
    process.send!({ kind: 'report', receipts, foreign, refused } satisfies ClientsReport, () => {
      for (const s of sockets) s.disconnect();
      process.exit(0);
    });
  }
});
