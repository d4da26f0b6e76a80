import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { Redis } from 'ioredis';
import { eventsChannel, parseBatch } from '@studioflow/runtime/bullmq';
import { SESSION_COOKIE, type ReviewEventMap, type RunEventMap, type RunSocketEventMap, type SubscribeAck, type SubscribeRequest } from '@studioflow/runtime/graph';
import type { RunNotice } from '@studioflow/runtime/store';
import { ArtifactUrls } from '../artifacts/artifact-urls';
import { ApiKeyService } from '../auth/api-keys';
import { readCookie } from '../auth/cookies';
import { csrfMatches, SessionService } from '../auth/sessions';
import { watchesReviews, watchesTenant, type Principal } from '../auth/access-policy';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { REDIS } from '../db/infra.module';
import { reviewEventsChannel, reviewsRoom, type ReviewEventMessage } from '../review/review-events';
import { RunEventsService } from '../shoots/run-events.service';
import { ShootsService } from '../shoots/shoots.service';

/**
 * Streams run notices from Redis pub/sub (published by any worker) to the Socket.IO rooms of a run
 * (`run:<id>`) and of a tenant's feed (`tenant:<id>`). A socket joins no room on connecting: it
 * subscribes to the runs it shows (an end user only to their own), and staff or reviewers may ask for
 * the tenant feed. With one socket per open shoot, an event reaches only the sockets showing that run
 * instead of every socket of the tenant. Subscribing to a run answers with its current snapshot, so a
 * client that reconnects resumes from the present state. A socket is authenticated by an API key in the
 * handshake's `auth.token` or else by the browser's session cookie; a revoked key's or an ended
 * session's sockets are disconnected at once, in every API process.
 */
@WebSocketGateway({ cors: { origin: true } })
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() server!: Server;
  private subscriber?: Redis;
  private recheck?: NodeJS.Timeout;
  private readonly log = new Logger('realtime');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: ApiKeyService,
    private readonly sessions: SessionService,
    private readonly shoots: ShootsService,
    private readonly runEvents: RunEventsService,
    private readonly urls: ArtifactUrls,
  ) {}

  async onModuleInit(): Promise<void> {
    // Every API process hears a revocation (ApiKeyService's channel) and drops its own sockets of that credential.
    this.keys.onRevoked((hash) => this.server?.local.in(credentialRoom(hash)).disconnectSockets(true));
    // A revocation missed while Redis was away, or a session that expired, still ends its sockets: checked
    // when the channel is back and every `socketRecheckMs`.
    this.keys.onMissedRevocations(() => void this.dropEndedCredentials());
    this.recheck = setInterval(() => void this.dropEndedCredentials(), this.config.socketRecheckMs);
    this.recheck.unref();
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err: Error) => this.log.warn(`Redis subscriber connection error: ${err.message}`));
    const reviews = reviewEventsChannel(this.config.queuePrefix);
    await this.subscriber.subscribe(eventsChannel(this.config.queuePrefix), reviews);
    this.subscriber.on('message', (channel, message) => {
      if (channel === reviews) return this.emitReviewEvent(message);
      for (const notice of parseBatch<RunNotice>(message)) this.emit(notice);
    });
  }

  /** A decision taken on any API process, to the tenant's review consoles connected to this one. */
  private emitReviewEvent(message: string): void {
    try {
      const { type, tenantId, event } = JSON.parse(message) as ReviewEventMessage;
      this.server?.local.to(reviewsRoom(tenantId)).emit(type, event);
    } catch (err) {
      this.log.warn(`unreadable review event: ${String(err)}`);
    }
  }

  /**
   * Sends a run notice to the run's and the tenant's rooms as the wire event the editor declares
   * (RunEventMap). The hot path of every push: no database, URLs signed once per event whatever the
   * number of listeners, and nothing at all when nobody listens (the common case for most notices).
   * Every API process hears every notice, so each emits to its own sockets only (`local`): through the
   * Redis adapter a socket would get the event once per API process.
   */
  private emit(notice: RunNotice): void {
    // A run parking at a review node (published by whichever worker finished the node before it) is new work for the tenant's reviewers.
    if (notice.type === 'node.awaiting_review' && this.server?.sockets.adapter.rooms.has(reviewsRoom(notice.tenantId))) {
      const parked: ReviewEventMap['review.parked'] = { runId: notice.runId, nodeId: notice.nodeId };
      this.server.local.to(reviewsRoom(notice.tenantId)).emit('review.parked', parked);
    }
    const runRoom = `run:${notice.runId}`;
    const tenantRoom = `tenant:${notice.tenantId}`;
    const rooms = this.server?.sockets.adapter.rooms;
    if (!rooms || (!rooms.has(runRoom) && !rooms.has(tenantRoom))) return;
    // One broadcast to both rooms: a socket in both gets the event once.
    const to = this.server.local.to(runRoom).to(tenantRoom);
    // Artifacts get URLs signed for the run's tenant, which owns them.
    if (notice.type === 'run.completed') {
      const event: RunEventMap['run.completed'] = {
        runId: notice.runId,
        ...(notice.seq !== undefined ? { seq: notice.seq } : {}),
        results: this.urls.results(notice.outputs, notice.tenantId),
        ...(notice.costUsd !== undefined ? { costUsd: notice.costUsd } : {}),
      };
      to.emit(notice.type, event);
      return;
    }
    const { type, tenantId, ...event } = notice;
    to.emit(type, this.urls.withUrls(event, tenantId));
  }

  /** Engine.IO answers its HTTP long-polling requests itself, outside Express: same nosniff header. */
  afterInit(server: Server): void {
    server.engine.on('headers', (headers: Record<string, string>) => {
      headers['X-Content-Type-Options'] = 'nosniff';
    });
  }

  onModuleDestroy(): void {
    clearInterval(this.recheck);
    this.subscriber?.disconnect();
  }

  /** Disconnects this process's sockets whose key was revoked or whose session ended or expired. */
  private async dropEndedCredentials(): Promise<void> {
    const keys = new Set<string>();
    const sessions = new Set<string>();
    for (const socket of this.server?.sockets.sockets.values() ?? []) {
      const p = socket.data.principal as Principal | undefined;
      if (p?.keyHash) keys.add(p.keyHash);
      if (p?.sessionHash) sessions.add(p.sessionHash);
    }
    if (keys.size + sessions.size === 0) return;
    try {
      const [liveKeys, liveSessions] = await Promise.all([this.keys.liveKeys([...keys]), this.sessions.liveSessions([...sessions])]);
      for (const hash of [...keys].filter((h) => !liveKeys.has(h)).concat([...sessions].filter((h) => !liveSessions.has(h)))) {
        this.server.local.in(credentialRoom(hash)).disconnectSockets(true);
      }
    } catch (err) {
      // The database away: the sockets stay until the next check can tell.
      this.log.warn(`socket credentials not rechecked: ${String(err)}`);
    }
  }

  handleConnection(client: Socket): Promise<void> {
    // Nest does not wait for this hook before it dispatches the socket's messages: a `subscribe`
    // sent right after connecting would otherwise find no principal yet. Handlers await this.
    client.data.authenticated = this.authenticate(client);
    return client.data.authenticated.then(() => undefined);
  }

  /**
   * The handshake's API key, else its session cookie. A WebSocket handshake is not bound by CORS, and
   * browsers send cookies with it: a page of another origin that opens a socket here must therefore
   * prove it is the app by the CSRF token (`auth.csrf`, read from the sf_csrf cookie), which it cannot
   * read. The apps served by this API are same-origin and need nothing.
   */
  private async resolvePrincipal(client: Socket): Promise<Principal | null> {
    // From the handshake's auth payload only: a key in the query string would travel in the URL.
    const key = client.handshake.auth?.token as string | undefined;
    if (typeof key === 'string' && key) return this.keys.resolve(key);
    const token = readCookie(client.handshake.headers.cookie, SESSION_COOKIE);
    const session = token ? await this.sessions.resolve(token) : null;
    if (!session) return null;
    if (sameOrigin(client.handshake.headers.origin, client.handshake.headers.host)) return session.principal;
    const csrf = client.handshake.auth?.csrf;
    return csrfMatches(typeof csrf === 'string' ? csrf : undefined, session.csrfHash) ? session.principal : null;
  }

  private async authenticate(client: Socket): Promise<Principal | null> {
    // A rejection (the database away) must not go unhandled: the socket is refused instead.
    const principal = await this.resolvePrincipal(client).catch((err: unknown) => {
      this.log.warn(`socket refused, credentials not checked: ${String(err)}`);
      return null;
    });
    if (!principal) {
      client.emit('error', { message: 'unknown or missing API key or session' });
      client.disconnect(true);
      return null;
    }
    if (principal.role === 'operator') {
      client.emit('error', { message: 'the operator key has no tenant events' });
      client.disconnect(true);
      return null;
    }
    client.data.principal = principal;
    await client.join(credentialRoom(principal.keyHash ?? principal.sessionHash ?? ''));
    return principal;
  }

  /** The tenant feed (every run of the tenant) or the review feed (runs parked for review, decisions): staff and reviewers only. */
  private async joinFeed(client: Socket, principal: Principal, feed: unknown): Promise<SubscribeAck> {
    if (feed === 'tenant') {
      if (!watchesTenant(principal)) return { ok: false, error: 'the tenant feed is for staff and reviewers: subscribe to your shoots by runId' };
      await client.join(`tenant:${principal.tenantId}`);
      return { ok: true };
    }
    if (feed === 'reviews') {
      if (!watchesReviews(principal)) return { ok: false, error: 'the review feed is for staff and reviewers' };
      await client.join(reviewsRoom(principal.tenantId));
      return { ok: true };
    }
    return { ok: false, error: `unknown feed: ${String(feed)}` };
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() client: Socket, @MessageBody() body: Partial<SubscribeRequest> | undefined): Promise<SubscribeAck> {
    const principal = await (client.data.authenticated as Promise<Principal | null> | undefined);
    if (!principal) return { ok: false, error: 'not signed in' };
    if (body && 'feed' in body) return this.joinFeed(client, principal, body.feed);
    const runId = body && 'runId' in body ? body.runId : undefined;
    if (typeof runId !== 'string' || !runId) return { ok: false, error: 'runId is required' };
    try {
      // Row-level access as on GET /api/shoots/:id: another tenant's run, or another seller's, is not found.
      // Checked before joining, then joined before the snapshot is read: an event sent in between is
      // heard rather than lost.
      await this.shoots.get(principal, runId);
      await client.join(`run:${runId}`);
      const snapshot: RunSocketEventMap['run.snapshot'] = await this.runEvents.snapshot(principal, runId);
      client.emit('run.snapshot', snapshot);
      return { ok: true, status: snapshot.status };
    } catch (err) {
      this.log.debug(`subscribe refused: ${(err as Error).message}`);
      return { ok: false, error: 'run not found' };
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() client: Socket, @MessageBody() body: Partial<SubscribeRequest> | undefined): Promise<SubscribeAck> {
    const principal = await (client.data.authenticated as Promise<Principal | null> | undefined);
    if (body && 'feed' in body && body.feed === 'tenant' && principal) await client.leave(`tenant:${principal.tenantId}`);
    else if (body && 'feed' in body && body.feed === 'reviews' && principal) await client.leave(reviewsRoom(principal.tenantId));
    else if (body && 'runId' in body && typeof body.runId === 'string') await client.leave(`run:${body.runId}`);
    return { ok: true };
  }
}

/** The room of every socket authenticated by one API key or session (by its hash): revoking it empties the room. */
function credentialRoom(hash: string): string {
  return `credential:${hash}`;
}

/** Whether a handshake's Origin is this server (no Origin: not a browser page, so no cross-site page either). */
function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
