import IORedis, { type Redis, type RedisOptions } from 'ioredis';

export interface RedisConfig {
  url: string;
  /** Key prefix for every queue and channel, so tests and tenants of Redis never collide. */
  prefix: string;
}

/**
 * BullMQ workers need maxRetriesPerRequest: null (blocking commands must not time out).
 * No auto-pipelining: it copies BullMQ's Lua commands into a new pipeline per flush and measured
 * 0.5–0.8× the throughput of plain connections.
 */
export function createRedis(config: RedisConfig, extra: RedisOptions = {}): Redis {
  return new IORedis(config.url, { maxRetriesPerRequest: null, ...extra });
}

export function eventsChannel(prefix: string): string {
  return `${prefix}:events`;
}

export function controlChannel(prefix: string): string {
  return `${prefix}:control`;
}
