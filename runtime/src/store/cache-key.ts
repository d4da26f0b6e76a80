import { createHash } from 'node:crypto';
import { isArtifactRef, type PortValue } from '../contract';
import type { PlanNode } from '../scheduler/plan';

/**
 * The execution-cache key: node type + version + params + input values, with artifacts reduced to
 * their content hashes. Scoped by tenant in the table, so one tenant's outputs never serve another.
 * `wants` (the outputs a run consumes, when it skips the others) is part of the key: an entry
 * missing an output must not serve a run that needs it.
 */
export function cacheKey(node: CacheKeyNode, params: Record<string, unknown>, inputs: Record<string, PortValue>): string {
  const normalisedInputs: Record<string, unknown> = {};
  for (const k of Object.keys(inputs).sort()) normalisedInputs[k] = normalise(inputs[k]);
  const { type, version, cacheSalt: salt = '', wants } = node;
  // The placed model's fingerprint comes from the shared model configuration, fixed at compile time.
  const model = node.model?.fingerprint;
  return createHash('sha256')
    .update(stableJson({ type, version, salt, params, inputs: normalisedInputs, wants, model }))
    .digest('hex');
}

/** The plan node's facts that identify its work. */
export type CacheKeyNode = Pick<PlanNode, 'type' | 'version' | 'cacheSalt' | 'wants' | 'model'>;

function normalise(v: unknown): unknown {
  if (isArtifactRef(v)) return { artifact: v.hash };
  if (Array.isArray(v)) return v.map(normalise);
  return v;
}

/** JSON with object keys sorted, so equal values always give equal strings. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
