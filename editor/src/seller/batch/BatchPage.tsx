import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { BATCH_FORM, type BatchDetail, type BatchItemStatus, type BatchProblem, type BatchView, type TemplateListing } from '@studioflow/runtime/graph';
import { apiFetch, HttpError } from '../../shared/session';
import { BALANCE_CHANGED } from '../live';
import './batch.css';

/** How often an unfinished batch is read again. */
const POLL_MS = 2000;

const STATUS_LABEL: Record<BatchItemStatus, string> = {
  waiting: 'Waiting',
  queued: 'Queued',
  running: 'Working',
  awaiting_review: 'In review',
  completed: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/**
 * Catalogs for the shoot app: upload a zip of product photos (and optionally a CSV of file names and
 * titles) for one template, follow the batch's progress item by item, cancel it, retry a failed item,
 * and download every result as one zip. Self-contained: the app mounts it in its nav.
 */
export function BatchPage({ onOpenShoot }: { onOpenShoot?: (shootId: string) => void }) {
  const [batches, setBatches] = useState<BatchView[]>([]);
  const [openId, setOpenId] = useState<string | null>(null);
  const reload = useCallback(() => apiFetch<BatchView[]>('GET', '/batches?limit=20').then(setBatches, () => undefined), []);
  useEffect(() => void reload(), [reload]);

  return (
    <div className="sfb">
      <h1 className="sfb-title">Catalog</h1>
      <NewBatch
        onCreated={(b) => {
          void reload();
          setOpenId(b.id);
        }}
      />
      {openId && <BatchPanel key={openId} id={openId} onChanged={() => void reload()} onOpenShoot={onOpenShoot} />}
      {batches.length > 0 && (
        <section className="sfb-card" aria-label="Your catalogs">
          <h2 className="sfb-h2">Your catalogs</h2>
          <ul className="sfb-batches">
            {batches.map((b) => (
              <li key={b.id}>
                <button type="button" className={`sfb-batch${b.id === openId ? ' is-open' : ''}`} onClick={() => setOpenId(b.id)}>
                  <span className="sfb-batch-when">{new Date(b.createdAt).toLocaleString()}</span>
                  <span className="sfb-batch-count">
                    {b.progress.completed}/{b.progress.total} done
                  </span>
                  <span className={`sfb-chip is-${b.status}`}>{b.status === 'active' ? 'In progress' : b.status === 'done' ? 'Finished' : 'Cancelled'}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function NewBatch({ onCreated }: { onCreated: (b: BatchView) => void }) {
  const [templates, setTemplates] = useState<TemplateListing[]>([]);
  const [templateId, setTemplateId] = useState('');
  const [archive, setArchive] = useState<File | null>(null);
  const [csv, setCsv] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; problems: BatchProblem[] } | null>(null);
  // One key per chosen upload: sending the same catalog twice (a double tap, a retry after a lost answer) is charged once.
  const idempotencyKey = useMemo(() => crypto.randomUUID(), [archive, csv, templateId]);

  useEffect(() => {
    apiFetch<TemplateListing[]>('GET', '/templates').then((list) => {
      setTemplates(list);
      setTemplateId((id) => id || list[0]?.id || '');
    }, () => undefined);
  }, []);
  const template = templates.find((t) => t.id === templateId);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!archive || !templateId) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.set(BATCH_FORM.archive, archive);
    if (csv) form.set(BATCH_FORM.catalog, csv);
    form.set(BATCH_FORM.templateId, templateId);
    try {
      const batch = await apiFetch<BatchView>('POST', '/batches', form, { 'Idempotency-Key': idempotencyKey });
      setArchive(null);
      setCsv(null);
      onCreated(batch);
    } catch (err) {
      const problems = err instanceof HttpError ? ((err.body as { problems?: BatchProblem[] } | null)?.problems ?? []) : [];
      setError({ message: (err as Error).message, problems });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="sfb-card sfb-new" onSubmit={(e) => void submit(e)}>
      <h2 className="sfb-h2">New catalog</h2>
      <p className="sfb-muted">A zip of product photos. Add a CSV (file, title) to name each product.</p>
      <label className="sfb-field">
        <span>Template</span>
        <select value={templateId} onChange={(e) => setTemplateId(e.target.value)} required data-testid="batch-template">
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name} — {t.priceCredits} credit{t.priceCredits === 1 ? '' : 's'} per photo
            </option>
          ))}
        </select>
      </label>
      <div className="sfb-files">
        <FilePick label="Photos (.zip)" accept=".zip,application/zip" file={archive} onFile={setArchive} testId="batch-zip" />
        <FilePick label="Catalog (.csv, optional)" accept=".csv,text/csv" file={csv} onFile={setCsv} testId="batch-csv" />
      </div>
      {template && <p className="sfb-muted">Each photo is charged {template.priceCredits} credit{template.priceCredits === 1 ? '' : 's'} when it starts; nothing for photos you cancel before they start.</p>}
      {error && (
        <div className="sfb-error" role="alert">
          <strong>{error.message}</strong>
          {error.problems.length > 1 && (
            <ul>
              {error.problems.slice(0, 20).map((p, i) => (
                <li key={i}>
                  {p.item && <code>{p.item}</code>} {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <button type="submit" className="sfb-primary" disabled={!archive || !templateId || busy}>
        {busy ? 'Checking the catalog…' : 'Start catalog'}
      </button>
    </form>
  );
}

function FilePick({ label, accept, file, onFile, testId }: { label: string; accept: string; file: File | null; onFile: (f: File | null) => void; testId: string }) {
  return (
    <label className={`sfb-drop${file ? ' has-file' : ''}`}>
      <span className="sfb-drop-label">{label}</span>
      <span className="sfb-drop-file">{file ? `${file.name} · ${(file.size / 1024 / 1024).toFixed(1)} MB` : 'Choose a file'}</span>
      <input type="file" accept={accept} data-testid={testId} onChange={(e) => onFile(e.target.files?.[0] ?? null)} />
    </label>
  );
}

function BatchPanel({ id, onChanged, onOpenShoot }: { id: string; onChanged: () => void; onOpenShoot?: (shootId: string) => void }) {
  const [batch, setBatch] = useState<BatchDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => apiFetch<BatchDetail>('GET', `/batches/${id}`).then(setBatch, (err) => setError((err as Error).message)), [id]);

  useEffect(() => {
    void load();
  }, [load]);
  const active = batch?.status === 'active';
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, load]);
  // Items are charged as they start and refunded when cancelled: the app's header reads the balance again.
  const charged = batch?.chargedCredits;
  useEffect(() => {
    if (charged !== undefined) dispatchEvent(new Event(BALANCE_CHANGED));
  }, [charged]);
  const wasActive = useRef(active);
  useEffect(() => {
    if (wasActive.current && !active) onChanged();
    wasActive.current = active;
  }, [active, onChanged]);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      await load();
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  if (!batch) return <section className="sfb-card">{error ?? 'Loading…'}</section>;
  const p = batch.progress;
  const finished = p.completed + p.failed + p.cancelled;
  const pct = (n: number) => `${p.total ? (100 * n) / p.total : 0}%`;
  return (
    <section className="sfb-card sfb-panel" aria-label="Catalog progress" data-testid="batch-panel">
      <div className="sfb-panel-head">
        <div>
          <h2 className="sfb-h2">
            {finished} of {p.total} finished
          </h2>
          <p className="sfb-muted" data-testid="batch-counts">
            {p.completed} done · {p.running} working · {p.waiting} waiting{p.failed ? ` · ${p.failed} failed` : ''}
            {p.cancelled ? ` · ${p.cancelled} cancelled` : ''} · {batch.chargedCredits} credits
          </p>
        </div>
        <div className="sfb-actions">
          {p.completed > 0 && (
            <a className="sfb-secondary" href={`/api/v1/batches/${batch.id}/results.zip`} download data-testid="batch-download">
              Download all
            </a>
          )}
          {active && (
            <button type="button" className="sfb-danger" onClick={() => void act(() => apiFetch('POST', `/batches/${batch.id}/cancel`))}>
              Cancel
            </button>
          )}
        </div>
      </div>
      <div
        className="sfb-progress"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={p.total}
        aria-valuenow={finished}
        aria-label="Catalog progress"
        data-testid="batch-progress"
      >
        <span className="sfb-bar is-completed" style={{ width: pct(p.completed) }} />
        <span className="sfb-bar is-failed" style={{ width: pct(p.failed) }} />
        <span className="sfb-bar is-cancelled" style={{ width: pct(p.cancelled) }} />
        <span className="sfb-bar is-running" style={{ width: pct(p.running) }} />
      </div>
      {error && (
        <div className="sfb-error" role="alert">
          {error}
        </div>
      )}
      <ul className="sfb-items">
        {batch.items.map((item) => (
          <li key={item.id} className={`sfb-item is-${item.status}`} data-testid="batch-item">
            <div className="sfb-thumb">
              {item.results.thumbnail ? <img src={item.results.thumbnail} alt="" loading="lazy" /> : <span aria-hidden="true">{item.id}</span>}
            </div>
            <div className="sfb-item-text">
              <span className="sfb-item-name" title={item.name}>
                {item.title ?? item.name}
              </span>
              {item.error ? <span className="sfb-item-error">{item.error}</span> : item.title && <span className="sfb-muted">{item.name}</span>}
            </div>
            <span className={`sfb-chip is-${item.status}`}>{STATUS_LABEL[item.status]}</span>
            {item.status === 'failed' && batch.status !== 'cancelled' && (
              <button type="button" className="sfb-secondary sfb-small" onClick={() => void act(() => apiFetch('POST', `/batches/${batch.id}/items/${item.id}/retry`))}>
                Retry
              </button>
            )}
            {item.status === 'completed' && item.shootId && onOpenShoot && (
              <button type="button" className="sfb-link" onClick={() => onOpenShoot(item.shootId!)}>
                Open
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
