import { expandSubflows, embeddedResolver, explainExpandedProblem, hasSubflowInstances, subflowDescriptor, subflowIdOf, type SubflowDefinition, type SubflowInstanceInfo, type SubflowResolver } from './subflows';
import type { GraphDoc, NodeTypeDescriptor, ValidationResult } from './types';
import { validateWithParams } from './validate';

export interface CheckedGraph extends ValidationResult {
  /** Each node's params as checked (defaults applied), keyed by its id in `doc`. */
  params: ReadonlyMap<string, Record<string, unknown>>;
  /** The graph as it runs: subflow instances expanded, disabled nodes bypassed. */
  doc: GraphDoc;
  /** The subflow versions the expansion used, keyed `<id>@<version>`. */
  used: Record<string, SubflowDefinition>;
  /** Each expanded instance by its path: the subflow version it became. */
  instances: Record<string, SubflowInstanceInfo>;
}

/**
 * The validator for graphs that may hold subflow instances: first the graph as drawn (each instance
 * against its subflow's ports and exposed params), then the expanded graph, whose problems are told
 * in the drawn graph's words ("in subflow instance 'clean' (Cutout v2): node 'seg' …").
 * `resolve` defaults to the definitions the document carries (a committed version's).
 */
export function checkGraph(doc: unknown, catalog: readonly NodeTypeDescriptor[], resolve?: SubflowResolver): CheckedGraph {
  const plain = doc as GraphDoc;
  if (!Array.isArray(plain?.nodes) || !hasSubflowInstances(plain)) {
    return { ...validateWithParams(doc, catalog), used: {}, instances: {} };
  }
  const find = resolve ?? embeddedResolver(plain);
  const outer = validateWithParams(doc, catalog, {
    descriptorOf: (node) => {
      const id = subflowIdOf(node.type);
      const def = id === undefined ? undefined : find(id, node.subflowVersion ?? 'latest');
      return def && subflowDescriptor(def);
    },
  });
  if (!outer.ok) return { ...outer, doc: plain, used: {}, instances: {} };
  // The drawn graph as it runs (disabled nodes bypassed, a disabled instance included) is what expands.
  const expanded = expandSubflows(outer.doc, find);
  if (expanded.problems.length) return { ok: false, problems: expanded.problems, params: new Map(), doc: plain, used: expanded.used, instances: expanded.instances };
  const flat = validateWithParams(expanded.doc, catalog, { namespacedIds: true });
  return {
    ok: flat.ok,
    problems: flat.problems.map((p) => explainExpandedProblem(p, expanded.instances)),
    params: flat.params,
    doc: flat.doc,
    used: expanded.used,
    instances: expanded.instances,
  };
}
