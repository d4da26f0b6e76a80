import { isArtifactRef, type ArtifactRef } from '@studioflow/runtime/contract';
import {
  DEFAULT_REVIEW_SLA_MINUTES,
  type AdjustableNode,
  type ClipCheck,
  type FidelityCheck,
  type ReviewGateAttempt,
  type NodeTypeDescriptor,
  type ReviewCandidate,
  type ReviewDoubt,
  type ReviewImage,
  type ReviewItem,
} from '@studioflow/runtime/graph';
import type { RunPlan } from '@studioflow/runtime/scheduler';

/** A parked node with its run, as the review queue's query reads it. */
export interface ParkedRow {
  run_id: string;
  node_id: string;
  node_type: string;
  generation: number;
  since: Date;
  tenant_id: string;
  plan: RunPlan;
  seed_inputs: Record<string, Record<string, unknown>>;
  template_id: string | null;
  template_slug: string | null;
  template_name: string | null;
}

/** Every node of a parked run: where its inputs, scores and current params come from. */
export interface RunNodeRow {
  node_id: string;
  node_type: string;
  state: string;
  outputs: Record<string, unknown> | null;
  params_override: Record<string, unknown> | null;
}

type SignUrl = (hash: string) => string;

/**
 * Builds the review console's view of one parked node from rows already loaded (pure: no I/O), so
 * the queue and the detail answer the same shape.
 */
export function reviewItem(row: ParkedRow, nodes: Map<string, RunNodeRow>, descriptors: readonly NodeTypeDescriptor[], sign: SignUrl, now = Date.now()): ReviewItem {
  const { plan } = row;
  const node = plan.nodes[row.node_id];
  const params = effectiveParams(plan, nodes, row.node_id);
  const isGate = !!node.gate;
  const slaMinutes = isGate ? DEFAULT_REVIEW_SLA_MINUTES : Number(params.slaMinutes ?? DEFAULT_REVIEW_SLA_MINUTES);
  const since = row.since.getTime();
  const dueAt = since + slaMinutes * 60_000;
  const candidates = candidatesOf(row, nodes, descriptors, sign);
  const attempts = isGate ? gateAttempts(nodes.get(row.node_id)?.outputs) : undefined;
  const doubts = doubtsOf(plan, nodes, row.node_id, sign);
  return {
    runId: row.run_id,
    shootId: row.run_id,
    nodeId: row.node_id,
    nodeType: row.node_type,
    generation: row.generation,
    template: row.template_id ? { id: row.template_id, slug: row.template_slug ?? '', name: row.template_name ?? '' } : null,
    since: row.since.toISOString(),
    ageSeconds: Math.max(0, Math.floor((now - since) / 1000)),
    slaMinutes,
    dueAt: new Date(dueAt).toISOString(),
    overdue: now > dueAt,
    instructions: isGate ? gateInstructions(params, attempts ?? []) : String(params.instructions ?? ''),
    original: firstImage(row.seed_inputs, sign),
    candidates,
    ...(attempts ? { attempts } : {}),
    ...(doubts.length ? { doubts } : {}),
    adjustable: adjustableNodes(plan, nodes, descriptors, row.node_id),
    defaultRerunFrom: defaultRerunFrom(plan, row.node_id, params),
  };
}

/** A node's params in this run: the plan's (defaults applied) with the run's overrides on top. */
export function effectiveParams(plan: RunPlan, nodes: Map<string, RunNodeRow>, nodeId: string): Record<string, unknown> {
  return { ...plan.nodes[nodeId].params, ...(nodes.get(nodeId)?.params_override ?? {}) };
}

/** Where a retry re-runs from when the reviewer names no node: a gate's own rerunFrom, else the node feeding the review. */
export function defaultRerunFrom(plan: RunPlan, nodeId: string, params: Record<string, unknown>): string | null {
  const gateFrom = plan.nodes[nodeId].gate && typeof params.rerunFrom === 'string' && plan.nodes[params.rerunFrom] ? params.rerunFrom : null;
  return gateFrom ?? plan.nodes[nodeId].upstream[0] ?? null;
}

/** Every node upstream of `nodeId` (transitively), nearest first. */
export function ancestorsOf(plan: RunPlan, nodeId: string): string[] {
  const seen = new Set<string>();
  const queue = [...plan.nodes[nodeId].upstream];
  const out: string[] = [];
  while (queue.length) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
    queue.push(...plan.nodes[id].upstream);
  }
  return out;
}

/**
 * The upstream nodes a reviewer may re-run with other params: those with params, not the photo's
 * input (it is the seller's upload) nor other gates or reviews (the scheduler's, not a worker's).
 */
function adjustableNodes(plan: RunPlan, nodes: Map<string, RunNodeRow>, descriptors: readonly NodeTypeDescriptor[], nodeId: string): AdjustableNode[] {
  const out: AdjustableNode[] = [];
  for (const id of ancestorsOf(plan, nodeId)) {
    const planNode = plan.nodes[id];
    const descriptor = descriptors.find((d) => d.type === planNode.type);
    if (!descriptor || descriptor.seeds?.length || descriptor.gate || descriptor.parks) continue;
    const values = effectiveParams(plan, nodes, id);
    const params = Object.entries(descriptor.params.properties).map(([name, schema]) => ({
      name,
      title: typeof schema.title === 'string' ? schema.title : humanize(name),
      schema,
      value: values[name] ?? schema.default ?? null,
    }));
    if (params.length) out.push({ nodeId: id, type: planNode.type, title: descriptor.title, params });
  }
  return out;
}

/** The images the parked node holds (its image and candidate inputs), each with the scores measured on it. */
function candidatesOf(row: ParkedRow, nodes: Map<string, RunNodeRow>, descriptors: readonly NodeTypeDescriptor[], sign: SignUrl): ReviewCandidate[] {
  const planNode = row.plan.nodes[row.node_id];
  const descriptor = descriptors.find((d) => d.type === planNode.type);
  const imagePorts = new Set((descriptor?.inputs ?? []).filter((p) => p.type === 'image' || p.type === 'candidates').map((p) => p.name));
  const refs: ArtifactRef[] = [];
  for (const input of planNode.inputs) {
    if (!imagePorts.has(input.port)) continue;
    for (const source of input.sources) collectRefs(nodes.get(source.node)?.outputs?.[source.port], refs);
  }
  const unique = [...new Map(refs.map((r) => [r.hash, r])).values()];
  const fidelity: FidelityCheck[] = [];
  const clip: Array<ClipCheck & { hash?: string }> = [];
  for (const n of nodes.values()) {
    if (n.state !== 'done' && n.state !== 'cached') continue;
    const score = n.outputs?.score as Record<string, unknown> | undefined;
    if (!score || typeof score.score !== 'number') continue;
    if (n.node_type === 'product-fidelity') fidelity.push(fidelityCheck(n.node_id, score));
    if (n.node_type === 'clip-score') clip.push(...clipChecks(n.node_id, score));
  }
  return unique.map((ref) => {
    // A fidelity check names the candidate it measured; with one candidate and one check, they belong together.
    const f = fidelity.find((c) => (c as FidelityCheck & { candidate?: string }).candidate === ref.hash) ?? (unique.length === 1 && fidelity.length === 1 ? fidelity[0] : undefined);
    const c = clip.find((x) => x.hash === ref.hash) ?? (unique.length === 1 && clip.length === 1 ? clip[0] : undefined);
    return {
      image: image(ref, sign),
      ...(f ? { fidelity: withoutKey(f, 'candidate') } : {}),
      ...(c ? { clip: withoutKey(c, 'hash') } : {}),
    };
  });
}

function fidelityCheck(nodeId: string, s: Record<string, unknown>): FidelityCheck & { candidate?: string } {
  return {
    nodeId,
    score: s.score as number,
    pass: s.pass === true,
    threshold: typeof s.threshold === 'number' ? s.threshold : 0,
    partScores: numbers(s.partScores),
    parts: numbers(s.parts),
    failing: Array.isArray(s.failing) ? s.failing.map(String) : [],
    ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
    ...(typeof s.candidate === 'string' ? { candidate: s.candidate } : {}),
  };
}

function clipChecks(nodeId: string, s: Record<string, unknown>): Array<ClipCheck & { hash?: string }> {
  const per = Array.isArray(s.perCandidate) ? (s.perCandidate as Array<Record<string, unknown>>) : [];
  if (!per.length) return [{ nodeId, score: s.score as number }];
  return per.map((p) => ({
    nodeId,
    score: Number(p.score ?? 0),
    ...(typeof p.similarity === 'number' ? { similarity: p.similarity } : {}),
    ...(typeof p.hash === 'string' ? { hash: p.hash } : {}),
  }));
}

function gateAttempts(outputs: Record<string, unknown> | null | undefined): ReviewGateAttempt[] {
  const report = outputs?.report as { attempts?: Array<Record<string, unknown>> } | undefined;
  return (report?.attempts ?? []).map((a) => ({
    attempt: Number(a.attempt),
    score: Number(a.score),
    passed: a.passed === true,
    params: (a.params as Record<string, unknown>) ?? {},
  }));
}

function gateInstructions(params: Record<string, unknown>, attempts: ReviewGateAttempt[]): string {
  const n = attempts.length;
  return `The quality check stayed below ${String(params.threshold)} after ${n} attempt${n === 1 ? '' : 's'}. `
    + 'Approve the candidate if the product is unchanged and the shot is usable, retry with other params, or reject (the shoot is refunded).';
}

/** Upstream outputs marked doubtful (meta.trust.verdict), nearest node first: what the reviewer must judge. */
function doubtsOf(plan: RunPlan, nodes: Map<string, RunNodeRow>, nodeId: string, sign: SignUrl): ReviewDoubt[] {
  const out: ReviewDoubt[] = [];
  for (const id of ancestorsOf(plan, nodeId)) {
    // One per node: its outputs share the verdict (segment's cut-out and mask); the cut-out shows it best.
    const doubtful = Object.entries(nodes.get(id)?.outputs ?? {}).filter(
      (e): e is [string, ArtifactRef] => isArtifactRef(e[1]) && (e[1].meta?.trust as { verdict?: unknown } | undefined)?.verdict === 'doubtful',
    );
    const [port, value] = doubtful.find(([p]) => p === 'cutout') ?? doubtful[0] ?? [];
    if (!port || !value) continue;
    const trust = value.meta?.trust as { reason?: unknown; score?: unknown };
    out.push({ nodeId: id, port, image: image(value, sign), reason: typeof trust.reason === 'string' ? trust.reason : '', score: typeof trust.score === 'number' ? trust.score : 0 });
  }
  return out;
}

function firstImage(seedInputs: Record<string, Record<string, unknown>>, sign: SignUrl): ReviewImage | null {
  for (const ports of Object.values(seedInputs ?? {})) for (const v of Object.values(ports ?? {})) if (isArtifactRef(v)) return image(v, sign);
  return null;
}

function collectRefs(value: unknown, into: ArtifactRef[]): void {
  if (isArtifactRef(value)) into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectRefs(v, into);
}

function image(ref: ArtifactRef, sign: SignUrl): ReviewImage {
  return {
    hash: ref.hash,
    url: sign(ref.hash),
    mime: ref.mime,
    ...(ref.width ? { width: ref.width } : {}),
    ...(ref.height ? { height: ref.height } : {}),
  };
}

function numbers(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}

function withoutKey<T extends object, K extends string>(value: T, key: K): Omit<T, K> {
  const { [key]: _dropped, ...rest } = value as T & Record<K, unknown>;
  return rest as Omit<T, K>;
}

function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
