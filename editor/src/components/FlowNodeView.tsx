import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { PortSpec } from '@studioflow/runtime/graph';
import { portColor, type FlowNode } from '../lib/flow';
import { useEditor } from '../store/editor';
import { REPLAYABLE_STATES, selectCanReplay, useRun } from '../store/run';
import { formatCost, formatDuration, formatValue, shortId } from '../lib/format';
import { countNodeRender } from '../lib/perf';
import { replayFrom } from '../store/actions';
import { SubflowInstanceBar } from '../subflows/SubflowInstanceBar';
import { useInstanceRunState } from '../subflows/instance-run-state';
import { NodeThumbnail } from './NodeThumbnail';
import { paramLabel } from '../lib/params';
import { ResourceBadge } from './canvas/ResourceBadge';
import { useCardParams } from './run-view/ran-with';

function PortRow({ nodeId, port, kind }: { nodeId: string; port: PortSpec; kind: 'in' | 'out' }) {
  const color = portColor(port.type);
  const label = port.label ?? port.name;
  return (
    <div className={`sf-port sf-port-${kind}`} title={`${label} (${port.type})${port.description ? ` — ${port.description}` : ''}`}>
      <Handle
        id={port.name}
        type={kind === 'in' ? 'target' : 'source'}
        position={kind === 'in' ? Position.Left : Position.Right}
        className="sf-handle"
        style={{ background: color, borderColor: color }}
        data-testid={`handle-${nodeId}-${kind}-${port.name}`}
        data-porttype={port.type}
        data-portname={port.name}
      />
      <span className="sf-port-label">
        {label}
        {kind === 'in' && port.optional ? <span className="sf-port-opt">?</span> : null}
        {kind === 'in' && port.multiple ? <span className="sf-port-opt">[ ]</span> : null}
      </span>
    </div>
  );
}

function FlowNodeViewImpl({ id, data, selected }: NodeProps<FlowNode>) {
  countNodeRender();
  const descriptor = useEditor((s) => s.catalog[data.type]);
  const problemCount = useEditor((s) => s.problemCounts[id] ?? 0);
  // The diff view shows two documents at once: the last run's states would not belong to either.
  const run = useRun((s) => (data.diff ? undefined : s.nodes[id]));
  const canReplay = useRun((s) => !data.diff && selectCanReplay(s));
  const instanceState = useInstanceRunState(id, data.diff ? '' : data.type);
  // A disabled node is left out of the run (its inputs pass on): once a run is on screen it says so.
  const runShown = useRun((s) => !data.diff && !!data.disabled && s.phase !== 'idle');
  const state = run?.state ?? instanceState ?? (runShown ? 'bypassed' : 'idle');
  const reused = !!run?.sourceRunId && state === 'cached';
  // A past run opened from the history shows the params it ran with, not the draft's.
  const { entries: paramEntries, fromRun } = useCardParams(id, data.params, descriptor);
  const classes = [
    'sf-node',
    `sf-node-${descriptor?.category ?? 'unknown'}`.replace(/[^\w-]/g, '_'),
    selected ? 'is-selected' : '',
    problemCount ? 'has-problem' : '',
    `run-${state}`,
    data.diff ? `diff-${data.diff}` : '',
    reused ? 'is-reused' : '',
    data.disabled ? 'is-disabled' : '',
  ].join(' ');
  const finished = state === 'done' || state === 'cached' || state === 'failed';
  const hasTiming = run?.durationMs != null || run?.costUsd != null;
  const replayable = canReplay && !!run && REPLAYABLE_STATES.includes(state);

  return (
    <div
      className={classes}
      data-testid={`node-${id}`}
      data-nodetype={data.type}
      data-state={state}
      data-diff={data.diff}
      data-reused={reused ? 'true' : undefined}
    >
      <div className="sf-node-header" title={descriptor?.description}>
        <div className="sf-node-title">
          <span className="sf-node-name">{data.label || descriptor?.title || data.type}</span>
          <span className="sf-node-id">{id}</span>
        </div>
        {descriptor ? <ResourceBadge nodeId={id} descriptor={descriptor} /> : null}
        <span className={`sf-badge sf-badge-${state}`} data-testid={`node-status-${id}`} data-state={state}>
          {state === 'awaiting_review' ? 'review' : reused ? 'reused' : state}
        </span>
      </div>
      {data.disabled ? (
        <div className="sf-bypass-tag" data-testid={`node-bypassed-${id}`} title="Disabled: runs skip this node and pass its same-typed inputs on">
          bypassed
        </div>
      ) : null}
      {data.diff && data.diff !== 'same' ? <div className={`sf-diff-tag diff-${data.diff}`}>{data.diff}</div> : null}
      {!descriptor ? <div className="sf-node-warn">unknown node type “{data.type}”</div> : null}
      {descriptor ? (
        <div className="sf-node-ports">
          <div className="sf-port-col">
            {descriptor.inputs.map((p) => (
              <PortRow key={p.name} nodeId={id} port={p} kind="in" />
            ))}
          </div>
          <div className="sf-port-col sf-port-col-out">
            {descriptor.outputs.map((p) => (
              <PortRow key={p.name} nodeId={id} port={p} kind="out" />
            ))}
          </div>
        </div>
      ) : null}
      {data.type.startsWith('subflow:') && !data.diff ? <SubflowInstanceBar nodeId={id} data={data} /> : null}
      {paramEntries.length ? (
        <div className={`sf-node-params${fromRun ? ' is-ran-with' : ''}`} data-testid={`node-params-${id}`} data-ran-with={fromRun ? 'true' : undefined} title={fromRun ? 'The params the open run ran with' : undefined}>
          {paramEntries.map(([k, v, differs]) => (
            <div key={k} className={`sf-node-param${differs ? ' is-ran-diff' : ''}`} data-testid={`node-param-${id}-${k}`}>
              <span>{paramLabel(k, descriptor?.params.properties[k])}</span>
              <span className="sf-node-param-value">
                {typeof v === 'string' && /^#[0-9a-f]{3,8}$/i.test(v) ? <i className="sf-swatch" style={{ background: v }} /> : null}
                {formatValue(v)}
              </span>
            </div>
          ))}
        </div>
      ) : null}
      {data.diff ? null : <NodeThumbnail nodeId={id} />}
      {state === 'running' ? (
        <div className="sf-progress" data-testid={`node-progress-${id}`} title={run?.message}>
          <div className="sf-progress-bar" style={{ width: `${Math.round((run?.progress ?? 0) * 100)}%` }} />
          <span>{run?.progress !== undefined ? `${Math.round(run.progress * 100)}%` : ''} {run?.message ?? ''}</span>
        </div>
      ) : null}
      {run && ((finished && hasTiming) || reused || replayable) ? (
        <div className="sf-node-footer">
          {reused ? (
            <span className="sf-reused" data-testid={`node-reused-${id}`} title={`Outputs reused from run ${run.sourceRunId}: not executed in this run`}>
              ↺ reused from {shortId(run.sourceRunId)}
            </span>
          ) : null}
          {finished && !reused && run.durationMs != null ? (
            <span data-testid={`node-duration-${id}`} title="Execution time">
              {state === 'cached' ? 'cached · ' : ''}
              {formatDuration(run.durationMs)}
              {run.attempts && run.attempts > 1 ? ` · ${run.attempts} attempts` : ''}
            </span>
          ) : null}
          {finished && run.costUsd != null ? (
            <span className="sf-cost" data-testid={`node-cost-${id}`} title="Cost of this execution">
              {formatCost(run.costUsd)}
            </span>
          ) : null}
          {replayable ? (
            <button
              className="sf-node-replay nodrag nopan"
              title="Replay from here: re-run this node and everything downstream, reusing the upstream outputs"
              onClick={(e) => {
                e.stopPropagation();
                void replayFrom(id);
              }}
              data-testid={`btn-node-replay-${id}`}
            >
              ↻ replay
            </button>
          ) : null}
        </div>
      ) : null}
      {state === 'failed' && run?.error ? (
        <div className="sf-node-error" data-testid={`node-error-${id}`} title={run.error}>
          {run.error}
        </div>
      ) : null}
    </div>
  );
}

export const FlowNodeView = memo(FlowNodeViewImpl);
