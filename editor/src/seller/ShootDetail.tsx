import { describeCutoutMethod, type ShootView } from '@studioflow/runtime/graph';
import { CompareSlider } from './CompareSlider';
import { useLiveShoot } from './live';
import { FailureNote, ProgressBar } from './ShootStatus';

const FORMATS = [
  { key: 'jpeg', label: 'JPEG', ext: 'jpg', hint: 'for marketplaces' },
  { key: 'webp', label: 'WebP', ext: 'webp', hint: 'smaller, for your site' },
  { key: 'png', label: 'PNG cut-out', ext: 'png', hint: 'transparent background' },
] as const;

/** One shoot: live progress while it runs; when done, before/after and the downloads. */
export function ShootDetail({ id, onBack }: { id: string; onBack: () => void }) {
  const { shoot, running, live, error } = useLiveShoot(id);
  return (
    <div className="sf-page sf-detail">
      <button type="button" className="sf-back" onClick={onBack}>
        ← Gallery
      </button>
      {!shoot && !error && <p className="sf-muted">Loading the shoot…</p>}
      {!shoot && error && <p className="sf-alert" role="alert">{error}</p>}
      {shoot && (
        <>
          <header className="sf-detail-head">
            <h2>{shoot.templateName ?? 'Shoot'}</h2>
            <p className="sf-muted">
              {new Date(shoot.createdAt).toLocaleString()} · <span data-testid="connection">{live ? 'live' : 'checking every 3 s'}</span>
            </p>
          </header>
          <ShootBody shoot={shoot} running={running} />
        </>
      )}
    </div>
  );
}

function ShootBody({ shoot, running }: { shoot: ShootView; running: Record<string, number> }) {
  if (shoot.status === 'failed' || shoot.status === 'cancelled') {
    return (
      <div className="sf-detail-grid">
        {shoot.original && <img className="sf-detail-photo" src={shoot.original} alt="Your photo" />}
        <FailureNote shoot={shoot} />
      </div>
    );
  }
  if (shoot.status !== 'completed') {
    return (
      <div className="sf-detail-grid">
        {shoot.original ? <img className="sf-detail-photo" src={shoot.original} alt="Your photo" /> : <div className="sf-detail-photo sf-skeleton" />}
        <div className="sf-detail-side">
          <ProgressBar shoot={shoot} running={running} />
          {shoot.status === 'awaiting_review' && (
            <p className="sf-note" data-testid="in-review">
              {shoot.cutout?.trust?.verdict === 'doubtful'
                ? `We were not sure the product was cut out cleanly: ${shoot.cutout.trust.reason}. A reviewer is checking this shot; it will appear here as soon as it is approved.`
                : 'A reviewer is checking this shot. It will appear here as soon as it is approved.'}
            </p>
          )}
          <CutoutLine shoot={shoot} />
        </div>
      </div>
    );
  }
  const result = shoot.results.webp ?? shoot.results.jpeg;
  return (
    <div className="sf-detail-grid">
      {shoot.original && result ? (
        <CompareSlider before={shoot.original} after={result} alt={shoot.templateName ?? 'Shoot'} />
      ) : (
        result && <img className="sf-detail-photo" src={result} alt="Result" />
      )}
      <div className="sf-detail-side">
        <p className="sf-done" data-testid="done">Your shot is ready.</p>
        <CutoutLine shoot={shoot} />
        <h3 className="sf-subhead">Download</h3>
        <ul className="sf-downloads">
          {FORMATS.map((f) => {
            const url = shoot.downloads[f.key];
            if (!url) return null;
            const name = `shoot-${shoot.id.slice(0, 8)}.${f.ext}`;
            // `download` alone is ignored once the link redirects to an object store's origin: the API sets the attachment name.
            return (
              <li key={f.key}>
                <a className="sf-download" href={`${url}&download=${name}`} download={name} data-testid={`download-${f.key}`}>
                  <span className="sf-download-label">{f.label}</span>
                  <span className="sf-muted">{f.hint}</span>
                </a>
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

/** Which method and model cut the product out, under which licence: the seller knows what made the shot. */
function CutoutLine({ shoot }: { shoot: ShootView }) {
  if (!shoot.cutout) return null;
  return (
    <p className="sf-muted" data-testid="cutout-method" data-method={shoot.cutout.method}>
      Cut out by {describeCutoutMethod(shoot.cutout)}
    </p>
  );
}
