import type { PortValue, PortValues } from '../contract';
import type { GraphDoc, NodeTypeDescriptor } from '../graph';
import { applyOverrides, bindSeeds, compilePlan, type CompileOptions, type Materialize, type ParamOverrides, type RunPlan } from '../scheduler';

export interface PlanRunOptions {
  /** Template overrides keyed `<nodeId>.<param>`. */
  params?: ParamOverrides;
  /** Default all: every node output is produced. */
  materialize?: Materialize;
  /** Node placement (NodeCatalog.place): a segment with a configured model goes to the GPU runtime. */
  place?: CompileOptions['place'];
  /** "Run to here": only this node and its ancestors are planned (CompileOptions.untilNodeId). */
  untilNodeId?: string;
  /**
   * The run-start values (e.g. `{ upload }`), or a function producing them from the compiled plan:
   * the API checks an upload against the nodes that take it before storing the file.
   */
  seeds?: Record<string, PortValue> | ((plan: RunPlan) => Promise<Record<string, PortValue>>);
}

export interface PlannedRun {
  plan: RunPlan;
  seeds: Record<string, PortValue>;
  /** The seeds bound to the nodes that declare them (the scheduler's `seedInputs`). */
  seedInputs: Record<string, PortValues>;
}

/**
 * Compile and bind: the first step of every run, shared by `startRun` (PostgreSQL + BullMQ) and
 * `runGraphLocally` (the CLI). Throws GraphInvalidError for a bad graph, bad params or a missing seed.
 */
export async function planRun(doc: GraphDoc, catalog: readonly NodeTypeDescriptor[], options: PlanRunOptions = {}): Promise<PlannedRun> {
  const plan = compilePlan(applyOverrides(doc, options.params ?? {}), catalog, { materialize: options.materialize ?? 'all', place: options.place, untilNodeId: options.untilNodeId });
  const seeds = typeof options.seeds === 'function' ? await options.seeds(plan) : (options.seeds ?? {});
  return { plan, seeds, seedInputs: bindSeeds(plan, seeds) };
}
