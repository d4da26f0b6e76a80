import { useEffect, useState } from 'react';
import type { ShootSummary } from '@studioflow/runtime/graph';
import { listShoots } from './api';
import { isFinished, useLiveShoot } from './live';
import { FailureNote, ProgressBar } from './ShootStatus';

/** Every shoot of the seller, newest first; the ones in progress update live. */
export function Gallery({ onOpen, onNew }: { onOpen: (id: string) => void; onNew: () => void }) {
  const [shoots, setShoots] = useState<ShootSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listShoots().then(setShoots, (err: Error) => setError(err.message));
  }, []);

  return (
    <div className="sf-page">
      <h2 className="sf-page-title">Gallery</h2>
      {error && <p className="sf-alert" role="alert">The gallery could not be loaded: {error}</p>}
      {!shoots && !error && <p className="sf-muted">Loading your shoots…</p>}
      {shoots?.length === 0 && (
        <div className="sf-empty">
          <p>No shoots yet.</p>
          <button type="button" className="sf-button sf-button-primary" onClick={onNew}>
            Start your first shoot
          </button>
        </div>
      )}
      <ul className="sf-grid" data-testid="gallery">
        {shoots?.map((s) => (
          <li key={s.id}>{isFinished(s.status) ? <FinishedCard shoot={s} onOpen={onOpen} /> : <LiveCard id={s.id} summary={s} onOpen={onOpen} />}</li>
        ))}
      </ul>
    </div>
  );
}

const STATUS_WORDS: Record<string, string> = {
  queued: 'Waiting',
  running: 'In progress',
  awaiting_review: 'With a reviewer',
  completed: 'Ready',
  failed: 'Not made',
  cancelled: 'Cancelled',
};

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function CardFrame(props: { id: string; status: string; title: string; createdAt: string; children: React.ReactNode; onOpen: (id: string) => void }) {
  const { id, status, title, createdAt, children, onOpen } = props;
  return (
    <button type="button" className="sf-card" onClick={() => onOpen(id)} data-testid="shoot-card" data-status={status} data-shoot={id}>
      {children}
      <span className="sf-card-title">{title}</span>
      <span className="sf-card-meta">
        {STATUS_WORDS[status] ?? status} · {when(createdAt)}
      </span>
    </button>
  );
}

function FinishedCard({ shoot, onOpen }: { shoot: ShootSummary; onOpen: (id: string) => void }) {
  const thumb = shoot.results.thumbnail ?? shoot.results.jpeg;
  return (
    <CardFrame id={shoot.id} status={shoot.status} title={shoot.templateName ?? 'Shoot'} createdAt={shoot.createdAt} onOpen={onOpen}>
      {shoot.status === 'completed' && thumb ? (
        <img className="sf-card-img" src={thumb} alt={`Result of ${shoot.templateName ?? 'a shoot'}`} loading="lazy" />
      ) : (
        <span className="sf-card-img sf-card-state">
          <FailureNote shoot={shoot} />
        </span>
      )}
    </CardFrame>
  );
}

/** A shoot still in progress: it subscribes to its own run and turns into its result when done. */
function LiveCard({ id, summary, onOpen }: { id: string; summary: ShootSummary; onOpen: (id: string) => void }) {
  const { shoot, running } = useLiveShoot(id);
  if (shoot && isFinished(shoot.status)) {
    return <FinishedCard shoot={{ ...summary, ...shoot, templateName: shoot.templateName ?? summary.templateName }} onOpen={onOpen} />;
  }
  return (
    <CardFrame id={id} status={shoot?.status ?? summary.status} title={summary.templateName ?? 'Shoot'} createdAt={summary.createdAt} onOpen={onOpen}>
      <span className="sf-card-img sf-card-state">
        {shoot?.original && <img className="sf-card-ghost" src={shoot.original} alt="" />}
        <span className="sf-card-progress">{shoot ? <ProgressBar shoot={shoot} running={running} compact /> : null}</span>
      </span>
    </CardFrame>
  );
}
