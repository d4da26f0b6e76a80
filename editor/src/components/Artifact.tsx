import { artifactUrl, withKey } from '../api/client';
import { isArtifactRef, type ArtifactRef } from '../api/types';
import { formatBytes } from '../lib/format';

export function ArtifactView({ artifact, testId }: { artifact: ArtifactRef; testId: string }) {
  const url = artifactUrl(artifact.hash);
  const isImage = artifact.mime.startsWith('image/');
  return (
    <figure className="sf-artifact" data-testid={testId} data-hash={artifact.hash}>
      {isImage ? (
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
    </figure>
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
  return (
    <pre className="sf-json" data-testid={testId}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Run results are URLs; same-origin API URLs get ?key= so <img> can load them. */
export function ResultImage({ url, label }: { url: string; label: string }) {
  const src = withKey(url);
  return (
    <figure className="sf-artifact" data-testid={`run-result-${label}`}>
      <a href={src} target="_blank" rel="noreferrer">
        <img src={src} alt={label} />
      </a>
      <figcaption className="sf-muted sf-small">{label}</figcaption>
    </figure>
  );
}
