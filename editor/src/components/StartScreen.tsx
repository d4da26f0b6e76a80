import { useEffect, useState } from 'react';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { api } from '../api/client';
import type { GraphSummary } from '../api/types';
import { formatTime } from '../lib/format';
import { openGraph } from '../store/actions';
import { useEditor } from '../store/editor';
import { toast } from '../store/ui';

/** A shipped template file (templates/*.json): the graph plus how it is published. */
interface StarterTemplate {
  slug: string;
  name: string;
  description?: string;
  graph: GraphDoc;
}

// The repo's own templates, bundled as one lazily loaded chunk each: the start screen works offline.
const starterFiles = import.meta.glob<StarterTemplate>('../../../templates/*.json', { import: 'default' });

async function loadStarters(): Promise<StarterTemplate[]> {
  const loaded = await Promise.all(Object.values(starterFiles).map((load) => load()));
  return loaded.filter((t) => t?.graph?.nodes?.length).sort((a, b) => a.graph.nodes.length - b.graph.nodes.length);
}

const RECENT = 6;

/** The editor's first screen when no graph is open: the shipped templates, recent graphs, a blank graph. */
export function StartScreen({ onDismiss }: { onDismiss(): void }) {
  const [starters, setStarters] = useState<StarterTemplate[] | null>(null);
  const [recent, setRecent] = useState<GraphSummary[] | null>(null);
  useEffect(() => {
    let live = true;
    loadStarters().then((list) => live && setStarters(list), () => live && setStarters([]));
    api.listGraphs().then(
      (list) => live && setRecent([...(Array.isArray(list) ? list : [])].sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt))).slice(0, RECENT)),
      () => live && setRecent([]),
    );
    return () => {
      live = false;
    };
  }, []);

  const openStarter = (t: StarterTemplate) => {
    const ed = useEditor.getState();
    ed.newGraph();
    ed.setGraph({ name: t.name, description: t.description ?? '' });
    useEditor.getState().loadDoc(t.graph);
    toast('info', `Opened the “${t.name}” template as a new, unsaved graph`);
  };

  return (
    <div className="sf-start" data-testid="start-screen">
      <div className="sf-start-head">
        <div className="sf-h3">Start a pipeline</div>
        <button className="sf-btn sf-btn-primary" onClick={onDismiss} data-testid="btn-start-blank">
          New blank graph
        </button>
      </div>
      <div className="sf-start-cols">
        <section>
          <div className="sf-section-title">From a shipped template</div>
          {!starters ? <div className="sf-muted sf-small">Loading…</div> : null}
          <ul className="sf-start-list">
            {starters?.map((t) => (
              <li key={t.slug}>
                <button className="sf-start-item" onClick={() => openStarter(t)} data-testid={`start-template-${t.slug}`} title={t.description}>
                  <span className="sf-start-name">{t.name}</span>
                  <span className="sf-muted sf-small">{t.graph.nodes.length} nodes · {t.slug}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        <section>
          <div className="sf-section-title">Recent graphs</div>
          {!recent ? <div className="sf-muted sf-small">Loading…</div> : null}
          {recent && !recent.length ? <div className="sf-muted sf-small">None yet: your saved graphs appear here.</div> : null}
          <ul className="sf-start-list">
            {recent?.map((g) => (
              <li key={g.id}>
                <button className="sf-start-item" onClick={() => void openGraph(g.id)} data-testid={`start-recent-${g.id}`}>
                  <span className="sf-start-name">{g.name}</span>
                  <span className="sf-muted sf-small">
                    {g.latestVersion != null ? `v${g.latestVersion}` : 'draft only'} · {formatTime(g.updatedAt)}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
