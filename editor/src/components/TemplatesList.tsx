import { useEffect, useState } from 'react';
import type { TemplateListing } from '@studioflow/runtime/graph';
import { api } from '../api/client';

/** The templates this tenant can use; one no provider can run is marked "needs a provider" (sellers do not see it). */
export function TemplatesList() {
  const [templates, setTemplates] = useState<TemplateListing[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listTemplates().then(setTemplates, (err: Error) => setError(err.message));
  }, []);
  if (error) return <div className="sf-error-box">Could not load the templates: {error}</div>;
  if (!templates) return <div className="sf-muted sf-small">Loading templates…</div>;
  if (!templates.length) return <div className="sf-muted sf-small">No templates published yet.</div>;
  return (
    <ul className="sf-templates" data-testid="templates-list">
      {templates.map((t) => (
        <li key={t.id} data-testid={`template-${t.slug}`} title={t.needsProvider}>
          <span>{t.name}</span> <span className="sf-mono sf-small sf-muted">{t.slug}</span>{' '}
          <span className="sf-badge">{t.visibility}</span>{' '}
          {t.needsProvider ? (
            <span className="sf-badge sf-badge-needs-provider" data-testid={`needs-provider-${t.slug}`}>
              needs a provider
            </span>
          ) : null}
          {t.needsProvider ? <div className="sf-small sf-muted">{t.needsProvider}</div> : null}
        </li>
      ))}
    </ul>
  );
}
