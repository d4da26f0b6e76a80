import { connectionRefusal } from '@studioflow/runtime/graph';
import { inputPortType, outputPortType, type Catalog, type FlowNode } from './flow';

export interface HandleRef {
  nodeId: string;
  id?: string | null;
  type: 'source' | 'target';
}

/**
 * Why a connection between two handles is refused, in the validator's words ("mask can't feed
 * image"), or null when it is allowed. Mirrors the store's isValidConnection.
 */
export function refusalReason(from: HandleRef, to: HandleRef, nodes: readonly FlowNode[], catalog: Catalog, readOnly: boolean): string | null {
  if (readOnly) return 'this view is read-only: go back to the draft to edit';
  if (from.type === to.type) return from.type === 'source' ? 'an output connects to an input, not to another output' : 'an input takes an output, not another input';
  const source = from.type === 'source' ? from : to;
  const target = from.type === 'source' ? to : from;
  if (source.nodeId === target.nodeId) return 'a node cannot feed itself';
  const out = outputPortType(nodes, catalog, source.nodeId, source.id);
  const inp = inputPortType(nodes, catalog, target.nodeId, target.id);
  if (!out || !inp) return 'unknown port';
  return connectionRefusal(out, inp);
}
