import { useEffect, useRef, useState } from 'react';
import type { ReviewAuditEntry, ReviewCandidate, ReviewImage, ReviewItem } from '@studioflow/runtime/graph';
import { HttpError } from '../shared/session';
import { AdjustForm } from './AdjustForm';
import { duration, fetchDetail, sendDecision } from './reviews-api';

export type PaneMode = 'view' | 'reject' | 'adjust';

interface Props {
  item: ReviewItem;
  mode: PaneMode;
  setMode(mode: PaneMode): void;
  /** Called after a decision was taken (or refused as already taken), so the queue re-fetches. */
  onDecided(message: string): void;
  onBack(): void;
  approveSignal: number;
}

/** One parked shoot: the photo beside its candidate(s), the checks, the instructions and the three decisions. */
export function ReviewDetailPane({ item, mode, setMode, onDecided, onBack, approveSignal }: Props) {
  const [zoom, setZoom] = useState<ReviewImage | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [reason, setReason] = useState('');
  const [audit, setAudit] = useState<ReviewAuditEntry[]>([]);

  useEffect(() => {
    setError(null);
    setProblems([]);
    setReason('');
    let live = true;
    fetchDetail(item.runId)
      .then((d) => live && setAudit(d.audit))
      .catch(() => live && setAudit([]));
    return () => {
      live = false;
    };
  }, [item.runId, item.generation]);

  const decide = async (body: Parameters<typeof sendDecision>[1], done: string) => {
    setBusy(true);
    setError(null);
    setProblems([]);
    try {
      await sendDecision(item.runId, { nodeId: item.nodeId, ...body });
      setMode('view');
      onDecided(done);
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) {
        onDecided('Someone else decided this shoot first.');
      } else if (err instanceof HttpError && err.status === 422) {
        const list = (err.body as { problems?: Array<{ message: string }> } | null)?.problems;
        setProblems(list?.length ? list.map((p) => p.message) : [err.message]);
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  };
  const approve = () => decide({ decision: 'approve' }, 'Approved: the shoot goes on to delivery.');

  // The console's `a` shortcut: a press after this pane opened (a pane opened later must not
  // inherit an earlier press and approve the next shoot by itself).
  const seenSignal = useRef(approveSignal);
  useEffect(() => {
    if (approveSignal === seenSignal.current) return;
    seenSignal.current = approveSignal;
    if (!busy) void approve();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [approveSignal]);

  // The reject and adjust forms open where the buttons were, below the images: bring them into view.
  const actions = useRef<HTMLElement>(null);
  useEffect(() => {
    if (mode !== 'view') actions.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
  }, [mode]);

  const overdueBy = item.ageSeconds - item.slaMinutes * 60;
  return (
    <article className="rv-detail" aria-label={`Review of ${item.template?.name ?? 'shoot'} ${item.runId.slice(0, 8)}`}>
      <header className="rv-detail-head">
        <button type="button" className="rv-btn rv-back" onClick={onBack}>
          ‹ Queue
        </button>
        <div>
          <h2>{item.template?.name ?? 'Test run'}</h2>
          <p className="rv-muted">
            Shoot <code>{item.runId.slice(0, 8)}</code> · waiting {duration(item.ageSeconds)} of {duration(item.slaMinutes * 60)} SLA
            {item.overdue && <strong className="rv-overdue"> · overdue by {duration(overdueBy)}</strong>}
          </p>
        </div>
      </header>

      <section className="rv-images">
        <Figure label="Original photo" image={item.original} onZoom={setZoom} />
        {item.candidates.map((c, i) => (
          <Figure key={c.image.hash} label={item.candidates.length > 1 ? `Candidate ${i + 1}` : 'Candidate'} image={c.image} onZoom={setZoom} />
        ))}
      </section>

      {item.doubts?.length ? (
        <section className="rv-doubts" data-testid="review-doubts">
          <h3>Why this shoot waits for you</h3>
          {item.doubts.map((d) => (
            <div key={`${d.nodeId}.${d.port}`} className="rv-doubt">
              <Figure label={`${d.nodeId}.${d.port} (trust ${d.score.toFixed(2)})`} image={d.image} onZoom={setZoom} />
              <p data-testid="review-doubt-reason">{d.reason}</p>
            </div>
          ))}
        </section>
      ) : null}

      <section className="rv-instructions">
        <h3>Instructions</h3>
        <p>{item.instructions || 'No instructions on this review node.'}</p>
      </section>

      {item.candidates.some((c) => c.fidelity || c.clip) && (
        <section>
          <h3>Checks</h3>
          {item.candidates.map((c, i) => (
            <Checklist key={c.image.hash} candidate={c} label={item.candidates.length > 1 ? `Candidate ${i + 1}` : null} />
          ))}
        </section>
      )}

      {item.attempts && item.attempts.length > 0 && (
        <section>
          <h3>Attempts before review</h3>
          <ol className="rv-attempts">
            {item.attempts.map((a) => (
              <li key={a.attempt}>
                <span className={a.passed ? 'rv-pass' : 'rv-fail'}>{a.score.toFixed(2)}</span> {Object.entries(a.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}
              </li>
            ))}
          </ol>
        </section>
      )}

      <section ref={actions} className={`rv-actions${mode === 'view' ? ' rv-actions-bar' : ''}`} aria-label="Decision">
        {mode === 'view' && (
          <div className="rv-row">
            <button type="button" className="rv-btn rv-btn-approve" disabled={busy} onClick={() => void approve()}>
              Approve <kbd>a</kbd>
            </button>
            <button type="button" className="rv-btn rv-btn-reject" disabled={busy} onClick={() => setMode('reject')}>
              Reject <kbd>r</kbd>
            </button>
            <button type="button" className="rv-btn" disabled={busy || item.adjustable.length === 0} onClick={() => setMode('adjust')}>
              Adjust &amp; retry
            </button>
          </div>
        )}
        {mode === 'reject' && (
          <form
            className="rv-reject"
            onSubmit={(e) => {
              e.preventDefault();
              if (reason.trim()) void decide({ decision: 'reject', reason: reason.trim() }, 'Rejected: the shoot failed and was refunded.');
            }}
          >
            <label className="rv-field">
              <span>Why is it rejected? The seller sees this.</span>
              <textarea autoFocus required value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} placeholder="e.g. the label text is distorted" />
            </label>
            <div className="rv-row">
              <button type="submit" className="rv-btn rv-btn-reject" disabled={busy || !reason.trim()}>
                Reject and refund
              </button>
              <button type="button" className="rv-btn" onClick={() => setMode('view')}>
                Cancel
              </button>
            </div>
          </form>
        )}
        {mode === 'adjust' && (
          <AdjustForm
            nodes={item.adjustable}
            defaultNodeId={item.defaultRerunFrom}
            busy={busy}
            problems={problems}
            onCancel={() => setMode('view')}
            onSubmit={(nodeId, params, note) =>
              void decide({ decision: 'retry', rerunFrom: nodeId, ...(Object.keys(params).length ? { params } : {}), ...(note.trim() ? { reason: note.trim() } : {}) }, 'Retrying: the shoot will come back when it parks again.')
            }
          />
        )}
        {error && (
          <p className="rv-error" role="alert">
            {error}
          </p>
        )}
      </section>

      {audit.length > 0 && (
        <section>
          <h3>Audit trail</h3>
          <ul className="rv-audit">
            {audit.map((a) => (
              <li key={a.id}>
                <strong>{a.decision}</strong> by {a.actor.name ?? a.actor.email ?? a.actor.userId} ({a.actor.role}) · {new Date(a.decidedAt).toLocaleString()}
                {a.reason && <> · “{a.reason}”</>}
                {a.rerunFrom && (
                  <div className="rv-muted">
                    {a.rerunFrom}: {changedParams(a.paramsBefore, a.paramsAfter) || 'same params'}
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}

      {zoom && (
        <div className="rv-zoom" role="dialog" aria-label="Zoomed image" onClick={() => setZoom(null)}>
          <img src={zoom.url} alt="" />
        </div>
      )}
    </article>
  );
}

function changedParams(before: Record<string, unknown> | null, after: Record<string, unknown> | null): string {
  if (!after) return '';
  return Object.keys(after)
    .filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k} ${JSON.stringify(before?.[k])} → ${JSON.stringify(after[k])}`)
    .join(', ');
}

function Figure({ label, image, onZoom }: { label: string; image: ReviewImage | null; onZoom(i: ReviewImage): void }) {
  return (
    <figure className="rv-figure">
      {image ? (
        <button type="button" className="rv-figure-btn" onClick={() => onZoom(image)} aria-label={`Zoom ${label.toLowerCase()}`}>
          <img src={image.url} alt={label} loading="lazy" />
        </button>
      ) : (
        <div className="rv-figure-empty">no image</div>
      )}
      <figcaption>
        {label}
        {image?.width ? <span className="rv-muted"> · {image.width}×{image.height}</span> : null}
      </figcaption>
    </figure>
  );
}

/** The scores as a pass/fail list with their numbers: the overall fidelity, each part against the threshold, CLIP. */
function Checklist({ candidate, label }: { candidate: ReviewCandidate; label: string | null }) {
  const f = candidate.fidelity;
  return (
    <div className="rv-checklist">
      {label && <h4>{label}</h4>}
      <ul>
        {f && (
          <li className={f.pass ? 'rv-pass' : 'rv-fail'}>
            <span className="rv-mark">{f.pass ? '✓' : '✗'}</span> Product fidelity <b>{f.score.toFixed(2)}</b> <span className="rv-muted">(pass ≥ {f.threshold})</span>
            {f.reason && <div className="rv-muted">{f.reason}</div>}
          </li>
        )}
        {f &&
          Object.entries(f.partScores).map(([part, score]) => (
            <li key={part} className={`rv-sub ${score >= f.threshold ? 'rv-pass' : 'rv-fail'}`}>
              <span className="rv-mark">{score >= f.threshold ? '✓' : '✗'}</span> {part} <b>{score.toFixed(2)}</b>
              {f.parts[part] !== undefined && <span className="rv-muted"> · measured {f.parts[part]}</span>}
            </li>
          ))}
        {candidate.clip && (
          <li>
            <span className="rv-mark">◦</span> CLIP match <b>{candidate.clip.score.toFixed(2)}</b>
            {candidate.clip.similarity !== undefined && <span className="rv-muted"> · cosine {candidate.clip.similarity.toFixed(3)}</span>}
          </li>
        )}
      </ul>
    </div>
  );
}
