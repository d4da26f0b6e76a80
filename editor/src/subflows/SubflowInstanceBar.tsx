import { subflowIdOf } from '@studioflow/runtime/graph';
import type { FlowNodeData } from '../lib/flow';
import { selectReadOnly, useEditor } from '../store/editor';
import { useRun } from '../store/run';
import { openSubflow, setSubflowVersion } from './subflow-actions';
import { useSubflows } from './subflows-store';

/** On a subflow instance: the version it runs, "vN available" with Update when pinned behind, and Open subflow. */
export function SubflowInstanceBar({ nodeId, data }: { nodeId: string; data: FlowNodeData }) {
  const latest = useSubflows((s) => s.list.find((x) => x.id === subflowIdOf(data.type))?.latestVersion);
  const readOnly = useEditor(selectReadOnly);
  const pinned = data.subflowVersion;
  // The run's nodes inside this instance are `<instance>/<inner>`: summed up here, since the canvas shows the instance.
  const inner = useRun((s) => {
    const states = Object.entries(s.nodes).filter(([key]) => key.startsWith(`${nodeId}/`)).map(([, n]) => n.state);
    const finished = states.filter((x) => x === 'done' || x === 'cached').length;
    const failed = states.filter((x) => x === 'failed').length;
    return states.length ? `${finished}/${states.length} done${failed ? ` · ${failed} failed` : ''}` : '';
  });
  return (
    <div className="sf-subflow-bar nodrag nopan" data-testid={`subflow-bar-${nodeId}`}>
      <span className="sf-small" data-testid={`subflow-version-${nodeId}`} title={pinned ? 'Pinned: new versions of the subflow do not change this node' : 'Follows the latest version of the subflow'}>
        {pinned ? `v${pinned} pinned` : `latest${latest ? ` (v${latest})` : ''}`}
      </span>
      {pinned && latest && latest > pinned ? (
        <button className="sf-link-btn" disabled={readOnly} onClick={() => setSubflowVersion(nodeId, latest)} data-testid={`btn-subflow-update-${nodeId}`} title={`Use v${latest}`}>
          v{latest} available · update
        </button>
      ) : null}
      {!pinned && latest ? (
        <button className="sf-link-btn" disabled={readOnly} onClick={() => setSubflowVersion(nodeId, latest)} data-testid={`btn-subflow-pin-${nodeId}`} title={`Keep v${latest} even when the subflow gets new versions`}>
          pin
        </button>
      ) : null}
      <button className="sf-link-btn" disabled={readOnly} onClick={() => void openSubflow(nodeId)} data-testid={`btn-open-subflow-${nodeId}`}>
        Open subflow
      </button>
      {inner ? (
        <span className="sf-small sf-muted" data-testid={`subflow-run-${nodeId}`}>
          inside: {inner}
        </span>
      ) : null}
    </div>
  );
}
