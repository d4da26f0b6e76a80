import { lazy, type ComponentType } from 'react';

/**
 * Parts of the editor the first screen does not show (dialogs, the Run and History tabs; dagre, which
 * the store imports for auto-layout) load as their own chunks, so the palette and the canvas paint
 * sooner. Once the editor is idle they are fetched anyway, so opening one later does not wait.
 */
const loaders = {
  GraphsDialog: () => import('./GraphsDialog').then((m) => ({ default: m.GraphsDialog })),
  SaveDialog: () => import('./SaveDialog').then((m) => ({ default: m.SaveDialog })),
  CommitDialog: () => import('./CommitDialog').then((m) => ({ default: m.CommitDialog })),
  PublishDialog: () => import('./PublishDialog').then((m) => ({ default: m.PublishDialog })),
  ShortcutsOverlay: () => import('./ShortcutsOverlay').then((m) => ({ default: m.ShortcutsOverlay })),
  RunPanel: () => import('./RunPanel').then((m) => ({ default: m.RunPanel })),
  HistoryPanel: () => import('./HistoryPanel').then((m) => ({ default: m.HistoryPanel })),
  DebugPanel: () => import('./run-view/DebugPanel').then((m) => ({ default: m.DebugPanel })),
} satisfies Record<string, () => Promise<{ default: ComponentType }>>;

export const GraphsDialog = lazy(loaders.GraphsDialog);
export const SaveDialog = lazy(loaders.SaveDialog);
export const CommitDialog = lazy(loaders.CommitDialog);
export const PublishDialog = lazy(loaders.PublishDialog);
export const ShortcutsOverlay = lazy(loaders.ShortcutsOverlay);
export const RunPanel = lazy(loaders.RunPanel);
export const HistoryPanel = lazy(loaders.HistoryPanel);
export const DebugPanel = lazy(loaders.DebugPanel);

/** Fetches every lazy part once the browser is idle (a failed fetch is retried when the part is shown). */
export function prefetchLazyParts(): void {
  const fetchAll = () => {
    for (const load of Object.values(loaders)) void load().catch(() => undefined);
    void import('../lib/layout').catch(() => undefined);
  };
  if ('requestIdleCallback' in window) requestIdleCallback(fetchAll, { timeout: 3000 });
  else setTimeout(fetchAll, 1000);
}
