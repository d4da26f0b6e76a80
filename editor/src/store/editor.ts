import { create } from 'zustand';
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import {
  NODE_ID_PATTERN,
  canConnect,
  validateGraph,
  type GraphAnnotation,
  type GraphDoc,
  type GraphProblem,
  type NodeTypeDescriptor,
} from '@studioflow/runtime/graph';
import type { VersionSummary } from '../api/types';
import {
  decorateEdges,
  defaultParams,
  docToFlow,
  edgeId,
  flowToDoc,
  inputPortType,
  newNodeId,
  outputPortType,
  type Catalog,
  type FlowEdge,
  type FlowNode,
} from '../lib/flow';
import { diffGraphs, edgeKey, unionDoc, type GraphDiff } from '../lib/diff';

interface Snapshot {
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Absent in a snapshot taken of a version or diff view (annotations stay the draft's). */
  annotations?: GraphAnnotation[];
}

export type View =
  | { kind: 'draft' }
  | { kind: 'version'; version: number; versionId: string; message: string }
  | { kind: 'diff'; labelA: string; labelB: string; diff: GraphDiff };

export interface GraphMeta {
  id: string | null;
  name: string;
  description: string;
  updatedAt: string | null;
  versions: VersionSummary[];
}

const NEW_GRAPH: GraphMeta = { id: null, name: 'Untitled pipeline', description: '', updatedAt: null, versions: [] };
const HISTORY_LIMIT = 100;
const nodeIdRegex = new RegExp(NODE_ID_PATTERN);

export interface EditorState {
  catalogList: NodeTypeDescriptor[];
  catalog: Catalog;
  catalogStatus: 'loading' | 'ok' | 'error';
  catalogError: string | null;

  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Sticky notes and groups of the draft (saved in the document, never compiled). */
  annotations: GraphAnnotation[];
  past: Snapshot[];
  future: Snapshot[];
  /** Bumped on every document edit; the draft is dirty while it differs from savedRevision. */
  revision: number;
  savedRevision: number;

  problems: GraphProblem[];
  problemCounts: Record<string, number>;

  graph: GraphMeta;
  view: View;
  stash: Snapshot & { past: Snapshot[]; future: Snapshot[] } | null;
  snapToGrid: boolean;
  /**
   * Bumped when a whole document is shown (graph opened, import, version or diff view): the canvas
   * fits it into view then. Not on the first node added to an empty canvas, which must stay where dropped.
   */
  fitRequest: number;

  setCatalog(list: NodeTypeDescriptor[]): void;
  setCatalogError(message: string): void;
  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  onConnect(conn: Connection): void;
  isValidConnection(conn: Connection | FlowEdge): boolean;
  pushHistory(coalesceKey?: string): void;
  touch(): void;
  undo(): void;
  redo(): void;
  addNode(type: string, position: XYPosition, connect?: PendingConnect): string | null;
  setParam(nodeId: string, name: string, value: unknown): void;
  setLabel(nodeId: string, label: string): void;
  renameNode(oldId: string, newId: string): string | null;
  deleteSelected(): void;
  selectOnly(ids: string[]): void;
  selectAll(): void;
  insertFragment(fragment: GraphDoc, offset: XYPosition): void;
  layout(): void;
  loadDoc(doc: GraphDoc, opts?: { markSaved?: boolean }): void;
  getDoc(): GraphDoc;
  markSaved(revision?: number): void;
  setGraph(meta: Partial<GraphMeta>): void;
  newGraph(): void;
  enterVersionView(v: { version: number; versionId: string; message: string }, doc: GraphDoc): void;
  enterDiffView(labelA: string, a: GraphDoc, labelB: string, b: GraphDoc): void;
  exitView(): void;
  setSnap(on: boolean): void;
  revalidate(): void;
  /** Replaces the notes and groups; `historyKey` coalesces typing into one undo step. */
  setAnnotations(next: GraphAnnotation[], historyKey?: string): void;
}

/** A connection dragged from a handle into empty space: the new node gets wired to it. */
export interface PendingConnect {
  nodeId: string;
  handleId: string;
  handleType: 'source' | 'target';
  /** "Insert node" on an edge: the new node goes between, its output feeding the edge's old target. */
  splitEdgeId?: string;
}

let lastCoalesce: { key: string; at: number } | null = null;
/** Drops problems that are not problems in the current context (an open subflow's inputs fed by its ports). */
let problemFilter: (problems: GraphProblem[]) => GraphProblem[] = (problems) => problems;
export function setProblemFilter(filter: ((problems: GraphProblem[]) => GraphProblem[]) | null): void {
  problemFilter = filter ?? ((problems) => problems);
}
let validateTimer: ReturnType<typeof setTimeout> | null = null;

export const useEditor = create<EditorState>()((set, get) => {
  const readOnly = () => get().view.kind !== 'draft';
  /** A document edit: bump the revision and re-run the validator soon. */
  const edited = (patch: Partial<EditorState>) => {
    set({ ...patch, revision: get().revision + 1 });
    get().revalidate();
  };

  return {
    catalogList: [],
    catalog: {},
    catalogStatus: 'loading',
    catalogError: null,
    nodes: [],
    edges: [],
    annotations: [],
    past: [],
    future: [],
    revision: 0,
    savedRevision: 0,
    problems: [],
    problemCounts: {},
    graph: NEW_GRAPH,
    view: { kind: 'draft' },
    stash: null,
    snapToGrid: true,
    fitRequest: 0,

    setCatalog(list) {
      const catalog: Catalog = Object.fromEntries(list.map((d) => [d.type, d]));
      const { nodes, edges } = get();
      set({ catalogList: list, catalog, catalogStatus: 'ok', catalogError: null, edges: decorateEdges(edges, nodes, catalog) });
      get().revalidate();
    },
    setCatalogError(message) {
      set({ catalogStatus: 'error', catalogError: message });
    },

    onNodesChange(changes) {
      const allowed = readOnly() ? changes.filter((c) => c.type === 'select' || c.type === 'dimensions') : changes;
      if (!allowed.length) return;
      const nodes = applyNodeChanges(allowed, get().nodes);
      const structural = allowed.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace');
      const dragEnd = allowed.some((c) => c.type === 'position' && c.dragging === false);
      if (structural || dragEnd) edited({ nodes });
      else set({ nodes });
    },
    onEdgesChange(changes) {
      const allowed = readOnly() ? changes.filter((c) => c.type === 'select') : changes;
      if (!allowed.length) return;
      const edges = applyEdgeChanges(allowed, get().edges);
      if (allowed.some((c) => c.type !== 'select')) edited({ edges });
      else set({ edges });
    },
    isValidConnection(conn) {
      const { nodes, catalog } = get();
      if (readOnly() || conn.source === conn.target) return false;
      const from = outputPortType(nodes, catalog, conn.source, conn.sourceHandle);
      const to = inputPortType(nodes, catalog, conn.target, conn.targetHandle);
      return !!from && !!to && canConnect(from, to);
    },
    onConnect(conn) {
      const s = get();
      if (!s.isValidConnection(conn) || !conn.sourceHandle || !conn.targetHandle) return;
      const target = s.nodes.find((n) => n.id === conn.target);
      const input = target && s.catalog[target.data.type]?.inputs.find((p) => p.name === conn.targetHandle);
      s.pushHistory();
      // A single input takes one edge: a new connection replaces the old one (ComfyUI behaviour).
      const kept = s.edges.filter(
        (e) =>
          !(e.target === conn.target && e.targetHandle === conn.targetHandle && !input?.multiple) &&
          e.id !== edgeId({ ...conn, sourceHandle: conn.sourceHandle!, targetHandle: conn.targetHandle! }),
      );
      const edge = {
        id: edgeId({ source: conn.source, sourceHandle: conn.sourceHandle, target: conn.target, targetHandle: conn.targetHandle }),
        source: conn.source,
        sourceHandle: conn.sourceHandle,
        target: conn.target,
        targetHandle: conn.targetHandle,
      };
      edited({ edges: [...kept, ...decorateEdges([edge], s.nodes, s.catalog)] });
    },

    pushHistory(coalesceKey) {
      const now = Date.now();
      if (coalesceKey && lastCoalesce?.key === coalesceKey && now - lastCoalesce.at < 1000) {
        lastCoalesce.at = now;
        return;
      }
      lastCoalesce = coalesceKey ? { key: coalesceKey, at: now } : null;
      const { nodes, edges, annotations, past } = get();
      set({ past: [...past.slice(-(HISTORY_LIMIT - 1)), { nodes, edges, annotations }], future: [] });
    },
    touch() {
      edited({});
    },
    undo() {
      const { past, future, nodes, edges, annotations } = get();
      if (readOnly() || !past.length) return;
      const prev = past[past.length - 1];
      lastCoalesce = null;
      edited({
        past: past.slice(0, -1),
        future: [{ nodes, edges, annotations }, ...future],
        nodes: prev.nodes,
        edges: prev.edges,
        annotations: prev.annotations ?? annotations,
      });
    },
    redo() {
      const { past, future, nodes, edges, annotations } = get();
      if (readOnly() || !future.length) return;
      const next = future[0];
      lastCoalesce = null;
      edited({
        past: [...past, { nodes, edges, annotations }],
        future: future.slice(1),
        nodes: next.nodes,
        edges: next.edges,
        annotations: next.annotations ?? annotations,
      });
    },

    addNode(type, position, connect) {
      const s = get();
      const descriptor = s.catalog[type];
      if (readOnly() || !descriptor) return null;
      s.pushHistory();
      const id = newNodeId(type, new Set(s.nodes.map((n) => n.id)));
      const node: FlowNode = {
        id,
        type: 'sf',
        position,
        selected: true,
        data: { type, params: defaultParams(descriptor) },
      };
      const nodes = [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
      let edges = s.edges;
      if (connect) {
        const fromNode = s.nodes.find((n) => n.id === connect.nodeId);
        const fromDesc = fromNode && s.catalog[fromNode.data.type];
        if (fromDesc && connect.handleType === 'source') {
          const outType = fromDesc.outputs.find((p) => p.name === connect.handleId)?.type;
          const input = descriptor.inputs.find((p) => outType && canConnect(outType, p.type));
          if (input) {
            const e = { source: connect.nodeId, sourceHandle: connect.handleId, target: id, targetHandle: input.name };
            edges = [...edges, ...decorateEdges([{ id: edgeId(e), ...e }], nodes, s.catalog)];
            const split = connect.splitEdgeId ? edges.find((x) => x.id === connect.splitEdgeId) : undefined;
            const inType = split && inputPortType(nodes, s.catalog, split.target, split.targetHandle);
            const output = inType && descriptor.outputs.find((p) => canConnect(p.type, inType));
            if (split && output) {
              const onward = { source: id, sourceHandle: output.name, target: split.target, targetHandle: split.targetHandle ?? '' };
              edges = [...edges.filter((x) => x.id !== split.id), ...decorateEdges([{ id: edgeId(onward), ...onward }], nodes, s.catalog)];
            }
          }
        } else if (fromDesc && connect.handleType === 'target') {
          const input = fromDesc.inputs.find((p) => p.name === connect.handleId);
          const output = input && descriptor.outputs.find((p) => canConnect(p.type, input.type));
          if (input && output) {
            const e = { source: id, sourceHandle: output.name, target: connect.nodeId, targetHandle: input.name };
            const kept = input.multiple ? edges : edges.filter((x) => !(x.target === e.target && x.targetHandle === e.targetHandle));
            edges = [...kept, ...decorateEdges([{ id: edgeId(e), ...e }], nodes, s.catalog)];
          }
        }
      }
      edited({ nodes, edges });
      return id;
    },

    setParam(nodeId, name, value) {
      if (readOnly()) return;
      get().pushHistory(`param:${nodeId}:${name}`);
      const nodes = get().nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const params = { ...n.data.params };
        if (value === undefined) delete params[name];
        else params[name] = value;
        return { ...n, data: { ...n.data, params } };
      });
      edited({ nodes });
    },
    setLabel(nodeId, label) {
      if (readOnly()) return;
      get().pushHistory(`label:${nodeId}`);
      const nodes = get().nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const data = { ...n.data };
        if (label.trim()) data.label = label;
        else delete data.label;
        return { ...n, data };
      });
      edited({ nodes });
    },
    renameNode(oldId, newId) {
      const s = get();
      if (readOnly()) return 'read-only';
      if (oldId === newId) return null;
      if (!nodeIdRegex.test(newId)) return 'start with a letter; letters, digits, "_" or "-" only (max 64)';
      if (s.nodes.some((n) => n.id === newId)) return `"${newId}" is already used`;
      s.pushHistory();
      const nodes = s.nodes.map((n) => (n.id === oldId ? { ...n, id: newId } : n));
      const edges = s.edges.map((e) => {
        if (e.source !== oldId && e.target !== oldId) return e;
        const source = e.source === oldId ? newId : e.source;
        const target = e.target === oldId ? newId : e.target;
        return { ...e, source, target, id: edgeId({ source, target, sourceHandle: e.sourceHandle ?? '', targetHandle: e.targetHandle ?? '' }) };
      });
      edited({ nodes, edges });
      return null;
    },
    deleteSelected() {
      const s = get();
      if (readOnly()) return;
      const gone = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
      const edges = s.edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
      if (!gone.size && edges.length === s.edges.length) return;
      s.pushHistory();
      edited({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges });
    },
    selectOnly(ids) {
      const want = new Set(ids);
      set({
        nodes: get().nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
        edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
      });
    },
    selectAll() {
      set({ nodes: get().nodes.map((n) => (n.selected ? n : { ...n, selected: true })) });
    },
    insertFragment(fragment, offset) {
      const s = get();
      if (readOnly() || !fragment.nodes.length) return;
      s.pushHistory();
      const taken = new Set(s.nodes.map((n) => n.id));
      const rename = new Map<string, string>();
      for (const n of fragment.nodes) {
        const id = taken.has(n.id) || !nodeIdRegex.test(n.id) ? newNodeId(n.type, taken) : n.id;
        taken.add(id);
        rename.set(n.id, id);
      }
      const flow = docToFlow(
        {
          nodes: fragment.nodes.map((n) => ({
            ...n,
            id: rename.get(n.id)!,
            position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y },
          })),
          edges: fragment.edges
            .filter((e) => rename.has(e.source) && rename.has(e.target))
            .map((e) => ({ ...e, id: undefined, source: rename.get(e.source)!, target: rename.get(e.target)! })),
        },
        s.catalog,
      );
      edited({
        nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...flow.nodes.map((n) => ({ ...n, selected: true }))],
        edges: [...s.edges, ...flow.edges],
      });
    },
    layout() {
      if (readOnly() || !get().nodes.length) return;
      // dagre is its own chunk (fetched when the editor is idle): the first screen does not need it.
      void import('../lib/layout').then(({ autoLayout }) => {
        const s = get();
        if (readOnly() || !s.nodes.length) return;
        s.pushHistory();
        const selected = s.nodes.filter((n) => n.selected);
        const only = selected.length > 1 ? new Set(selected.map((n) => n.id)) : undefined;
        edited({ nodes: autoLayout(s.nodes, s.edges, only) });
      });
    },

    loadDoc(doc, opts) {
      const flow = docToFlow(doc, get().catalog);
      const revision = get().revision + 1;
      const fitRequest = get().fitRequest + (flow.nodes.length ? 1 : 0);
      const annotations = doc.annotations ?? [];
      set({ ...flow, annotations, past: [], future: [], revision, view: { kind: 'draft' }, stash: null, fitRequest });
      if (opts?.markSaved) set({ savedRevision: revision });
      get().revalidate();
    },
    getDoc() {
      const { nodes, edges, stash, annotations } = get();
      const doc = stash ? flowToDoc(stash.nodes, stash.edges) : flowToDoc(nodes, edges);
      return annotations.length ? { ...doc, annotations } : doc;
    },
    markSaved(revision) {
      set({ savedRevision: revision ?? get().revision });
    },
    setGraph(meta) {
      set({ graph: { ...get().graph, ...meta } });
    },
    newGraph() {
      set({ graph: NEW_GRAPH });
      get().loadDoc({ nodes: [], edges: [] }, { markSaved: true });
    },

    enterVersionView(v, doc) {
      const s = get();
      const stash = s.stash ?? { nodes: s.nodes, edges: s.edges, past: s.past, future: s.future };
      set({ ...docToFlow(doc, s.catalog), stash, view: { kind: 'version', ...v }, past: [], future: [], fitRequest: s.fitRequest + 1 });
      get().revalidate();
    },
    enterDiffView(labelA, a, labelB, b) {
      const s = get();
      const stash = s.stash ?? { nodes: s.nodes, edges: s.edges, past: s.past, future: s.future };
      const diff = diffGraphs(a, b);
      const flow = docToFlow(unionDoc(a, b), s.catalog);
      const nodes = flow.nodes.map((n) => ({ ...n, data: { ...n.data, diff: diff.nodes.get(n.id) ?? 'same' } }));
      const edges = flow.edges.map((e) => {
        const key = edgeKey({ source: e.source, sourceHandle: e.sourceHandle ?? '', target: e.target, targetHandle: e.targetHandle ?? '' });
        const state = diff.edges.get(key) ?? 'same';
        return { ...e, data: { ...e.data, diff: state }, className: `diff-${state}` };
      });
      set({ nodes, edges, stash, view: { kind: 'diff', labelA, labelB, diff }, past: [], future: [], problems: [], problemCounts: {}, fitRequest: s.fitRequest + 1 });
    },
    exitView() {
      const { stash } = get();
      if (!stash) return;
      set({ nodes: stash.nodes, edges: stash.edges, past: stash.past, future: stash.future, stash: null, view: { kind: 'draft' } });
      get().revalidate();
    },
    setSnap(on) {
      set({ snapToGrid: on });
    },

    setAnnotations(next, historyKey) {
      if (readOnly()) return;
      get().pushHistory(historyKey);
      edited({ annotations: next });
    },

    revalidate() {
      if (validateTimer) clearTimeout(validateTimer);
      validateTimer = setTimeout(() => {
        validateTimer = null;
        const s = get();
        if (s.view.kind === 'diff' || s.catalogStatus !== 'ok') {
          set({ problems: [], problemCounts: {} });
          return;
        }
        const problems = problemFilter(validateGraph(flowToDoc(s.nodes, s.edges), s.catalogList).problems);
        const problemCounts: Record<string, number> = {};
        for (const p of problems) if (p.nodeId) problemCounts[p.nodeId] = (problemCounts[p.nodeId] ?? 0) + 1;
        set({ problems, problemCounts });
      }, 40);
    },
  };
});

export const selectReadOnly = (s: EditorState) => s.view.kind !== 'draft';
export const selectDirty = (s: EditorState) => s.revision !== s.savedRevision;
export const selectSelectedId = (s: EditorState): string | null => {
  let found: string | null = null;
  for (const n of s.nodes) {
    if (!n.selected) continue;
    if (found) return null;
    found = n.id;
  }
  return found;
};
export const selectLatestVersion = (s: EditorState): VersionSummary | null =>
  s.graph.versions.reduce<VersionSummary | null>((best, v) => (!best || v.version > best.version ? v : best), null);
