import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { RunCoordinator } from '@studioflow/runtime/bullmq';
import { admits } from '../auth/access-policy';
import { ApiKeyService } from '../auth/api-keys';
import { extractKey } from '../auth/auth.guard';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues for the platform operator only: the queues are shared by every tenant,
 * so a tenant's staff must neither read other tenants' jobs nor pause them (key by header, or ?key=
 * once: it is then kept in a cookie).
 */
export function mountBullBoard(app: NestExpressApplication): void {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(BULL_BOARD_PATH);
  const queues = Object.values(app.get(RunCoordinator).queues.all());
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  const keys = app.get(ApiKeyService);
  app.use(BULL_BOARD_PATH, async (req: Request, res: Response, next: NextFunction) => {
    const cookieKey = /(?:^|;\s*)sf_key=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const queryKey = typeof req.query.key === 'string' ? req.query.key : undefined;
    const key = extractKey(req) ?? queryKey ?? (cookieKey ? decodeURIComponent(cookieKey) : undefined);
    const principal = key ? await keys.resolve(key) : null;
    if (!principal) {
      res.status(401).json({ statusCode: 401, message: 'the operator API key is required (?key=...)' });
      return;
    }
    if (!admits(['operator'], principal.role)) {
      res.status(403).json({ statusCode: 403, message: 'the queues are the platform operator\'s: tenant keys cannot open them' });
      return;
    }
    if (req.query.key) res.cookie('sf_key', key!, { httpOnly: true, sameSite: 'strict', path: BULL_BOARD_PATH });
    next();
  });
  app.use(BULL_BOARD_PATH, adapter.getRouter());
}
