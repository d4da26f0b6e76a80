import { cutoutProvenance, describeCutoutMethod } from '@studioflow/runtime/graph';
import { isArtifactRef, type ServedArtifact } from '../api/types';
import { formatBytes } from '../lib/format';
import { ReportView, TrustChecklist } from './ReportView';

/** The API signs every artifact ref it hands out (`url`): <img> loads it with no API key. */
export function ArtifactView({ artifact, testId }: { artifact: ServedArtifact; testId: string }) {
  const { url } = artifact;
  const isImage = artifact.mime.startsWith('image/');
  return (
    <figure className="sf-artifact" data-testid={testId} data-hash={artifact.hash}>
      {!url ? (
        <span className="sf-muted sf-small">no link to {artifact.hash.slice(0, 12)}…</span>
      ) : isImage ? (
        <a href={url} target="_blank" rel="noreferrer">
          <img src={url} alt={artifact.hash} loading="lazy" />
        </a>
      ) : (
        <a href={url} target="_blank" rel="noreferrer" className="sf-link">
          open {artifact.mime}
        </a>
      )}
      <figcaption className="sf-muted sf-small">
        {artifact.width && artifact.height ? `${artifact.width}×${artifact.height} · ` : ''}
        {artifact.mime} · {formatBytes(artifact.bytes)}
      </figcaption>
      <MadeBy artifact={artifact} testId={testId} />
    </figure>
  );
}

/** What made a cut-out or mask (method, model, licence) and how far the segment node trusted it. */
function MadeBy({ artifact, testId }: { artifact: ServedArtifact; testId: string }) {
  const made = cutoutProvenance(artifact.meta);
  if (!made) return null;
  const trust = made.trust;
  return (
    <div className="sf-small" data-testid={`${testId}-made-by`} data-method={made.method} data-verdict={trust?.verdict ?? ''}>
      <span>made by {describeCutoutMethod(made)}</span>
      {trust ? (
        // The meta's own trust: it carries every measure (the provenance keeps only the verdict).
        <TrustChecklist trust={{ ...(artifact.meta?.trust as Record<string, unknown> | undefined), ...trust }} />
      ) : null}
    </div>
  );
}

/** An output value: an artifact, a list of artifacts, or an inline JSON value. */
export function OutputValue({ value, testId }: { value: unknown; testId: string }) {
  if (isArtifactRef(value)) return <ArtifactView artifact={value} testId={testId} />;
  if (Array.isArray(value) && value.length && value.every(isArtifactRef)) {
    return (
      <div className="sf-artifact-grid" data-testid={testId}>
        {value.map((a, i) => (
          <ArtifactView key={`${a.hash}-${i}`} artifact={a} testId={`${testId}-${i}`} />
        ))}
      </div>
    );
  }
  return <ReportView value={value} testId={testId} />;
}

/** Run results are signed URLs from the API: usable as they are. */
export function ResultImage({ url, label }: { url: string; label: string }) {
  return (
    <figure className="sf-artifact" data-testid={`run-result-${label}`}>
      <a href={url} target="_blank" rel="noreferrer">
        <img src={url} alt={label} />
      </a>
      <figcaption className="sf-muted sf-small">{label}</figcaption>
    </figure>
  );
}
