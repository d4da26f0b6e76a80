import type { NodeRunState, RunStatus, ShootNodeView } from '@studioflow/runtime/graph';

/** What each step of a shoot does, in the seller's words (by node type). */
const STAGE_WORDS: Record<string, string> = {
  'input-image': 'Reading your photo',
  segment: 'Cutting out the product',
  'studio-composite': 'Placing it in the studio',
  'compose-prompt': 'Writing the scene brief',
  'generate-scene': 'Generating the scene',
  inpaint: 'Generating the scene',
  seedream: 'Generating the scene',
  'product-fidelity': 'Checking your product looks right',
  'retry-gate': 'Picking the best shot',
  'colour-correct': 'Matching the colours',
  'marketplace-compliance': 'Checking marketplace rules',
  'human-review': 'A reviewer is checking this shot',
  deliver: 'Preparing your files',
};

export const stageWords = (type: string): string => STAGE_WORDS[type] ?? 'Working on your shot';

const FINISHED: ReadonlySet<NodeRunState> = new Set(['done', 'cached', 'skipped']);

export interface ShootProgress {
  /** 0 to 1 over all steps, the running step counting by its own progress. */
  fraction: number;
  /** The step in progress, in plain words; null when nothing is running. */
  stage: string | null;
}

/** The whole shoot's progress from its steps' states and the running steps' own progress. */
export function progressOf(status: RunStatus, nodes: ShootNodeView[], running: Record<string, number>): ShootProgress {
  if (status === 'completed') return { fraction: 1, stage: null };
  if (nodes.length === 0) return { fraction: 0, stage: status === 'queued' ? 'Waiting for a free studio' : null };
  let done = 0;
  for (const n of nodes) done += FINISHED.has(n.state) ? 1 : n.state === 'running' ? Math.min(0.95, running[n.nodeId] ?? 0) : 0;
  const current =
    nodes.find((n) => n.state === 'awaiting_review') ??
    nodes.find((n) => n.state === 'running') ??
    nodes.find((n) => n.state === 'queued') ??
    nodes.find((n) => !FINISHED.has(n.state) && n.state !== 'failed' && n.state !== 'cancelled');
  return { fraction: done / nodes.length, stage: current ? stageWords(current.type) : null };
}

/** A run error as a seller reads it: the known causes in plain words, else the server's own words, shortened. */
export function plainReason(error: string | null | undefined): string {
  if (!error) return 'Something went wrong while making this shot.';
  const rejected = /rejected by reviewer:?\s*(.*)/i.exec(error);
  if (rejected) {
    const words = rejected[1].trim();
    // A reviewer's sentence keeps its own full stop, inside the quotes: no second one after them.
    return words ? `A reviewer turned this shot down: “${words}”${/[.!?…]$/.test(words) ? '' : '.'}` : 'A reviewer turned this shot down.';
  }
  if (/cancel/i.test(error)) return 'This shot was cancelled.';
  const untrusted = /can't be trusted \([^)]*\): ([^.]*)\./.exec(error);
  if (untrusted) return `We could not cut the product out cleanly: ${untrusted[1]}. A plain, evenly lit background works best.`;
  if (/segment|cut-?out|matte|mask|product not found|no product/i.test(error)) {
    return 'We could not find the product in your photo. A plain, evenly lit background works best.';
  }
  if (/timeout|timed out/i.test(error)) return 'This shot took too long and was stopped.';
  const first = error.split(/(?<=[.;])\s/)[0];
  return first.length > 160 ? `${first.slice(0, 157)}…` : first;
}
