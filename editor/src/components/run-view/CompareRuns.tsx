import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { RunNodeDetail, RunSnapshotView, RunSummary } from '../../api/types';
import { formatCost, formatDuration, formatTime, shortId } from '../../lib/format';
import { nodeImages, outputNumbers, previewImage, sizedUrl } from '../../lib/run-images';
import { Modal } from '../Modal';
import { statusLabel } from './status';

/** Two runs of the graph side by side: per node, their images next to each other and their numbers diffed. */
export function CompareRuns({ history, onClose }: { history: RunSummary[]; onClose(): void }) {
  const [leftId, setLeftId] = useState(history[1]?.id ?? history[0]?.id ?? '');
  const [rightId, setRightId] = useState(history[0]?.id ?? '');
  const [runs, setRuns] = useState<{ left: RunSnapshotView | null; right: RunSnapshotView | null; error: string | null }>({ left: null, right: null, error: null });

  useEffect(() => {
    let current = true;
    setRuns({ left: null, right: null, error: null });
    if (!leftId || !rightId) return;
    Promise.all([api.getRun(leftId), api.getRun(rightId)])
      .then(([left, right]) => current && setRuns({ left, right, error: null }))
      .catch((err: Error) => current && setRuns({ left: null, right: null, error: err.message }));
    return () => {
      current = false;
    };
  }, [leftId, rightId]);

  const picker = (value: string, onChange: (id: string) => void, testId: string) => (
    <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
      {history.map((r) => (
        <option key={r.id} value={r.id}>
          {shortId(r.id)} · v{r.version} · {statusLabel(r.status)} · {formatTime(r.createdAt)}
        </option>
      ))}
    </select>
  );
  const { left, right } = runs;
  const nodeIds = left && right ? [...new Set([...left.nodes.map((n) => n.nodeId), ...right.nodes.map((n) => n.nodeId)])] : [];
  return (
    <Modal title="Compare two runs" onClose={onClose} testId="compare-runs" wide>
      <div className="sf-compare-pick">
        {picker(leftId, setLeftId, 'compare-left')}
        {picker(rightId, setRightId, 'compare-right')}
      </div>
      {runs.error ? <div className="sf-error-box sf-small">{runs.error}</div> : null}
      {left && right ? (
        <table className="sf-compare-table" data-testid="compare-table">
          <thead>
            <tr>
              <th>node</th>
              <th>
                run {shortId(left.id)} <RunFigures run={left} />
              </th>
              <th>
                run {shortId(right.id)} <RunFigures run={right} />
              </th>
            </tr>
          </thead>
          <tbody>
            {nodeIds.map((id) => {
              const a = left.nodes.find((n) => n.nodeId === id);
              const b = right.nodes.find((n) => n.nodeId === id);
              return (
                <tr key={id} data-testid={`compare-node-${id}`}>
                  <td className="sf-mono">{id}</td>
                  <td>
                    <NodeSide node={a} />
                  </td>
                  <td>
                    <NodeSide node={b} other={a} />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : !runs.error ? (
        <div className="sf-muted sf-small">Loading…</div>
      ) : null}
    </Modal>
  );
}

function RunFigures({ run }: { run: RunSnapshotView }) {
  const took = run.finishedAt && (run.startedAt ?? run.createdAt) ? Date.parse(run.finishedAt) - Date.parse((run.startedAt ?? run.createdAt)!) : null;
  return (
    <span className="sf-muted sf-small">
      {[statusLabel(run.status), formatDuration(took), formatCost(run.costUsd)].filter(Boolean).join(' · ')}
    </span>
  );
}

/** One run's side of a node: its first image, state, duration, cost and report numbers (diffed against `other`, the left run). */
function NodeSide({ node, other }: { node: RunNodeDetail | undefined; other?: RunNodeDetail }) {
  if (!node) return <span className="sf-muted sf-small">not in this run</span>;
  const image = previewImage(nodeImages(node.outputs));
  const numbers = { durationMs: node.durationMs ?? undefined, costUsd: node.costUsd ?? undefined, ...outputNumbers(node.outputs) };
  const before: Record<string, number | undefined> = other
    ? { durationMs: other.durationMs ?? undefined, costUsd: other.costUsd ?? undefined, ...outputNumbers(other.outputs) }
    : {};
  return (
    <div data-state={node.state}>
      {image ? <img src={sizedUrl(image.artifact.url, 320)} alt={image.label} data-testid="compare-image" /> : null}
      <ul className="sf-compare-numbers">
        <li>
          <span className={`sf-badge sf-badge-${node.state}`}>{node.state}</span>
        </li>
        {Object.entries(numbers)
          .filter((e): e is [string, number] => typeof e[1] === 'number')
          .slice(0, 12)
          .map(([key, value]) => (
            <li key={key} data-testid={`compare-number-${key}`}>
              {key} {show(key, value)}
              {other ? <Delta before={before[key]} after={value} costly={key === 'durationMs' || key === 'costUsd'} /> : null}
            </li>
          ))}
      </ul>
    </div>
  );
}

function Delta({ before, after, costly }: { before: number | undefined; after: number; costly: boolean }) {
  if (before === undefined || before === after) return null;
  const d = after - before;
  const cls = costly ? (d > 0 ? 'sf-diff-up' : 'sf-diff-down') : '';
  return <span className={cls}> ({d > 0 ? '+' : ''}{round(d)})</span>;
}

function show(key: string, value: number): string {
  if (key === 'durationMs') return formatDuration(value);
  if (key === 'costUsd') return formatCost(value) || '$0';
  return String(round(value));
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
