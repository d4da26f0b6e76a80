import { useRun } from '../store/run';
import { formatDuration } from '../lib/format';
import { OutputValue } from './Artifact';

export function NodeRunDetails({ nodeId }: { nodeId: string }) {
  const info = useRun((s) => s.nodes[nodeId]);
  const runId = useRun((s) => s.runId);
  if (!runId && !info) return null;
  return (
    <div className="sf-pad sf-section" data-testid="node-run-details">
      <div className="sf-section-title">Last run</div>
      {!info ? (
        <div className="sf-muted sf-small">No state reported for this node yet.</div>
      ) : (
        <>
          <div className="sf-kv">
            <span>State</span>
            <span className={`sf-badge sf-badge-${info.state}`}>{info.state}</span>
            {info.durationMs != null ? (
              <>
                <span>Duration</span>
                <span>{formatDuration(info.durationMs)}</span>
              </>
            ) : null}
            {info.attempts ? (
              <>
                <span>Attempts</span>
                <span>{info.attempts}</span>
              </>
            ) : null}
            {info.state === 'running' && info.progress !== undefined ? (
              <>
                <span>Progress</span>
                <span>
                  {Math.round(info.progress * 100)}% {info.message ?? ''}
                </span>
              </>
            ) : null}
          </div>
          {info.error ? (
            <pre className="sf-error-box sf-small" data-testid={`node-run-error-${nodeId}`}>
              {info.error}
            </pre>
          ) : null}
          {info.outputs && Object.keys(info.outputs).length ? (
            <div className="sf-outputs" data-testid={`node-outputs-${nodeId}`}>
              {Object.entries(info.outputs).map(([port, value]) => (
                <div key={port} className="sf-output">
                  <div className="sf-small sf-output-port">{port}</div>
                  <OutputValue value={value} testId={`artifact-${nodeId}-${port}`} />
                </div>
              ))}
            </div>
          ) : null}
        </>
      )}
    </div>
  );
}
