import type { GraphAnnotation, GraphDoc, GraphEdge, GraphNode } from '@studioflow/runtime/graph';
import type { DiffState } from './flow';

export interface NodeChange {
  nodeId: string;
  state: Exclude<DiffState, 'same'>;
  type: string;
  details: string[];
}

export interface GraphDiff {
  nodes: Map<string, DiffState>;
  edges: Map<string, DiffState>;
  changes: NodeChange[];
  edgeChanges: Array<{ key: string; state: 'added' | 'removed' }>;
  /** Sticky notes and groups added, removed or changed (title, text, colour; moves and resizes are ignored). */
  annotationChanges: AnnotationChange[];
}

export interface AnnotationChange {
  id: string;
  kind: GraphAnnotation['kind'];
  state: Exclude<DiffState, 'same'>;
  details: string[];
}

export function edgeKey(e: Pick<GraphEdge, 'source' | 'sourceHandle' | 'target' | 'targetHandle'>): string {
  return `${e.source}.${e.sourceHandle} → ${e.target}.${e.targetHandle}`;
}

function stable(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(',')}}`;
}

function short(v: unknown): string {
  const s = v === undefined ? '(unset)' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

function nodeDetails(a: GraphNode, b: GraphNode): string[] {
  const out: string[] = [];
  if (a.type !== b.type) out.push(`type ${a.type} → ${b.type}`);
  if ((a.label ?? '') !== (b.label ?? '')) out.push(`label ${short(a.label)} → ${short(b.label)}`);
  if (!!a.disabled !== !!b.disabled) out.push(b.disabled ? 'disabled (bypassed)' : 'enabled (no longer bypassed)');
  const pa = a.params ?? {};
  const pb = b.params ?? {};
  for (const k of new Set([...Object.keys(pa), ...Object.keys(pb)])) {
    if (stable(pa[k]) !== stable(pb[k])) out.push(`${k}: ${short(pa[k])} → ${short(pb[k])}`);
  }
  return out;
}

/** What changed from `a` (older) to `b` (newer). Positions are ignored. */
export function diffGraphs(a: GraphDoc, b: GraphDoc): GraphDiff {
  const nodes = new Map<string, DiffState>();
  const changes: NodeChange[] = [];
  const aNodes = new Map(a.nodes.map((n) => [n.id, n]));
  const bNodes = new Map(b.nodes.map((n) => [n.id, n]));
  for (const n of b.nodes) {
    const old = aNodes.get(n.id);
    if (!old) {
      nodes.set(n.id, 'added');
      changes.push({ nodeId: n.id, state: 'added', type: n.type, details: [] });
      continue;
    }
    const details = nodeDetails(old, n);
    nodes.set(n.id, details.length ? 'changed' : 'same');
    if (details.length) changes.push({ nodeId: n.id, state: 'changed', type: n.type, details });
  }
  for (const n of a.nodes) {
    if (!bNodes.has(n.id)) {
      nodes.set(n.id, 'removed');
      changes.push({ nodeId: n.id, state: 'removed', type: n.type, details: [] });
    }
  }
  const edges = new Map<string, DiffState>();
  const edgeChanges: GraphDiff['edgeChanges'] = [];
  const aEdges = new Set(a.edges.map(edgeKey));
  const bEdges = new Set(b.edges.map(edgeKey));
  for (const k of bEdges) {
    edges.set(k, aEdges.has(k) ? 'same' : 'added');
    if (!aEdges.has(k)) edgeChanges.push({ key: k, state: 'added' });
  }
  for (const k of aEdges) {
    if (!bEdges.has(k)) {
      edges.set(k, 'removed');
      edgeChanges.push({ key: k, state: 'removed' });
    }
  }
  return { nodes, edges, changes, edgeChanges, annotationChanges: diffAnnotations(a.annotations ?? [], b.annotations ?? []) };
}

function diffAnnotations(a: GraphAnnotation[], b: GraphAnnotation[]): AnnotationChange[] {
  const out: AnnotationChange[] = [];
  const old = new Map(a.map((x) => [x.id, x]));
  const ids = new Set(b.map((x) => x.id));
  for (const x of b) {
    const was = old.get(x.id);
    if (!was) {
      out.push({ id: x.id, kind: x.kind, state: 'added', details: [`${x.kind} ${short(x.title)}`] });
      continue;
    }
    const details: string[] = [];
    if (was.title !== x.title) details.push(`title ${short(was.title)} → ${short(x.title)}`);
    if ((was.text ?? '') !== (x.text ?? '')) details.push(`text ${short(was.text)} → ${short(x.text)}`);
    if (was.color !== x.color) details.push(`colour ${was.color} → ${x.color}`);
    if (details.length) out.push({ id: x.id, kind: x.kind, state: 'changed', details });
  }
  for (const x of a) if (!ids.has(x.id)) out.push({ id: x.id, kind: x.kind, state: 'removed', details: [`${x.kind} ${short(x.title)}`] });
  return out;
}

/** One document holding both sides, for drawing: b's nodes plus a's removed ones. */
export function unionDoc(a: GraphDoc, b: GraphDoc): GraphDoc {
  const bIds = new Set(b.nodes.map((n) => n.id));
  const bEdgeKeys = new Set(b.edges.map(edgeKey));
  return {
    nodes: [...b.nodes, ...a.nodes.filter((n) => !bIds.has(n.id))],
    edges: [...b.edges, ...a.edges.filter((e) => !bEdgeKeys.has(edgeKey(e)))],
  };
}
