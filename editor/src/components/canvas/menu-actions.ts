/** The canvas's own right-click entries; other features add theirs with registerMenuAction. */
import { registerMenuAction } from '../../lib/context-menu';
import { clipboardFragment } from '../../lib/clipboard';
import { flowToDoc, outputPortType } from '../../lib/flow';
import { fitReadable } from '../../lib/readable-fit';
import { newAnnotation } from '../../lib/annotations';
import { selectReadOnly, useEditor } from '../../store/editor';
import { useUi, toast } from '../../store/ui';
import { REPLAYABLE_STATES, selectCanReplay, useRun } from '../../store/run';
import { replayFrom } from '../../store/actions';

const editable = () => !selectReadOnly(useEditor.getState());

/** The right-clicked node, or every selected node when it is one of them. */
function nodesFor(nodeId: string): string[] {
  const { nodes } = useEditor.getState();
  const clicked = nodes.find((n) => n.id === nodeId);
  return clicked?.selected ? nodes.filter((n) => n.selected).map((n) => n.id) : [nodeId];
}

registerMenuAction({
  id: 'node-duplicate',
  label: 'Duplicate',
  target: 'node',
  available: editable,
  run({ nodeId }) {
    const s = useEditor.getState();
    const ids = new Set(nodesFor(nodeId));
    const fragment = flowToDoc(
      s.nodes.filter((n) => ids.has(n.id)),
      s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    );
    s.insertFragment(fragment, { x: 48, y: 48 });
  },
});

registerMenuAction({
  id: 'node-delete',
  label: 'Delete',
  target: 'node',
  available: editable,
  run({ nodeId }) {
    const s = useEditor.getState();
    const ids = nodesFor(nodeId);
    s.selectOnly(ids);
    useEditor.getState().deleteSelected();
  },
});

registerMenuAction({
  id: 'node-toggle-bypass',
  label: 'Disable / enable (bypass)',
  target: 'node',
  available: editable,
  run({ nodeId }) {
    const s = useEditor.getState();
    const ids = new Set(nodesFor(nodeId));
    const disable = !s.nodes.find((n) => n.id === nodeId)?.data.disabled;
    s.pushHistory();
    useEditor.setState({
      nodes: s.nodes.map((n) => {
        if (!ids.has(n.id)) return n;
        const data = { ...n.data };
        if (disable) data.disabled = true;
        else delete data.disabled;
        return { ...n, data };
      }),
    });
    useEditor.getState().touch();
  },
});

registerMenuAction({
  id: 'node-replay',
  label: 'Replay from here',
  target: 'node',
  available: ({ nodeId }) => {
    const run = useRun.getState();
    const state = run.nodes[nodeId]?.state;
    return selectCanReplay(run) && !!state && REPLAYABLE_STATES.includes(state);
  },
  run: ({ nodeId }) => void replayFrom(nodeId),
});

registerMenuAction({
  id: 'node-copy-id',
  label: 'Copy node id',
  target: 'node',
  async run({ nodeId }) {
    try {
      await navigator.clipboard.writeText(nodeId);
      toast('info', `Copied “${nodeId}”`);
    } catch {
      toast('error', `Could not copy; the id is ${nodeId}`);
    }
  },
});

registerMenuAction({
  id: 'node-docs',
  label: 'Node type docs',
  target: 'node',
  run({ nodeId }) {
    const s = useEditor.getState();
    const node = s.nodes.find((n) => n.id === nodeId);
    const d = node && s.catalog[node.data.type];
    if (!d) return;
    const ports = (list: typeof d.inputs) => list.map((p) => `${p.name} (${p.type})`).join(', ') || 'none';
    toast('info', `${d.title} (${d.type} v${d.version}, ${d.resource}): ${d.description} Inputs: ${ports(d.inputs)}. Outputs: ${ports(d.outputs)}.`);
  },
});

registerMenuAction({
  id: 'edge-delete',
  label: 'Delete connection',
  target: 'edge',
  available: editable,
  run({ edgeId }) {
    const s = useEditor.getState();
    s.pushHistory();
    useEditor.setState({ edges: s.edges.filter((e) => e.id !== edgeId) });
    useEditor.getState().touch();
  },
});

registerMenuAction({
  id: 'edge-insert-node',
  label: 'Insert node…',
  target: 'edge',
  available: editable,
  run({ edgeId }, ctx) {
    const s = useEditor.getState();
    const edge = s.edges.find((e) => e.id === edgeId);
    if (!edge?.sourceHandle) return;
    useUi.getState().setAddPopup({
      screen: ctx.screen,
      flow: ctx.flow,
      connect: { nodeId: edge.source, handleId: edge.sourceHandle, handleType: 'source', splitEdgeId: edge.id },
      portType: outputPortType(s.nodes, s.catalog, edge.source, edge.sourceHandle),
    });
  },
});

registerMenuAction({
  id: 'canvas-add-node',
  label: 'Add node…',
  target: 'canvas',
  available: editable,
  run: (_t, ctx) => useUi.getState().setAddPopup({ screen: ctx.screen, flow: ctx.flow }),
});

registerMenuAction({
  id: 'canvas-paste',
  label: 'Paste',
  target: 'canvas',
  available: editable,
  run(_t, ctx) {
    const clip = clipboardFragment();
    if (!clip) {
      toast('info', 'Nothing copied yet: select nodes and press Ctrl+C');
      return;
    }
    const minX = Math.min(...clip.doc.nodes.map((n) => n.position?.x ?? 0));
    const minY = Math.min(...clip.doc.nodes.map((n) => n.position?.y ?? 0));
    useEditor.getState().insertFragment(clip.doc, { x: ctx.flow.x - minX, y: ctx.flow.y - minY });
  },
});

registerMenuAction({
  id: 'canvas-add-note',
  label: 'Add sticky note',
  target: 'canvas',
  available: editable,
  run(_t, ctx) {
    const s = useEditor.getState();
    s.setAnnotations([...s.annotations, newAnnotation('note', ctx.flow, s.annotations)]);
  },
});

registerMenuAction({
  id: 'canvas-add-group',
  label: 'Add group',
  target: 'canvas',
  available: editable,
  run(_t, ctx) {
    const s = useEditor.getState();
    s.setAnnotations([...s.annotations, newAnnotation('group', ctx.flow, s.annotations)]);
  },
});

registerMenuAction({
  id: 'canvas-fit',
  label: 'Fit view',
  target: 'canvas',
  run: (_t, ctx) => fitReadable(ctx.rf, ctx.viewport),
});

registerMenuAction({
  id: 'annotation-delete',
  label: 'Delete',
  target: 'annotation',
  available: editable,
  run({ annotationId }) {
    const s = useEditor.getState();
    s.setAnnotations(s.annotations.filter((a) => a.id !== annotationId));
  },
});
