import type { PortValue } from '../contract';
import { queueFor } from '../scheduler/plan';
import { jobIdFor, type JobSpec, type RunDefinition } from './types';

/** The one place a node dispatch becomes a BullMQ job: scheduler decisions and reconciliation both use it. */
export function jobFor(
  def: RunDefinition,
  nodeId: string,
  generation: number,
  inputs: Record<string, PortValue>,
  params: Record<string, unknown>,
): JobSpec {
  const node = def.plan.nodes[nodeId];
  return {
    queue: node.queue ?? queueFor(node.resource, node.model),
    jobId: jobIdFor(def.runId, nodeId, generation),
    attempts: node.attempts,
    backoffMs: node.backoffMs,
    ...(def.queuePriority ? { priority: def.queuePriority } : {}),
    data: {
      runId: def.runId,
      tenantId: def.tenantId,
      nodeId,
      type: node.type,
      generation,
      params,
      inputs,
      run: def.info,
      timeoutMs: node.timeoutMs,
      ...(node.wants ? { wants: node.wants } : {}),
      ...(node.model ? { model: node.model.id } : {}),
    },
  };
}
