import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type FinalConnectionState,
  type InternalNode,
  type Node,
  type NodeChange,
} from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { portColor, type FlowEdge, type FlowNode } from '../lib/flow';
import { COMPACT_ZOOM, FIT_VIEW, fitReadable } from '../lib/readable-fit';
import { refusalReason } from '../lib/connection-hint';
import { annotationId, isAnnotationId, type AnnotationNode } from '../lib/annotations';
import type { MenuTarget } from '../lib/context-menu';
import { initialGraphId } from '../store/actions';
import { selectReadOnly, useEditor } from '../store/editor';
import { useUi } from '../store/ui';
import { FlowNodeView } from './FlowNodeView';
import { FlowEdgeView } from './FlowEdgeView';
import { AddNodePopup } from './AddNodePopup';
import { useImageDrop } from './useImageDrop';
import { StartScreen } from './StartScreen';
import { PortLegend } from './canvas/PortLegend';
import { ConnectionHint, type DroppedRefusal } from './canvas/ConnectionHint';
import { ContextMenu, type OpenMenu } from './canvas/ContextMenu';
import { GroupView, NoteView } from './canvas/AnnotationViews';
import { useAnnotationNodes } from './canvas/useAnnotationNodes';

const nodeTypes = { sf: FlowNodeView, sfnote: NoteView, sfgroup: GroupView };
const edgeTypes = { sf: FlowEdgeView };
export const DRAG_MIME = 'application/x-studioflow-node';
const SNAP: [number, number] = [16, 16];
const DELETE_KEYS = ['Delete', 'Backspace'];
const MULTI_KEYS = ['Meta', 'Control'];
const REFUSAL_SHOWN_MS = 4000;
type CanvasNode = FlowNode | AnnotationNode;
/** Level of detail: below COMPACT_ZOOM nodes show their title and coloured port dots only (styles.css). */
const selectCompact = (s: { transform: [number, number, number] }) => s.transform[2] < COMPACT_ZOOM;

/** The minimap colours nodes by type, red while they have problems (recoloured when problems change). */
function FlowMiniMap() {
  const problemCounts = useEditor((s) => s.problemCounts);
  const catalog = useEditor((s) => s.catalog);
  const nodeColor = useCallback(
    (node: CanvasNode) => {
      if (node.type !== 'sf') return 'transparent';
      if (problemCounts[node.id]) return '#ef4444';
      const d = catalog[node.data.type];
      return portColor(d?.outputs[0]?.type ?? d?.inputs[0]?.type);
    },
    [problemCounts, catalog],
  );
  return <MiniMap<CanvasNode> pannable zoomable nodeColor={nodeColor} nodeStrokeWidth={2} data-testid="minimap" />;
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
  const rf = useReactFlow<FlowNode, FlowEdge>();
  // One subscription for the whole canvas, not one per node: a class switches the nodes' detail.
  const compact = useStore(selectCompact);
  const wrapper = useRef<HTMLDivElement>(null);
  const fitRequest = useEditor((s) => s.fitRequest);
  const viewportSize = useCallback(() => ({ width: wrapper.current?.clientWidth ?? 0, height: wrapper.current?.clientHeight ?? 0 }), []);
  const fit = useCallback(() => void fitReadable(rf, viewportSize()), [rf, viewportSize]);
  // Fit a freshly shown document once its nodes are measured, never below a readable zoom.
  // Not React Flow's `fitView` prop: on an empty canvas it would fire on the first node dropped.
  useEffect(() => {
    if (fitRequest) fit();
  }, [fitRequest, fit]);

  const annotations = useAnnotationNodes(!readOnly);
  const shownNodes = useMemo<CanvasNode[]>(() => (annotations.nodes.length ? [...annotations.nodes, ...nodes] : nodes), [annotations.nodes, nodes]);
  const onAnyNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      const own = changes.filter((c) => !('id' in c) || !isAnnotationId(c.id)) as NodeChange<FlowNode>[];
      const notes = changes.filter((c) => 'id' in c && isAnnotationId(c.id)) as NodeChange<AnnotationNode>[];
      if (own.length) onNodesChange(own);
      if (notes.length) annotations.onChanges(notes);
    },
    [onNodesChange, annotations],
  );

  const [dropped, setDropped] = useState<DroppedRefusal | null>(null);
  const droppedTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(droppedTimer.current), []);
  const [menu, setMenu] = useState<OpenMenu | null>(null);
  const closeMenu = useCallback(() => setMenu(null), []);
  const openMenu = useCallback(
    (e: ReactMouseEvent | MouseEvent, target: MenuTarget) => {
      e.preventDefault();
      const box = wrapper.current?.getBoundingClientRect();
      const screen = { x: e.clientX, y: e.clientY };
      setMenu({
        target,
        at: { x: e.clientX - (box?.left ?? 0), y: e.clientY - (box?.top ?? 0) },
        ctx: { rf, screen, flow: rf.screenToFlowPosition(screen), viewport: viewportSize() },
      });
    },
    [rf, viewportSize],
  );
  const onNodeContextMenu = useCallback(
    (e: ReactMouseEvent, node: Node) =>
      openMenu(e, isAnnotationId(node.id) ? { kind: 'annotation', annotationId: annotationId(node.id) } : { kind: 'node', nodeId: node.id }),
    [openMenu],
  );
  // A box selection lays a rectangle over its nodes, which takes the right-click: the menu is the
  // node's under the pointer (or the selection's first), and its entries apply to the whole selection.
  const onSelectionContextMenu = useCallback(
    (e: ReactMouseEvent, selected: Node[]) => {
      const nodeId = nodeUnderPointer(e, selected) ?? selected.find((n) => !isAnnotationId(n.id))?.id;
      if (nodeId) openMenu(e, { kind: 'node', nodeId });
      else e.preventDefault();
    },
    [openMenu],
  );
  const onEdgeContextMenu = useCallback((e: ReactMouseEvent, edge: Edge) => openMenu(e, { kind: 'edge', edgeId: edge.id }), [openMenu]);
  const onPaneContextMenu = useCallback((e: ReactMouseEvent | MouseEvent) => openMenu(e, { kind: 'canvas' }), [openMenu]);

  const graphId = useEditor((s) => s.graph.id);
  const catalogReady = useEditor((s) => s.catalogStatus === 'ok');
  const [startDismissed, setStartDismissed] = useState(false);
  const showStart = empty && !readOnly && !graphId && catalogReady && !startDismissed && !initialGraphId();

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
      if (state.isValid === false && state.fromHandle && state.toHandle && state.pointer) {
        const s = useEditor.getState();
        const text = refusalReason(state.fromHandle, state.toHandle, s.nodes, s.catalog, selectReadOnly(s));
        if (text) {
          clearTimeout(droppedTimer.current);
          setDropped({ text, x: state.pointer.x, y: state.pointer.y });
          droppedTimer.current = setTimeout(() => setDropped(null), REFUSAL_SHOWN_MS);
        }
        return;
      }
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
  const onNodeDragStart = useCallback(
    (_e: unknown, node: Node) => {
      onDragStart();
      annotations.onDragStart(node);
    },
    [onDragStart, annotations],
  );

  return (
    <div className={`sf-canvas ${compact ? 'is-compact' : ''}`} data-compact={compact} ref={wrapper} onDragOver={onDragOver} onDrop={onDrop} onDoubleClick={onDoubleClick} data-testid="canvas">
      <ReactFlow<CanvasNode, FlowEdge>
        nodes={shownNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onAnyNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onBeforeDelete={onBeforeDelete}
        onNodeDragStart={onNodeDragStart}
        onNodeDrag={annotations.onDrag}
        onNodeDragStop={annotations.onDragStop}
        onNodeContextMenu={onNodeContextMenu}
        onEdgeContextMenu={onEdgeContextMenu}
        onPaneContextMenu={onPaneContextMenu}
        onSelectionContextMenu={onSelectionContextMenu}
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
        <Controls showInteractive={!readOnly} showFitView={false} fitViewOptions={FIT_VIEW}>
          <ControlButton className="react-flow__controls-fitview" onClick={fit} title="Fit view (never below a readable zoom)" aria-label="Fit view">
            ⤢
          </ControlButton>
        </Controls>
        <PortLegend />
        <ConnectionHint dropped={dropped} />
      </ReactFlow>
      {menu ? <ContextMenu menu={menu} onClose={closeMenu} /> : null}
      {showStart ? <StartScreen onDismiss={() => setStartDismissed(true)} /> : null}
      {empty && !readOnly ? (
        <div className={`sf-canvas-hint ${showStart ? 'is-below-start' : ''}`} data-testid="canvas-empty-hint">
          Drag a node from the palette, or double-click the canvas to search and add one.
          <br />
          Press <kbd>?</kbd> for keyboard shortcuts.
        </div>
      ) : null}
      <AddNodePopup />
    </div>
  );
}

/** The selected pipeline node drawn under the pointer, if any. */
function nodeUnderPointer(e: ReactMouseEvent, selected: Node[]): string | undefined {
  const ids = new Set(selected.map((n) => n.id).filter((id) => !isAnnotationId(id)));
  for (const el of document.elementsFromPoint(e.clientX, e.clientY)) {
    const id = el.closest<HTMLElement>('.react-flow__node')?.dataset.id;
    if (id && ids.has(id)) return id;
  }
  return undefined;
}
