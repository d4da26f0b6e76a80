import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';

/**
 * Socket.IO with the Redis adapter: a broadcast made in one API process (`server.to(room).emit`) reaches
 * the room's sockets in every process, and `fetchSockets`/`disconnectSockets` see them all. Its channels
 * carry the install's prefix, so installs sharing a Redis never hear each other.
 * Run notices do not travel this way: every process hears them from the workers' notices channel already
 * and emits them to its own sockets only (realtime.gateway.ts).
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly clients: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: unknown): ReturnType<IoAdapter['create']> {
    const server = super.createIOServer(port, options) as ReturnType<IoAdapter['create']>;
    // A subscribed connection can do nothing else: one to publish, one to listen.
    const pub = this.redis.duplicate();
    const sub = this.redis.duplicate();
    for (const client of [pub, sub]) {
      // ioredis reconnects by itself; an unheard 'error' would end the process.
      client.on('error', () => undefined);
      this.clients.push(client);
    }
    server.adapter(createAdapter(pub, sub, { key: `${this.prefix}:socket.io` }));
    return server;
  }

  // Typed from IoAdapter: @nestjs/platform-socket.io brings its own copy of socket.io.
  override async close(server: Parameters<IoAdapter['close']>[0]): Promise<void> {
    await super.close(server);
    for (const client of this.clients.splice(0)) client.disconnect();
  }
}
