import { useEffect, useMemo, useState } from 'react';
import type { GraphDoc, TemplateVisibility } from '@studioflow/runtime/graph';
import { api } from '../api/client';
import type { ExposedParam } from '../api/types';
import { useEditor } from '../store/editor';
import { publish } from '../store/actions';
import { useUi } from '../store/ui';
import { usePublished } from '../store/templates';
import { Modal } from './Modal';
import { PublishedTemplates } from './TemplateLifecycle';
import { TemplatesList } from './TemplatesList';

const slugify = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);

export function PublishDialog() {
  const close = () => useUi.getState().openDialog(null);
  const graph = useEditor((s) => s.graph);
  const catalog = useEditor((s) => s.catalog);
  const viewed = useEditor((s) => (s.view.kind === 'version' ? s.view.version : null));
  const sorted = useMemo(() => [...graph.versions].sort((a, b) => b.version - a.version), [graph.versions]);
  const [versionNo, setVersionNo] = useState<number | null>(viewed ?? sorted[0]?.version ?? null);
  const version = sorted.find((v) => v.version === versionNo);
  const [doc, setDoc] = useState<GraphDoc | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState(graph.name);
  const [slug, setSlug] = useState(slugify(graph.name));
  const [slugTouched, setSlugTouched] = useState(false);
  const [description, setDescription] = useState(graph.description);
  const [price, setPrice] = useState('1');
  const [visibility, setVisibility] = useState<TemplateVisibility>('private');
  const [exposed, setExposed] = useState<Record<string, ExposedParam>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const publishedCount = usePublished((s) => s.templates.length);

  useEffect(() => {
    if (!graph.id || versionNo == null) return;
    setDoc(null);
    setLoadError(null);
    api
      .getVersion(graph.id, versionNo)
      .then((v) => setDoc(v.doc))
      .catch((err: Error) => setLoadError(err.message));
  }, [graph.id, versionNo]);

  const candidates = useMemo(() => {
    const out: Array<{ key: string; nodeId: string; param: string; defaultLabel: string; nodeTitle: string; help?: string }> = [];
    for (const n of doc?.nodes ?? []) {
      const d = catalog[n.type];
      for (const [param, schema] of Object.entries(d?.params.properties ?? {})) {
        const title = typeof schema.title === 'string' ? schema.title : param;
        out.push({
          key: `${n.id}.${param}`,
          nodeId: n.id,
          param,
          nodeTitle: n.label || d?.title || n.type,
          defaultLabel: title.charAt(0).toUpperCase() + title.slice(1),
          help: typeof schema.description === 'string' ? schema.description : undefined,
        });
      }
    }
    return out;
  }, [doc, catalog]);

  const priceNum = Number(price);
  const slugOk = /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug);
  const valid = !!version && slugOk && name.trim() && Number.isInteger(priceNum) && priceNum >= 0;

  const submit = async () => {
    if (!valid || !version) return;
    setBusy(true);
    setError(null);
    const err = await publish({
      graphVersionId: version.id,
      slug,
      name: name.trim(),
      description: description.trim() || undefined,
      priceCredits: priceNum,
      visibility,
      exposedParams: Object.values(exposed),
    });
    setBusy(false);
    if (err) setError(err);
    else {
      void usePublished.getState().load(graph.id);
      close();
    }
  };

  if (!graph.id || !sorted.length) {
    return (
      <Modal title="Publish template" onClose={close} testId="publish-dialog">
        <p data-testid="publish-unavailable">Publishing needs a committed version. Save and commit the pipeline first.</p>
      </Modal>
    );
  }

  return (
    <Modal title="Publish template" onClose={close} testId="publish-dialog" wide>
      <PublishedTemplates targetVersion={viewed ?? sorted[0]?.version ?? null} />
      {publishedCount ? <div className="sf-section-title">Publish v{versionNo} as another template</div> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="sf-grid2">
          <div className="sf-field">
            <label htmlFor="publish-version">Version</label>
            <select id="publish-version" value={versionNo ?? ''} onChange={(e) => setVersionNo(Number(e.target.value))} data-testid="publish-version">
              {sorted.map((v) => (
                <option key={v.id} value={v.version}>
                  v{v.version} — {v.message || 'no message'}
                </option>
              ))}
            </select>
          </div>
          <div className="sf-field">
            <label htmlFor="publish-price">Price (credits per shot)</label>
            <input id="publish-price" type="number" min={0} step={1} value={price} onChange={(e) => setPrice(e.target.value)} data-testid="publish-price" />
          </div>
          <div className="sf-field">
            <label htmlFor="publish-name">Template name</label>
            <input
              id="publish-name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                if (!slugTouched) setSlug(slugify(e.target.value));
              }}
              data-testid="publish-name"
            />
          </div>
          <div className={`sf-field ${slugOk ? '' : 'has-error'}`}>
            <label htmlFor="publish-slug">Slug</label>
            <input
              id="publish-slug"
              className="sf-mono"
              value={slug}
              onChange={(e) => {
                setSlug(e.target.value);
                setSlugTouched(true);
              }}
              data-testid="publish-slug"
            />
            {!slugOk ? <div className="sf-field-error">lowercase letters, digits and "-"</div> : null}
          </div>
        </div>
        <div className="sf-field">
          <label htmlFor="publish-visibility">Who can use it</label>
          <select
            id="publish-visibility"
            value={visibility}
            onChange={(e) => setVisibility(e.target.value as TemplateVisibility)}
            data-testid="publish-visibility"
          >
            <option value="private">Private — this tenant's users only</option>
            <option value="public">Public — listed for every tenant, price shown</option>
          </select>
        </div>
        <div className="sf-field">
          <label htmlFor="publish-description">Description</label>
          <textarea id="publish-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} data-testid="publish-description" />
        </div>
        <div className="sf-section-title">Parameters customers may change</div>
        {loadError ? <div className="sf-error-box">Could not load v{versionNo}: {loadError}</div> : null}
        {!doc && !loadError ? <div className="sf-muted sf-small">Loading version…</div> : null}
        {doc && !candidates.length ? <div className="sf-muted sf-small">This version has no parameters.</div> : null}
        <div className="sf-exposed" data-testid="publish-params">
          {candidates.map((c) => {
            const on = !!exposed[c.key];
            return (
              <div key={c.key} className="sf-exposed-row" title={c.help}>
                <label>
                  <input
                    type="checkbox"
                    checked={on}
                    onChange={(e) =>
                      setExposed((x) => {
                        const copy = { ...x };
                        if (e.target.checked) copy[c.key] = { nodeId: c.nodeId, param: c.param, label: c.defaultLabel };
                        else delete copy[c.key];
                        return copy;
                      })
                    }
                    data-testid={`publish-param-${c.nodeId}-${c.param}`}
                  />
                  <span className="sf-mono sf-small">
                    {c.nodeId}.{c.param}
                  </span>
                  <span className="sf-muted sf-small">{c.nodeTitle}</span>
                </label>
                {on ? (
                  <input
                    value={exposed[c.key].label}
                    onChange={(e) => setExposed((x) => ({ ...x, [c.key]: { ...x[c.key], label: e.target.value } }))}
                    placeholder="Label shown to customers"
                    data-testid={`publish-label-${c.nodeId}-${c.param}`}
                  />
                ) : null}
              </div>
            );
          })}
        </div>
        {error ? (
          <div className="sf-error-box" data-testid="publish-error">
            {error}
          </div>
        ) : null}
        <div className="sf-btn-row sf-right">
          <button type="button" className="sf-btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="sf-btn sf-btn-primary" disabled={!valid || busy} data-testid="btn-publish-confirm">
            {busy ? 'Publishing…' : 'Publish'}
          </button>
        </div>
      </form>
      <div className="sf-section-title">Published templates</div>
      <TemplatesList />
    </Modal>
  );
}
