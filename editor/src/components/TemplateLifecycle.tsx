import { useEffect, useMemo, useState } from 'react';
import type { GraphDoc, ManagedTemplate, NodeTypeDescriptor, TemplateChange, TemplateVisibility } from '@studioflow/runtime/graph';
import { api } from '../api/client';
import { formatTime } from '../lib/format';
import { useEditor } from '../store/editor';
import { republishTemplate, unpublishTemplate, updateTemplate, usePublished, type ChangeResult } from '../store/templates';

/**
 * What is published from this graph, and its lifecycle: repoint to the version picked in the publish
 * dialog (with the exposed params compared), price and visibility, unpublish/republish, changelog.
 */
export function PublishedTemplates({ targetVersion }: { targetVersion: number | null }) {
  const graphId = useEditor((s) => s.graph.id);
  const { templates, error } = usePublished();
  useEffect(() => {
    void usePublished.getState().load(graphId);
  }, [graphId]);
  if (error) return <div className="sf-error-box">Could not load what is published: {error}</div>;
  if (!templates.length) return null;
  return (
    <div className="sf-lifecycle-list" data-testid="published-templates">
      <div className="sf-section-title">Published from this pipeline</div>
      {templates.map((t) => (
        <PublishedTemplate key={t.id} template={t} offered={targetVersion} />
      ))}
    </div>
  );
}

/** One template; `offered` is the version the dialog offers (the one viewed, else the latest), the default repoint target. */
function PublishedTemplate({ template: t, offered }: { template: ManagedTemplate; offered: number | null }) {
  const graphId = useEditor((s) => s.graph.id);
  const versions = useEditor((s) => s.graph.versions);
  const sorted = useMemo(() => [...versions].sort((a, b) => b.version - a.version), [versions]);
  const [targetVersion, setTargetVersion] = useState<number | null>(offered);
  useEffect(() => setTargetVersion(offered), [offered]);
  const targetDoc = useVersionDoc(graphId, targetVersion);
  const [price, setPrice] = useState(String(t.priceCredits));
  const [visibility, setVisibility] = useState<TemplateVisibility>(t.visibility);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  // A change (ours or, after a 409, someone else's) resets the form to what is stored.
  useEffect(() => {
    setPrice(String(t.priceCredits));
    setVisibility(t.visibility);
  }, [t.revision, t.priceCredits, t.visibility]);

  const act = async (run: () => Promise<ChangeResult>) => {
    setBusy(true);
    setProblem(null);
    const result = await run();
    setBusy(false);
    if (result.ok) setNote('');
    else setProblem(result.message);
  };
  const priceNum = Number(price);
  const edited = (Number.isInteger(priceNum) && priceNum >= 0 && priceNum !== t.priceCredits) || visibility !== t.visibility;
  const repointable = targetVersion != null && targetDoc != null && targetVersion !== t.version;

  return (
    <section className={`sf-lifecycle ${t.published ? '' : 'is-unpublished'}`} data-testid={`published-${t.slug}`} data-version={t.version} data-revision={t.revision}>
      <div className="sf-lifecycle-head">
        <strong>{t.name}</strong> <span className="sf-mono sf-small">{t.slug}</span>{' '}
        <span className={`sf-badge ${t.published ? 'sf-badge-done' : ''}`} data-testid="published-state">
          {t.published ? 'published' : 'unpublished'}
        </span>{' '}
        <span className="sf-badge">{t.visibility}</span>
      </div>
      <div className="sf-small" data-testid="published-summary">
        runs <b>v{t.version}</b>
        {t.latestVersion > t.version ? <span className="sf-muted"> · v{t.latestVersion} latest</span> : null} · {t.priceCredits} credit{t.priceCredits === 1 ? '' : 's'} per shot ·
        published {formatTime(t.publishedAt)}
        {t.publishedBy ? ` by ${t.publishedBy}` : ''}
        {t.unpublishedAt ? ` · unpublished ${formatTime(t.unpublishedAt)}` : ''}
      </div>
      <div className="sf-small sf-muted">
        Customers may change: {t.exposedParams.length ? t.exposedParams.map((e) => `${e.label} (${e.nodeId}.${e.param})`).join(', ') : 'nothing'}
      </div>

      <div className="sf-lifecycle-edit">
        <label className="sf-small">
          Repoint to{' '}
          <select value={targetVersion ?? ''} onChange={(e) => setTargetVersion(Number(e.target.value))} data-testid={`repoint-version-${t.slug}`}>
            {sorted.map((v) => (
              <option key={v.id} value={v.version}>
                v{v.version}
                {v.version === t.version ? ' (runs now)' : ''} — {v.message || 'no message'}
              </option>
            ))}
          </select>
        </label>
      </div>
      {repointable ? <RepointPreview template={t} targetVersion={targetVersion} targetDoc={targetDoc} /> : null}

      <div className="sf-lifecycle-edit">
        <label className="sf-small">
          Price{' '}
          <input type="number" min={0} step={1} value={price} onChange={(e) => setPrice(e.target.value)} data-testid={`lifecycle-price-${t.slug}`} />
        </label>
        <label className="sf-small">
          Who can use it{' '}
          <select value={visibility} onChange={(e) => setVisibility(e.target.value as TemplateVisibility)} data-testid={`lifecycle-visibility-${t.slug}`}>
            <option value="private">private</option>
            <option value="public">public</option>
          </select>
        </label>
        <input className="sf-lifecycle-note" placeholder="Note for the changelog (optional)" value={note} onChange={(e) => setNote(e.target.value)} data-testid={`lifecycle-note-${t.slug}`} />
      </div>
      <div className="sf-btn-row">
        {repointable ? (
          <button
            type="button"
            className="sf-btn sf-btn-primary"
            disabled={busy}
            onClick={() => void act(() => updateTemplate(t, { graphVersionId: versionIdOf(targetVersion), note: note || undefined }, `Template “{slug}” now runs v${targetVersion}`))}
            data-testid={`btn-repoint-${t.slug}`}
          >
            Repoint to v{targetVersion}
          </button>
        ) : null}
        <button
          type="button"
          className="sf-btn"
          disabled={busy || !edited}
          onClick={() => void act(() => updateTemplate(t, { priceCredits: priceNum, visibility, note: note || undefined }))}
          data-testid={`btn-save-template-${t.slug}`}
        >
          Save price and visibility
        </button>
        {t.published ? (
          <button type="button" className="sf-btn sf-btn-danger" disabled={busy} onClick={() => void act(() => unpublishTemplate(t, { note: note || undefined }))} data-testid={`btn-unpublish-${t.slug}`}>
            Unpublish
          </button>
        ) : (
          <button type="button" className="sf-btn" disabled={busy} onClick={() => void act(() => republishTemplate(t, { note: note || undefined }))} data-testid={`btn-republish-${t.slug}`}>
            Publish again
          </button>
        )}
      </div>
      {problem ? (
        <div className="sf-error-box" data-testid={`lifecycle-error-${t.slug}`}>
          {problem}
        </div>
      ) : null}
      <Changelog template={t} />
    </section>
  );
}

/** A version's document, loaded when asked for (null while loading or without a version). */
function useVersionDoc(graphId: string | null, version: number | null): GraphDoc | null {
  const [loaded, setLoaded] = useState<{ key: string; doc: GraphDoc } | null>(null);
  const key = `${graphId}/${version}`;
  useEffect(() => {
    if (!graphId || version == null) return;
    let live = true;
    api.getVersion(graphId, version).then((v) => live && setLoaded({ key, doc: v.doc }), () => undefined);
    return () => {
      live = false;
    };
  }, [graphId, version, key]);
  return loaded?.key === key ? loaded.doc : null;
}

function versionIdOf(version: number): string | undefined {
  return useEditor.getState().graph.versions.find((v) => v.version === version)?.id;
}

type ParamDiff = { key: string; label: string; state: 'kept' | 'changed' | 'missing'; from?: unknown; to?: unknown };

/** How the exposed params fare in the target version: kept, their graph value changed, or missing (the server refuses that). */
function RepointPreview({ template: t, targetVersion, targetDoc }: { template: ManagedTemplate; targetVersion: number; targetDoc: GraphDoc }) {
  const graphId = useEditor((s) => s.graph.id);
  const catalog = useEditor((s) => s.catalog);
  const currentDoc = useVersionDoc(graphId, t.version);
  const diffs = useMemo(() => exposedDiff(t, currentDoc, targetDoc, catalog), [t, currentDoc, targetDoc, catalog]);
  return (
    <div className="sf-repoint" data-testid={`repoint-preview-${t.slug}`}>
      <div className="sf-small">
        v{t.version} → <b>v{targetVersion}</b>: the slug, price and labels stay.
      </div>
      <ul className="sf-repoint-params">
        {diffs.map((d) => (
          <li key={d.key} className={`diff-${d.state === 'missing' ? 'removed' : d.state}`} data-testid={`repoint-param-${d.key}`} data-state={d.state}>
            <span className="sf-mono sf-small">{d.key}</span> <span className="sf-small">{d.label}</span>{' '}
            <span className="sf-small sf-muted">
              {d.state === 'missing'
                ? `missing in v${targetVersion}: repointing is refused`
                : d.state === 'changed'
                  ? `default ${JSON.stringify(d.from)} → ${JSON.stringify(d.to)}`
                  : 'unchanged'}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function exposedDiff(t: ManagedTemplate, from: GraphDoc | null, to: GraphDoc, catalog: Record<string, NodeTypeDescriptor>): ParamDiff[] {
  const valueIn = (doc: GraphDoc | null, nodeId: string, param: string): { exists: boolean; value?: unknown } => {
    const node = doc?.nodes.find((n) => n.id === nodeId);
    const schema = node ? catalog[node.type]?.params.properties[param] : undefined;
    return schema ? { exists: true, value: node!.params?.[param] ?? schema.default } : { exists: false };
  };
  return t.exposedParams.map((e) => {
    const key = `${e.nodeId}.${e.param}`;
    const before = valueIn(from, e.nodeId, e.param);
    const after = valueIn(to, e.nodeId, e.param);
    if (!after.exists) return { key, label: e.label, state: 'missing' };
    if (from && JSON.stringify(before.value) !== JSON.stringify(after.value)) return { key, label: e.label, state: 'changed', from: before.value, to: after.value };
    return { key, label: e.label, state: 'kept' };
  });
}

const ACTION_TITLES: Record<TemplateChange['action'], string> = {
  published: 'Published',
  updated: 'Changed',
  unpublished: 'Unpublished',
  republished: 'Published again',
};

function Changelog({ template }: { template: ManagedTemplate }) {
  const changes = usePublished((s) => s.changes);
  const [log, setLog] = useState<TemplateChange[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api.templateChangelog(template.id).then(
      (entries) => live && setLog(entries),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [template.id, template.revision, changes]);
  return (
    <details className="sf-changelog" open data-testid={`changelog-${template.slug}`}>
      <summary className="sf-small">Changelog</summary>
      {error ? <div className="sf-error-box">{error}</div> : null}
      {!log && !error ? <div className="sf-muted sf-small">Loading…</div> : null}
      <ol>
        {(log ?? []).map((c) => (
          <li key={c.id} className="sf-small" data-testid="changelog-entry" data-action={c.action}>
            <b>{c.action === 'updated' && c.fromVersion !== c.toVersion ? 'Repointed' : ACTION_TITLES[c.action]}</b> <span className="sf-muted">{formatTime(c.changedAt)}{c.changedBy ? ` · ${c.changedBy}` : ''}</span>
            <div>{describe(c)}</div>
            {c.note ? <div className="sf-muted">“{c.note}”</div> : null}
          </li>
        ))}
      </ol>
    </details>
  );
}

function describe(c: TemplateChange): string {
  const parts: string[] = [];
  if (c.action === 'published' && c.toVersion != null) parts.push(`v${c.toVersion}`);
  if (c.action === 'unpublished') parts.push(`sellers no longer see it (was v${c.toVersion})`);
  if (c.action === 'republished') parts.push(`sellers see it again (v${c.toVersion})`);
  if (c.action === 'updated' && c.fromVersion !== c.toVersion) parts.push(`v${c.fromVersion} → v${c.toVersion}`);
  const field = (name: string, title: string, show: (v: unknown) => string) => {
    const f = c.changes[name];
    if (!f) return;
    parts.push(f.from === undefined ? `${title} ${show(f.to)}` : `${title} ${show(f.from)} → ${show(f.to)}`);
  };
  field('priceCredits', 'price', (v) => `${String(v)} cr`);
  field('visibility', 'visibility', String);
  field('name', 'name', (v) => `“${String(v)}”`);
  if (c.changes.description) parts.push('description edited');
  if (c.changes.exposedParams) parts.push('exposed params changed');
  return parts.join(' · ') || '—';
}
