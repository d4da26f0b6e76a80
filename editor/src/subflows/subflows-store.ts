import { create } from 'zustand';
import type { GraphDoc, NodeTypeDescriptor, SubflowCut, SubflowDefinition } from '@studioflow/runtime/graph';
import { api } from '../api/client';
import { useEditor, type GraphMeta } from '../store/editor';
import { subflowsApi, type SubflowSummary } from './subflows-api';

/** An inner param "Make subflow" offers to expose. */
export interface ParamChoice {
  node: string;
  param: string;
  title: string;
}

export interface MakeRequest {
  cut: SubflowCut;
  choices: ParamChoice[];
  position: { x: number; y: number };
}

/** The subflow open on the canvas, and the pipeline put aside meanwhile. */
export interface EditingSubflow {
  definition: SubflowDefinition;
  stash: { doc: GraphDoc; graph: GraphMeta; dirty: boolean };
}

interface SubflowsState {
  list: SubflowSummary[];
  making: MakeRequest | null;
  editing: EditingSubflow | null;
}

export const useSubflows = create<SubflowsState>()(() => ({ list: [], making: null, editing: null }));

/** The tenant's subflows as node types, for the catalog (palette section "Subflows"); none for a key without staff rights. */
export async function loadSubflowDescriptors(): Promise<NodeTypeDescriptor[]> {
  try {
    const list = await subflowsApi.list();
    useSubflows.setState({ list });
    return list.map((s) => s.descriptor);
  } catch {
    return [];
  }
}

/** Reloads the node types with the tenant's subflows (after one is made or gets a new version). */
export async function refreshCatalog(): Promise<void> {
  const [types, subflows] = await Promise.all([api.nodeTypes(), loadSubflowDescriptors()]);
  useEditor.getState().setCatalog([...(Array.isArray(types) ? types : []), ...subflows]);
}
