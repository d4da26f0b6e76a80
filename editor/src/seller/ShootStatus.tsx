import type { ShootView } from '@studioflow/runtime/graph';
import { credits } from './NewShoot';
import { plainReason, progressOf } from './stages';

/** The live bar: the share of the shoot done and the step in progress, in plain words. */
export function ProgressBar({ shoot, running, compact = false }: { shoot: ShootView; running: Record<string, number>; compact?: boolean }) {
  const { fraction, stage } = progressOf(shoot.status, shoot.nodes, running);
  const percent = Math.round(fraction * 100);
  const words = shoot.status === 'awaiting_review' ? 'A reviewer is checking this shot' : (stage ?? (shoot.status === 'queued' ? 'Waiting for a free studio' : fraction > 0 ? 'Finishing up' : 'Starting'));
  return (
    <span className={`sf-progress${compact ? ' is-compact' : ''}`} data-testid="progress">
      <span className="sf-progress-label">
        <span data-testid="stage">{words}</span>
        <span className="sf-muted">{percent}%</span>
      </span>
      <span className="sf-progress-track" role="progressbar" aria-label={words} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <span className="sf-progress-fill" style={{ width: `${Math.max(3, percent)}%` }} />
      </span>
    </span>
  );
}

/** A failed or cancelled shoot: why, in plain words, and the credits given back. */
export function FailureNote({ shoot }: { shoot: Pick<ShootView, 'status' | 'error' | 'refundedCredits'> }) {
  return (
    // Spans, not paragraphs: the note also sits inside a gallery card's button.
    <span className="sf-failure" role="status" data-testid="failure">
      <span className="sf-failure-title">{shoot.status === 'cancelled' ? 'Shoot cancelled' : 'This shot could not be made'}</span>
      <span data-testid="failure-reason">{plainReason(shoot.error)}</span>
      {shoot.refundedCredits > 0 ? (
        <span className="sf-refund" data-testid="refund">
          {credits(shoot.refundedCredits)} refunded to your balance.
        </span>
      ) : (
        <span className="sf-muted">No credits were kept for it.</span>
      )}
    </span>
  );
}
