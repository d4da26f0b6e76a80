import { lazy } from 'react';

/**
 * The pages after "New shoot" load as their own chunks: a seller's phone first downloads only the
 * sign-in and the new-shoot form (no Socket.IO client, no batch page). Once idle, the app fetches
 * them anyway, so following a started shoot does not wait for the network.
 */
const loaders = {
  Gallery: () => import('./Gallery').then((m) => ({ default: m.Gallery })),
  ShootDetail: () => import('./ShootDetail').then((m) => ({ default: m.ShootDetail })),
  BatchPage: () => import('./batch/BatchPage').then((m) => ({ default: m.BatchPage })),
};

export const Gallery = lazy(loaders.Gallery);
export const ShootDetail = lazy(loaders.ShootDetail);
export const BatchPage = lazy(loaders.BatchPage);

/** Fetches every page once the browser is idle (a failed fetch is retried when the page is shown). */
export function prefetchPages(): void {
  const fetchAll = () => {
    for (const load of Object.values(loaders)) void load().catch(() => undefined);
  };
  if ('requestIdleCallback' in window) requestIdleCallback(fetchAll, { timeout: 3000 });
  else setTimeout(fetchAll, 1000);
}
