import { memo } from 'react';
import { BaseEdge, getBezierPath, type EdgeProps } from '@xyflow/react';
import { portColor, type FlowEdge } from '../lib/flow';
import { useRun } from '../store/run';

const DIFF_COLOURS = { added: '#22c55e', removed: '#ef4444', changed: '#f59e0b' } as const;

function FlowEdgeViewImpl(props: EdgeProps<FlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, target } = props;
  const flowing = useRun((s) => s.nodes[target]?.state === 'running');
  const [path] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const diff = data?.diff && data.diff !== 'same' ? data.diff : null;
  const stroke = diff ? DIFF_COLOURS[diff] : portColor(data?.portType);
  return (
    <BaseEdge
      id={id}
      path={path}
      className={flowing ? 'sf-edge-flowing' : undefined}
      interactionWidth={16}
      style={{
        stroke,
        strokeWidth: selected ? 3.5 : 2.2,
        strokeDasharray: diff === 'removed' ? '6 5' : undefined,
        opacity: data?.diff === 'same' ? 0.45 : 1,
        filter: selected ? `drop-shadow(0 0 3px ${stroke})` : undefined,
      }}
    />
  );
}

export const FlowEdgeView = memo(FlowEdgeViewImpl);
