/** Right-click entries for subflows: "Make subflow" on nodes, "Open subflow" on an instance. */
import { subflowIdOf } from '@studioflow/runtime/graph';
import { registerMenuAction } from '../lib/context-menu';
import { selectReadOnly, useEditor } from '../store/editor';
import { makeSubflow, openSubflow } from './subflow-actions';
import { useSubflows } from './subflows-store';

const editable = () => !selectReadOnly(useEditor.getState()) && !useSubflows.getState().editing;

registerMenuAction({
  id: 'node-make-subflow',
  label: 'Make subflow…',
  target: 'node',
  available: editable,
  run({ nodeId }) {
    const s = useEditor.getState();
    // The right-clicked node, or the selection it belongs to (as the canvas's own entries do).
    if (!s.nodes.find((n) => n.id === nodeId)?.selected) s.selectOnly([nodeId]);
    makeSubflow();
  },
});

registerMenuAction({
  id: 'node-open-subflow',
  label: 'Open subflow',
  target: 'node',
  available: ({ nodeId }) => editable() && subflowIdOf(useEditor.getState().nodes.find((n) => n.id === nodeId)?.data.type ?? '') !== undefined,
  run: ({ nodeId }) => void openSubflow(nodeId),
});
