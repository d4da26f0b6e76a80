import { useCallback, useEffect, useRef, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type FinalConnectionState,
  type InternalNode,
} from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { portColor, type FlowNode } from '../lib/flow';
import { selectReadOnly, useEditor } from '../store/editor';
import { useUi } from '../store/ui';
import { FlowNodeView } from './FlowNodeView';
import { FlowEdgeView } from './FlowEdgeView';
import { AddNodePopup } from './AddNodePopup';
import { useImageDrop } from './useImageDrop';

const nodeTypes = { sf: FlowNodeView };
const edgeTypes = { sf: FlowEdgeView };
export const DRAG_MIME = 'application/x-studioflow-node';
const SNAP: [number, number] = [16, 16];
const DELETE_KEYS = ['Delete', 'Backspace'];
const MULTI_KEYS = ['Meta', 'Control'];
const FIT_VIEW = { maxZoom: 1.1, padding: 0.2 };

/** The minimap colours nodes by type, red while they have problems (recoloured when problems change). */
function FlowMiniMap() {
  const problemCounts = useEditor((s) => s.problemCounts);
  const catalog = useEditor((s) => s.catalog);
  const nodeColor = useCallback(
    (node: FlowNode) => {
      if (problemCounts[node.id]) return '#ef4444';
      const d = catalog[node.data.type];
      return portColor(d?.outputs[0]?.type ?? d?.inputs[0]?.type);
    },
    [problemCounts, catalog],
  );
  return <MiniMap<FlowNode> pannable zoomable nodeColor={nodeColor} nodeStrokeWidth={2} data-testid="minimap" />;
}

export function Canvas() {
  const { nodes, edges, onNodesChange, onEdgesChange, onConnect, isValidConnection, snapToGrid, readOnly, empty } = useEditor(
    useShallow((s) => ({
      nodes: s.nodes,
      edges: s.edges,
      onNodesChange: s.onNodesChange,
      onEdgesChange: s.onEdgesChange,
      onConnect: s.onConnect,
      isValidConnection: s.isValidConnection,
      snapToGrid: s.snapToGrid,
      readOnly: selectReadOnly(s),
      empty: s.nodes.length === 0,
    })),
  );
  const setAddPopup = useUi((s) => s.setAddPopup);
  const rf = useReactFlow<FlowNode>();
  const wrapper = useRef<HTMLDivElement>(null);
  const fitRequest = useEditor((s) => s.fitRequest);
  // Fit a freshly shown document once its nodes are measured (React Flow queues the fit until then).
  // Not React Flow's `fitView` prop: on an empty canvas it would fire on the first node dropped.
  useEffect(() => {
    if (fitRequest) void rf.fitView(FIT_VIEW);
  }, [fitRequest, rf]);

  const imageDrop = useImageDrop();
  const onDragOver = useCallback((e: DragEvent) => {
    if (imageDrop.onDragOver(e)) return;
    if (!e.dataTransfer.types.includes(DRAG_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, [imageDrop]);

  const onDrop = useCallback(
    (e: DragEvent) => {
      if (imageDrop.onDrop(e)) return;
      const type = e.dataTransfer.getData(DRAG_MIME);
      if (!type) return;
      e.preventDefault();
      const pos = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      useEditor.getState().addNode(type, { x: pos.x - 100, y: pos.y - 30 });
    },
    [rf, imageDrop],
  );

  const onDoubleClick = useCallback(
    (e: ReactMouseEvent) => {
      const target = e.target as HTMLElement;
      if (!target.classList.contains('react-flow__pane') || useEditor.getState().view.kind !== 'draft') return;
      setAddPopup({ screen: { x: e.clientX, y: e.clientY }, flow: rf.screenToFlowPosition({ x: e.clientX, y: e.clientY }) });
    },
    [rf, setAddPopup],
  );

  // Dropping a connection on empty canvas opens the add popup, filtered to compatible node types.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState<InternalNode>) => {
      if (state.isValid || !state.fromNode || !state.fromHandle?.id || state.toNode || state.toHandle) return;
      if (useEditor.getState().view.kind !== 'draft') return;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      // Only a drop on empty canvas (not on a node or outside the canvas) opens the popup.
      const under = document.elementFromPoint(point.clientX, point.clientY);
      if (!under?.closest('.react-flow__pane, .react-flow__edges, .react-flow__connectionline') || under.closest('.react-flow__node')) return;
      const s = useEditor.getState();
      const d = s.catalog[(state.fromNode as unknown as FlowNode).data.type];
      const ports = state.fromHandle.type === 'source' ? d?.outputs : d?.inputs;
      const portType = ports?.find((p) => p.name === state.fromHandle!.id)?.type;
      setAddPopup({
        screen: { x: point.clientX, y: point.clientY },
        flow: rf.screenToFlowPosition({ x: point.clientX, y: point.clientY }),
        connect: { nodeId: state.fromNode.id, handleId: state.fromHandle.id, handleType: state.fromHandle.type },
        portType,
      });
    },
    [rf, setAddPopup],
  );

  const onBeforeDelete = useCallback(async () => {
    if (useEditor.getState().view.kind !== 'draft') return false;
    useEditor.getState().pushHistory();
    return true;
  }, []);
  const onDragStart = useCallback(() => useEditor.getState().pushHistory(), []);

  return (
    <div className="sf-canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} onDoubleClick={onDoubleClick} data-testid="canvas">
      <ReactFlow<FlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onBeforeDelete={onBeforeDelete}
        onNodeDragStart={onDragStart}
        onSelectionDragStart={onDragStart}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={false}
        deleteKeyCode={readOnly ? null : DELETE_KEYS}
        multiSelectionKeyCode={MULTI_KEYS}
        selectionKeyCode="Shift"
        snapToGrid={snapToGrid}
        snapGrid={SNAP}
        zoomOnDoubleClick={false}
        minZoom={0.1}
        maxZoom={2.5}
        fitViewOptions={FIT_VIEW}
        colorMode="dark"
        proOptions={{ hideAttribution: true }}
      >
        <Background variant={BackgroundVariant.Dots} gap={SNAP[0]} size={1.2} />
        <FlowMiniMap />
        <Controls showInteractive={!readOnly} fitViewOptions={FIT_VIEW} />
      </ReactFlow>
      {empty && !readOnly ? (
        <div className="sf-canvas-hint" data-testid="canvas-empty-hint">
          Drag a node from the palette, or double-click the canvas to search and add one.
          <br />
          Press <kbd>?</kbd> for keyboard shortcuts.
        </div>
      ) : null}
      <AddNodePopup />
    </div>
  );
}
