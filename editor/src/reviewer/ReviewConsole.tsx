import { useCallback, useEffect, useRef, useState } from 'react';
import type { Me, ReviewItem } from '@studioflow/runtime/graph';
import { ReviewDetailPane, type PaneMode } from './ReviewDetailPane';
import { duration, fetchQueue, watchReviews, type LiveState } from './reviews-api';

/** The fallback when the socket drops or an event is lost. */
const REFETCH_MS = 10_000;

const keyOf = (i: ReviewItem) => `${i.runId}/${i.nodeId}`;

/** The queue (oldest first) beside the selected item; live over Socket.IO, re-fetched every 10 s as well. */
export function ReviewConsole({ me, onSignOut }: { me: Me; onSignOut(): void }) {
  const [items, setItems] = useState<ReviewItem[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [showDetail, setShowDetail] = useState(false);
  const [mode, setMode] = useState<PaneMode>('view');
  const [live, setLive] = useState<LiveState>('connecting');
  const [notice, setNotice] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [approveSignal, setApproveSignal] = useState(0);
  const inFlight = useRef(false);

  const refresh = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    try {
      const next = await fetchQueue();
      setItems(next);
      setLoadError(null);
      setSelected((s) => (s && next.some((i) => keyOf(i) === s) ? s : next[0] ? keyOf(next[0]) : null));
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFETCH_MS);
    const stop = watchReviews(() => void refresh(), setLive);
    return () => {
      clearInterval(timer);
      stop();
    };
  }, [refresh]);

  const list = items ?? [];
  const index = list.findIndex((i) => keyOf(i) === selected);
  const item = index >= 0 ? list[index] : null;

  const select = (i: ReviewItem | undefined) => {
    if (!i) return;
    setSelected(keyOf(i));
    setMode('view');
    setShowDetail(true);
  };

  // j/k next/prev, a approve, r reject — not while typing in a form field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey || target?.closest('input, textarea, select, [contenteditable]')) return;
      if (e.key === 'Escape') setMode('view');
      if (mode !== 'view') return;
      if (e.key === 'j') select(list[Math.min(list.length - 1, index + 1)]);
      else if (e.key === 'k') select(list[Math.max(0, index - 1)]);
      else if (e.key === 'a' && item) setApproveSignal((n) => n + 1);
      else if (e.key === 'r' && item) setMode('reject');
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(t);
  }, [notice]);

  const overdue = list.filter((i) => i.overdue).length;
  return (
    <div className={`rv-shell${showDetail && item ? ' rv-show-detail' : ''}`}>
      <header className="rv-top">
        <div className="rv-brand">
          <span className="rv-logo" aria-hidden />
          <strong>Studioflow review</strong>
          <span className="rv-muted rv-tenant">{me.tenant.name}</span>
        </div>
        <div className="rv-top-right">
          <span className={`rv-live rv-live-${live}`} title={live === 'live' ? 'New items appear as they park' : 'Reconnecting; the queue refreshes every 10 s'}>
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting' : 'Offline'}
          </span>
          <span className="rv-muted rv-user">{me.user.name || me.user.email}</span>
          <button type="button" className="rv-btn rv-btn-small" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <div className="rv-main">
        <aside className="rv-queue" aria-label="Review queue">
          <div className="rv-queue-head">
            <h1>Queue</h1>
            <span className="rv-muted">
              {list.length} waiting{overdue ? <strong className="rv-overdue"> · {overdue} overdue</strong> : null}
            </span>
          </div>
          {loadError && <p className="rv-error">{loadError}</p>}
          {items === null && !loadError && <p className="rv-muted rv-pad">Loading…</p>}
          {items !== null && list.length === 0 && <p className="rv-empty">Nothing to review. New shoots appear here as they park.</p>}
          <ol className="rv-items">
            {list.map((i) => {
              const f = i.candidates[0]?.fidelity;
              const clip = i.candidates[0]?.clip;
              return (
                <li key={keyOf(i)}>
                  <button type="button" className={`rv-item${keyOf(i) === selected ? ' rv-item-selected' : ''}`} onClick={() => select(i)} data-run-id={i.runId}>
                    {i.candidates[0] ? <img src={i.candidates[0].image.url} alt="" className="rv-thumb" /> : <span className="rv-thumb" />}
                    <span className="rv-item-body">
                      <span className="rv-item-title">{i.template?.name ?? 'Test run'}</span>
                      <span className={i.overdue ? 'rv-overdue' : 'rv-muted'}>
                        {duration(i.ageSeconds)} / {duration(i.slaMinutes * 60)}
                        {i.overdue ? ' overdue' : ''}
                      </span>
                      <span className="rv-scores">
                        {f && <span className={`rv-chip ${f.pass ? 'rv-pass' : 'rv-fail'}`}>fidelity {f.score.toFixed(2)}</span>}
                        {clip && <span className="rv-chip">CLIP {clip.score.toFixed(2)}</span>}
                      </span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
          <p className="rv-keys rv-muted">
            <kbd>j</kbd>/<kbd>k</kbd> next/previous · <kbd>a</kbd> approve · <kbd>r</kbd> reject
          </p>
        </aside>
        <main className="rv-pane">
          {item ? (
            <ReviewDetailPane
              key={keyOf(item)}
              item={item}
              mode={mode}
              setMode={setMode}
              approveSignal={approveSignal}
              onBack={() => setShowDetail(false)}
              onDecided={(message) => {
                setNotice(message);
                setShowDetail(false);
                void refresh();
              }}
            />
          ) : (
            <p className="rv-empty">{list.length ? 'Pick a shoot from the queue.' : 'All caught up.'}</p>
          )}
        </main>
      </div>
      {notice && (
        <div className="rv-toast" role="status">
          {notice}
        </div>
      )}
    </div>
  );
}
