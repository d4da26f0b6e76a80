import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { openArtifactStore, type ArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, DEFAULT_RETRY, NodeQueues, RESOURCES, RunCoordinator } from '@studioflow/runtime/bullmq';
import { queueFor } from '@studioflow/runtime/scheduler';
import { PgRunStore, ResilientPool, resilientPg } from '@studioflow/runtime/store';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import type { NodeJobData } from '@studioflow/runtime/store';
import { configuredModels, createProductCatalog } from '@studioflow/nodes';
import { APP_CONFIG, loadConfig, type AppConfig } from '../config/config';
import { ENTITIES } from './entities';

export const PG_POOL = Symbol('PG_POOL');
export const REDIS = Symbol('REDIS');
export const CATALOG = Symbol('CATALOG');
/** The ArtifactStore of STORAGE_URL: a folder or an S3-compatible bucket. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

/**
 * The node queues the API adds jobs to: one per resource kind and one per configured model (`gpu.<model id>`),
 * so metrics and Bull Board show them from the start. Registered with Nest's BullModule, which closes them
 * at shutdown; a model queue named by a later run is opened on first use by NodeQueues.
 */
function nodeQueueNames(): string[] {
  return [...RESOURCES, ...configuredModels().map(({ preset }) => queueFor('gpu', preset))];
}

function infraProviders(queueNames: readonly string[]) {
  return [
    {
      provide: PG_POOL,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => {
        const pool = new ResilientPool({ connectionString: c.databaseUrl, max: 10 });
        // An idle connection dropped by PostgreSQL must not crash the API.
        pool.on('error', (err) => console.warn(`idle PostgreSQL connection lost: ${err.message}`));
        return pool;
      },
    },
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => {
        const redis = createRedis({ url: c.redisUrl, prefix: c.queuePrefix });
        // ioredis reconnects by itself; an unheard 'error' would only print a stack per attempt.
        redis.on('error', (err: Error) => new Logger('redis').warn(`Redis connection error: ${err.message}`));
        return redis;
      },
    },
    { provide: CATALOG, useFactory: (): NodeCatalog => createProductCatalog() },
    { provide: ARTIFACT_STORE, inject: [APP_CONFIG], useFactory: (c: AppConfig): ArtifactStore => openArtifactStore(c) },
    {
      provide: PgRunStore,
      inject: [PG_POOL],
      useFactory: (pool: Pool) => {
        const log = new Logger('run-store');
        return new PgRunStore(pool, { log: { warn: (msg, extra) => log.warn(`${msg} ${JSON.stringify(extra ?? {})}`) } });
      },
    },
    {
      provide: RunCoordinator,
      inject: [PgRunStore, REDIS, APP_CONFIG, ...queueNames.map((name) => getQueueToken(name))],
      useFactory: (store: PgRunStore, redis: Redis, c: AppConfig, ...queues: Queue<NodeJobData>[]) => {
        const log = new Logger('coordinator');
        const nodeQueues = new NodeQueues(redis, c.queuePrefix, DEFAULT_RETRY, (err) => log.warn(`Redis connection error (queues): ${err.message}`), queues);
        return RunCoordinator.create(store, redis, c.queuePrefix, nodeQueues, { log: { warn: (msg, extra) => log.warn(`${msg} ${JSON.stringify(extra ?? {})}`) } });
      },
    },
  ];
}

/** Shared infrastructure: config, TypeORM, the hot-path pg pool, Redis, BullMQ queues, artifact store, run coordinator. */
@Global()
@Module({})
export class InfraModule implements OnApplicationShutdown {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    const queueNames = nodeQueueNames();
    return {
      module: InfraModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: config.databaseUrl,
          entities: ENTITIES,
          synchronize: false,
          migrationsRun: false,
          poolSize: 10,
          driver: resilientPg,
        }),
        TypeOrmModule.forFeature(ENTITIES),
        // Every queue of the API (node queues here, webhooks in its module) on the one shared Redis connection and the install's prefix.
        BullModule.forRootAsync({ inject: [REDIS, APP_CONFIG], useFactory: (redis: Redis, c: AppConfig) => ({ connection: redis, prefix: c.queuePrefix }) }),
        BullModule.registerQueue(...queueNames.map((name) => ({ name }))),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, ...infraProviders(queueNames)],
      exports: [TypeOrmModule, BullModule, APP_CONFIG, PG_POOL, REDIS, CATALOG, ARTIFACT_STORE, PgRunStore, RunCoordinator],
    };
  }

  private readonly closers: Array<() => void> = [];

  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly coordinator: RunCoordinator,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    for (const fn of this.closers) fn();
    await this.coordinator.queues.close().catch(() => undefined);
    this.redis.disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
