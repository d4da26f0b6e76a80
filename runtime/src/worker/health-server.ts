import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';

/** A probe that cannot answer within this long counts as down. */
const CHECK_TIMEOUT_MS = 3000;

export interface WorkerHealthDeps {
  redis: Redis;
  pool: { query(text: string): Promise<unknown> };
}

/**
 * Probes of a worker process for an orchestrator, on its own port (WORKER_HEALTH_PORT), in the shape of
 * the API's: `GET /health/live` answers while the event loop turns (a worker stuck in a job's CPU loop
 * stops answering, so it gets restarted); `GET /health/ready` also needs PostgreSQL and Redis.
 */
export async function startWorkerHealthServer(port: number, deps: WorkerHealthDeps): Promise<Server> {
  const server = createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return answer(405, { message: 'GET only' });
    if (req.url === '/health/live') return answer(200, { status: 'ok', info: {}, error: {}, details: {} });
    if (req.url !== '/health/ready') return answer(404, { message: 'GET /health/live or /health/ready' });
    void readiness(deps).then((checks) => {
      const up = Object.fromEntries(Object.entries(checks).filter(([, c]) => c.status === 'up'));
      const down = Object.fromEntries(Object.entries(checks).filter(([, c]) => c.status === 'down'));
      answer(Object.keys(down).length ? 503 : 200, { status: Object.keys(down).length ? 'error' : 'ok', info: up, error: down, details: checks });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return server;
}

async function readiness(deps: WorkerHealthDeps): Promise<Record<string, { status: 'up' | 'down'; ms?: number; message?: string }>> {
  const probe = async (work: () => Promise<unknown>) => {
    const startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([work(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS)))]);
      return { status: 'up' as const, ms: Date.now() - startedAt };
    } catch (err) {
      // No driver text: the probe is unauthenticated, and such messages can name hosts.
      return { status: 'down' as const, message: (err as Error).message === 'timeout' ? `no answer within ${CHECK_TIMEOUT_MS} ms` : 'unavailable' };
    } finally {
      clearTimeout(timer);
    }
  };
  const [postgres, redis] = await Promise.all([
    probe(() => deps.pool.query('SELECT 1')),
    probe(async () => {
      // ioredis would queue the command while reconnecting: an offline client is down now.
      if (deps.redis.status !== 'ready') throw new Error('not connected');
      await deps.redis.ping();
    }),
  ]);
  return { postgres, redis };
}
