import { Inject, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { Redis } from 'ioredis';
import { eventsChannel, parseBatch } from '@studioflow/runtime/bullmq';
import type { RunNotice } from '@studioflow/runtime/store';
import { ApiKeyService } from '../auth/api-keys';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { REDIS } from '../db/infra.module';
import { ShootsService } from '../shoots/shoots.service';

/**
 * Streams run notices from Redis pub/sub (published by any worker) to the Socket.IO rooms of a run
 * (`run:<id>`) and of a tenant's gallery (`tenant:<id>`). Subscribing answers with the current
 * snapshot, so a client that reconnects resumes from the present state.
 */
@WebSocketGateway({ cors: { origin: true } })
export class RealtimeGateway implements OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() server!: Server;
  private subscriber?: Redis;
  private readonly log = new Logger('realtime');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: ApiKeyService,
    private readonly shoots: ShootsService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err: Error) => this.log.warn(`Redis subscriber connection error: ${err.message}`));
    await this.subscriber.subscribe(eventsChannel(this.config.queuePrefix));
    this.subscriber.on('message', (_channel, message) => {
      for (const notice of parseBatch<RunNotice>(message)) {
        const { type, ...payload } = notice;
        this.server?.to(`run:${notice.runId}`).to(`tenant:${notice.tenantId}`).emit(type, payload);
      }
    });
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }

  async handleConnection(client: Socket): Promise<void> {
    const token = (client.handshake.auth?.token as string | undefined) ?? (client.handshake.query?.token as string | undefined);
    // Nest does not await this hook: a rejection (the database away) would be unhandled.
    const principal = token ? await this.keys.resolve(token).catch((err: unknown) => {
      this.log.warn(`socket refused, API key not checked: ${String(err)}`);
      return null;
    }) : null;
    if (!principal) {
      client.emit('error', { message: 'unknown or missing API key' });
      client.disconnect(true);
      return;
    }
    client.data.principal = principal;
    await client.join(`tenant:${principal.tenantId}`);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() client: Socket, @MessageBody() body: { runId?: string }) {
    const principal = client.data.principal as Principal | undefined;
    if (!principal || !body?.runId) return { ok: false, error: 'runId is required' };
    try {
      const snapshot = await this.shoots.get(principal, body.runId);
      await client.join(`run:${body.runId}`);
      client.emit('run.snapshot', snapshot);
      return { ok: true, status: snapshot.status };
    } catch (err) {
      this.log.debug(`subscribe refused: ${(err as Error).message}`);
      return { ok: false, error: 'run not found' };
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() client: Socket, @MessageBody() body: { runId?: string }) {
    if (body?.runId) await client.leave(`run:${body.runId}`);
    return { ok: true };
  }
}
