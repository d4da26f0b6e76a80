import { Global, Inject, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { openArtifactStore, type ArtifactStore } from '@studioflow/runtime/artifacts';
import { createRedis, DEFAULT_RETRY, NodeQueues, RunCoordinator } from '@studioflow/runtime/bullmq';
import { queueFor } from '@studioflow/runtime/scheduler';
import { PgRunStore, ResilientPool, resilientPg } from '@studioflow/runtime/store';
import type { NodeCatalog } from '@studioflow/runtime/contract';
import { configuredModels, createProductCatalog } from '@studioflow/nodes';
import { APP_CONFIG, loadConfig, type AppConfig } from '../config/config';
import { ENTITIES } from './entities';

export const PG_POOL = Symbol('PG_POOL');
export const REDIS = Symbol('REDIS');
export const CATALOG = Symbol('CATALOG');
/** The ArtifactStore of STORAGE_URL: a folder or an S3-compatible bucket. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

const INFRA_PROVIDERS = [
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
      inject: [PgRunStore, REDIS, APP_CONFIG],
      useFactory: (store: PgRunStore, redis: Redis, c: AppConfig) => {
        const log = new Logger('coordinator');
        const queues = new NodeQueues(redis, c.queuePrefix, DEFAULT_RETRY, (err) => log.warn(`Redis connection error (queues): ${err.message}`));
        // The per-model queues of the shared model configuration, opened now so metrics and Bull Board show them from the start.
        for (const { preset } of configuredModels()) queues.queue(queueFor('gpu', preset));
        return RunCoordinator.create(store, redis, c.queuePrefix, queues, { log: { warn: (msg, extra) => log.warn(`${msg} ${JSON.stringify(extra ?? {})}`) } });
      },
    },
];

/** Shared infrastructure: config, TypeORM, the hot-path pg pool, Redis, artifact store, run coordinator. */
@Global()
@Module({})
export class InfraModule implements OnApplicationShutdown {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
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
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, ...INFRA_PROVIDERS],
      exports: [TypeOrmModule, APP_CONFIG, PG_POOL, REDIS, CATALOG, ARTIFACT_STORE, PgRunStore, RunCoordinator],
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
