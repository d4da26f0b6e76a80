/** "Make subflow", "Open subflow" and instance version actions; the canvas menus call these too. */
import {
  cutSubflow,
  replaceWithInstance,
  subflowIdOf,
  subflowNodeType,
  type GraphNode,
  type SubflowDefinition,
} from '@studioflow/runtime/graph';
import { ApiError } from '../api/client';
import { defaultParams, docToFlow, flowToDoc } from '../lib/flow';
import { selectDirty, setProblemFilter, useEditor } from '../store/editor';
import { toast } from '../store/ui';
import { subflowsApi } from './subflows-api';
import { refreshCatalog, useSubflows, type ParamChoice } from './subflows-store';

/** Starts "Make subflow" on the selected nodes: computes the ports from the cut edges and opens the dialog. */
export function makeSubflow(): boolean {
  const ed = useEditor.getState();
  if (ed.view.kind !== 'draft' || useSubflows.getState().editing) return false;
  const selected = ed.nodes.filter((n) => n.selected);
  if (!selected.length) {
    toast('info', 'Select the nodes to make into a subflow first');
    return false;
  }
  const cut = cutSubflow(flowToDoc(ed.nodes, ed.edges), new Set(selected.map((n) => n.id)), ed.catalogList);
  const choices: ParamChoice[] = cut.graph.nodes.flatMap((n) =>
    Object.entries(ed.catalog[n.type]?.params.properties ?? {}).map(([param, schema]) => ({
      node: n.id,
      param,
      title: typeof schema.title === 'string' ? schema.title : param,
    })),
  );
  const position = {
    x: selected.reduce((sum, n) => sum + n.position.x, 0) / selected.length,
    y: selected.reduce((sum, n) => sum + n.position.y, 0) / selected.length,
  };
  useSubflows.setState({ making: { cut, choices, position } });
  return true;
}

export function cancelMakeSubflow(): void {
  useSubflows.setState({ making: null });
}

/** Saves the subflow being made, then replaces the selection with one instance wired to the same edges. */
export async function saveMadeSubflow(name: string, exposed: ParamChoice[]): Promise<string | null> {
  const making = useSubflows.getState().making;
  if (!making) return null;
  const taken = new Set<string>();
  const params = exposed.map((c) => {
    const base = taken.has(c.param) ? `${c.node}_${c.param}` : c.param;
    taken.add(base);
    return { name: base.replace(/[^A-Za-z0-9_-]/g, '_'), node: c.node, param: c.param, title: c.title };
  });
  let def: SubflowDefinition;
  try {
    def = await subflowsApi.create({ name, graph: making.cut.graph, inputs: making.cut.inputs, outputs: making.cut.outputs, params });
  } catch (err) {
    return err instanceof ApiError ? err.message : String(err);
  }
  await refreshCatalog();
  const ed = useEditor.getState();
  const type = subflowNodeType(def.id);
  const descriptor = ed.catalog[type];
  const instance: GraphNode = {
    id: instanceId(name, new Set(ed.nodes.map((n) => n.id))),
    type,
    position: { x: Math.round(making.position.x), y: Math.round(making.position.y) },
    params: descriptor ? defaultParams(descriptor) : {},
  };
  ed.pushHistory();
  const flow = docToFlow(replaceWithInstance(flowToDoc(ed.nodes, ed.edges), making.cut, instance), ed.catalog);
  useEditor.setState({ nodes: flow.nodes.map((n) => (n.id === instance.id ? { ...n, selected: true } : n)), edges: flow.edges });
  ed.touch();
  useSubflows.setState({ making: null });
  toast('success', `Subflow “${def.name}” saved (v${def.version})`);
  return null;
}

/** Pins an instance to a version (or back to following `latest` with undefined). */
export function setSubflowVersion(nodeId: string, version: number | undefined): void {
  const ed = useEditor.getState();
  if (ed.view.kind !== 'draft') return;
  ed.pushHistory();
  useEditor.setState({
    nodes: ed.nodes.map((n) => {
      if (n.id !== nodeId) return n;
      const data = { ...n.data };
      if (version === undefined) delete data.subflowVersion;
      else data.subflowVersion = version;
      return { ...n, data };
    }),
  });
  ed.touch();
}

/**
 * Opens an instance's subflow on the canvas; the pipeline is put aside until the subflow is saved or
 * closed. Always its latest version: a new version built on an older one would silently drop the
 * changes made since.
 */
export async function openSubflow(nodeId: string): Promise<void> {
  const ed = useEditor.getState();
  const node = ed.nodes.find((n) => n.id === nodeId);
  const id = node && subflowIdOf(node.data.type);
  if (!node || !id || useSubflows.getState().editing) return;
  try {
    const definition = (await subflowsApi.latest(id)).definition;
    const pinned = node.data.subflowVersion;
    if (pinned && pinned !== definition.version) toast('info', `${nodeId} is pinned to v${pinned}; you are editing the latest, v${definition.version}`);
    useSubflows.setState({ editing: { definition, stash: { doc: ed.getDoc(), graph: ed.graph, dirty: selectDirty(ed) } } });
    // Inner inputs fed by the subflow's ports have no edge here, and need none.
    const fed = new Set(definition.inputs.flatMap((port) => port.targets.map((t) => `${t.node}.${t.port}`)));
    setProblemFilter((problems) => problems.filter((p) => !(p.code === 'missing_input' && fed.has(`${p.nodeId}.${p.port}`))));
    ed.setGraph({ id: null, name: `Subflow: ${definition.name}`, description: definition.description ?? '', versions: [] });
    ed.loadDoc(definition.graph, { markSaved: true });
  } catch (err) {
    toast('error', `Could not open the subflow: ${(err as Error).message}`);
  }
}

/** Saves the open subflow as its next version (its ports keep their inner ends), then returns to the pipeline. */
export async function saveEditedSubflow(): Promise<boolean> {
  const editing = useSubflows.getState().editing;
  if (!editing) return false;
  const { definition } = editing;
  try {
    const saved = await subflowsApi.addVersion(definition.id, {
      name: definition.name,
      ...(definition.description ? { description: definition.description } : {}),
      graph: useEditor.getState().getDoc(),
      inputs: definition.inputs,
      outputs: definition.outputs,
      params: definition.params.map(({ schema: _schema, ...p }) => p),
      message: 'edited in the editor',
    });
    closeSubflow();
    await refreshCatalog();
    toast('success', `Subflow “${saved.name}” saved as v${saved.version}`);
    return true;
  } catch (err) {
    toast('error', `The subflow was not saved: ${(err as Error).message}`);
    return false;
  }
}

/** Back to the pipeline, as it was (unsaved edits included). */
export function closeSubflow(): void {
  const editing = useSubflows.getState().editing;
  if (!editing) return;
  const ed = useEditor.getState();
  useSubflows.setState({ editing: null });
  setProblemFilter(null);
  ed.setGraph(editing.stash.graph);
  ed.loadDoc(editing.stash.doc, { markSaved: !editing.stash.dirty });
}

function instanceId(name: string, taken: ReadonlySet<string>): string {
  let base = name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 40) || 'subflow';
  base = base.replace(/-+$/, '') || 'subflow';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}
