import type { GraphDoc, GraphEdge, GraphProblem, NodeTypeDescriptor } from './types';

/**
 * The graph a run executes when some nodes are disabled (bypassed): each disabled node is removed,
 * and each of its outputs passes on what fed its first input of the same port type (ComfyUI's
 * bypass). An output with consumers but no same-typed, connected input cannot be bypassed: that is a
 * problem naming the node, the output and who needs it. Pure; the editor, server and compiler share it.
 */
export function bypassDisabled(doc: GraphDoc, catalog: readonly NodeTypeDescriptor[]): { doc: GraphDoc; problems: GraphProblem[] } {
  if (!doc.nodes.some((n) => n.disabled)) return { doc, problems: [] };
  const types = new Map(catalog.map((d) => [d.type, d]));
  const problems: GraphProblem[] = [];
  let edges: GraphEdge[] = doc.edges;
  for (const node of doc.nodes) {
    if (!node.disabled) continue;
    const d = types.get(node.type);
    const feeding = edges.filter((e) => e.target === node.id);
    const onward: GraphEdge[] = [];
    for (const out of edges.filter((e) => e.source === node.id)) {
      const port = d?.outputs.find((p) => p.name === out.sourceHandle);
      const through = port && d?.inputs.find((p) => p.type === port.type && feeding.some((e) => e.targetHandle === p.name));
      if (!port || !through) {
        problems.push({
          code: 'bypass_blocked',
          nodeId: node.id,
          port: out.sourceHandle,
          message: `${node.id} is disabled, but its output "${out.sourceHandle}"${port ? ` (${port.type})` : ''} has no connected input of the same type to pass on, and ${out.target}.${out.targetHandle} needs it: enable ${node.id} or remove that connection`,
        });
        continue;
      }
      for (const e of feeding.filter((x) => x.targetHandle === through.name)) {
        onward.push({ source: e.source, sourceHandle: e.sourceHandle, target: out.target, targetHandle: out.targetHandle });
      }
    }
    edges = [...edges.filter((e) => e.source !== node.id && e.target !== node.id), ...onward];
  }
  return { doc: { ...doc, nodes: doc.nodes.filter((n) => !n.disabled), edges }, problems };
}
