import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import expressStaticGzip from 'express-static-gzip';

/** Vite names every file under assets/ by a hash of its content: a cached copy never goes stale. */
export const HASHED_ASSET_CACHE = 'public, max-age=31536000, immutable';
/** The HTML pages name the current assets, so browsers revalidate them on every visit (ETag). */
export const PAGE_CACHE = 'no-cache';

/**
 * The built web apps: the sellers' shoot app under /app, the review console under /review, the editor
 * everywhere else; each falls back to its own index.html for client-side routes. The build writes a
 * brotli (.br) and a gzip (.gz) copy beside each text asset; the one the browser accepts is sent
 * (Content-Encoding, Vary: Accept-Encoding, the original's Content-Type).
 */
export function serveWebApps(app: NestExpressApplication, dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) return;
  const assets = resolve(dir, 'assets');
  const serve = expressStaticGzip(dir, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: 'index.html',
    serveStatic: {
      cacheControl: false,
      setHeaders: (res: ServerResponse, path: string) => {
        res.setHeader('Cache-Control', resolve(dirname(path)) === assets ? HASHED_ASSET_CACHE : PAGE_CACHE);
      },
    },
  });
  app.use(serve);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || /^\/(api|socket\.io|admin|metrics|assets)(\/|$)/.test(req.path)) return next();
    const page = /^\/(app|review)(\/|$)/.exec(req.path)?.[1];
    req.url = page ? `/${page}/index.html` : '/index.html';
    serve(req, res, next);
  });
}
