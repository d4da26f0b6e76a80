import { useEffect, useState } from 'react';
import type { ManagedTemplate } from '@studioflow/runtime/graph';
import { api } from '../api/client';
import { useEditor } from '../store/editor';
import { publishedHint, usePublished } from '../store/templates';

const NONE: ManagedTemplate[] = [];

/** Beside the open graph's name: "published v3 · v5 latest" when a template runs an older version. */
export function PublishedHint() {
  const graphId = useEditor((s) => s.graph.id);
  const latest = useEditor((s) => s.graph.versions.reduce((m, v) => Math.max(m, v.version), 0));
  const templates = usePublished((s) => (s.graphId === graphId ? s.templates : NONE));
  useEffect(() => {
    void usePublished.getState().load(graphId);
  }, [graphId, latest]);
  const hint = publishedHint(templates, latest || null);
  if (!hint) return null;
  return (
    <span className="sf-published-hint" data-testid="published-hint" title={templates.map((t) => `${t.slug}: v${t.version}${t.published ? '' : ' (unpublished)'}`).join('\n')}>
      {hint}
    </span>
  );
}

/** Every template of the tenant by graph id, for the graph list's hints (empty for anyone but staff). */
export function usePublishedByGraph(): Map<string, ManagedTemplate[]> {
  const [byGraph, setByGraph] = useState(new Map<string, ManagedTemplate[]>());
  useEffect(() => {
    let live = true;
    api.managedTemplates().then(
      (all) => {
        const map = new Map<string, ManagedTemplate[]>();
        for (const t of all) map.set(t.graphId, [...(map.get(t.graphId) ?? []), t]);
        if (live) setByGraph(map);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return byGraph;
}
