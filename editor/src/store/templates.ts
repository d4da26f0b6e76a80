/** The templates published from the open graph (staff's managed view), for the publish dialog and the TopBar hint. */
import { create } from 'zustand';
import type { ManagedTemplate, TemplateLifecycleBody, UpdateTemplateBody } from '@studioflow/runtime/graph';
import { api, ApiError } from '../api/client';
import { toast } from './ui';

interface PublishedState {
  graphId: string | null;
  templates: ManagedTemplate[];
  error: string | null;
  /** Bumped by every change, so an open changelog reloads. */
  changes: number;
  load(graphId: string | null): Promise<void>;
}

export const usePublished = create<PublishedState>((set, get) => ({
  graphId: null,
  templates: [],
  error: null,
  changes: 0,
  async load(graphId) {
    if (graphId !== get().graphId) set({ graphId, templates: [], error: null });
    if (!graphId) return;
    try {
      const templates = await api.managedTemplates(graphId);
      // A slower answer for a graph no longer open is dropped.
      if (get().graphId === graphId) set({ templates, error: null });
    } catch (err) {
      // Only staff manage templates: anyone else simply sees no hint.
      if (get().graphId === graphId) set({ templates: [], error: err instanceof ApiError && err.kind === 'unauthorized' ? null : (err as Error).message });
    }
  },
}));

/** What a change answers: the template as it now is, or why not (a 409 carries the current state, which replaces ours). */
export type ChangeResult = { ok: true; template: ManagedTemplate } | { ok: false; message: string; missingParams?: string[] };

function replace(template: ManagedTemplate): void {
  usePublished.setState((s) => ({ templates: s.templates.map((t) => (t.id === template.id ? template : t)), changes: s.changes + 1 }));
}

async function change(run: () => Promise<ManagedTemplate>, done: string): Promise<ChangeResult> {
  try {
    const template = await run();
    replace(template);
    toast('success', done.replace('{slug}', template.slug));
    return { ok: true, template };
  } catch (err) {
    const body = err instanceof ApiError ? (err.body as { current?: ManagedTemplate; missingParams?: string[] } | null) : null;
    if (err instanceof ApiError && err.status === 409 && body?.current) replace(body.current);
    return { ok: false, message: (err as Error).message, missingParams: body?.missingParams };
  }
}

export const updateTemplate = (t: ManagedTemplate, body: Omit<UpdateTemplateBody, 'revision'>, done = 'Template “{slug}” updated') =>
  change(() => api.updateTemplate(t.id, { ...body, revision: t.revision }), done);

export const unpublishTemplate = (t: ManagedTemplate, body: Omit<TemplateLifecycleBody, 'revision'> = {}) =>
  change(() => api.unpublishTemplate(t.id, { ...body, revision: t.revision }), 'Template “{slug}” unpublished');

export const republishTemplate = (t: ManagedTemplate, body: Omit<TemplateLifecycleBody, 'revision'> = {}) =>
  change(() => api.republishTemplate(t.id, { ...body, revision: t.revision }), 'Template “{slug}” published again');

/** "published v3 · v5 latest": the hint beside a graph's name. */
export function publishedHint(templates: ManagedTemplate[], latestVersion: number | null): string | null {
  const live = templates.filter((t) => t.published);
  if (!live.length) return templates.length ? 'unpublished' : null;
  const versions = [...new Set(live.map((t) => t.version))].sort((a, b) => a - b);
  const published = `published ${versions.map((v) => `v${v}`).join(', ')}`;
  return latestVersion != null && versions.every((v) => v < latestVersion) ? `${published} · v${latestVersion} latest` : published;
}
