import sharp from 'sharp';
import { generateSceneNode, sceneProviderBreakers } from '@studioflow/nodes';
import { CogStandIn, NodeHarness, ReplicateStandIn } from '@studioflow/nodes/testing';
import type { ArtifactRef, PromptValue } from '@studioflow/runtime/contract';

/**
 * Failover latency of generate-scene, in process (NodeHarness) against loopback stand-ins for
 * Replicate and a Cog server: how long from the cloud's failure until the request reaches the
 * local server, beside a local-first request (no failover) and one with the cloud's breaker open.
 */
export interface FailoverSectionResult {
  reps: number;
  /** Request start → Cog PUT, local first (standard tier): the local provider's own preparation. */
  direct: number[];
  /** Replicate received the create it answered 503 → the Cog server received the request. */
  failureToLocal: number[];
  /** Request start → Cog PUT while Replicate answers 503 (premium: cloud first). */
  outageStartToLocal: number[];
  /** Request start → Cog PUT with the cloud's breaker open (premium, cloud skipped without a request). */
  openStartToLocal: number[];
  breakerState: string;
}

const prompt = (tier: 'standard' | 'premium'): PromptValue => ({ format: 'studioflow.prompt/1', positive: 'A bottle on a marble shelf.', negative: '', tier });

export async function runFailoverSection(reps: number): Promise<FailoverSectionResult> {
  const replicate = await ReplicateStandIn.start();
  const cog = await CogStandIn.start({ concurrency: 1, behaviour: { stepMs: 1 } });
  const saved = { ...process.env };
  Object.assign(process.env, {
    REPLICATE_API_TOKEN: 'test-token',
    REPLICATE_BASE_URL: replicate.baseUrl,
    STUDIOFLOW_COG_MODELS: JSON.stringify({ 'flux-fill': { urls: [cog.origin], schema: 'flux-fill' } }),
    // Open only after the measured outage reps and one more failure.
    STUDIOFLOW_BREAKER_FAILURES: String(reps + 1),
    STUDIOFLOW_BREAKER_COOLDOWN_MS: '600000',
  });
  const h = await NodeHarness.create();
  try {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="600"><rect x="40" y="40" width="320" height="520" rx="60" fill="#2a6fb0"/></svg>';
    const cutout: ArtifactRef = await h.put(await sharp(Buffer.from(svg)).ensureAlpha().png().toBuffer(), 'image/png');
    const lastPut = () => cog.requestsTo('PUT', /^\/predictions\//).at(-1)!.at;
    const run = async (tier: 'standard' | 'premium') => {
      const start = Date.now();
      // 1K: the local side's canvas and PNG work (which every local request pays) stays small beside the failover.
      const out = await h.runNode(generateSceneNode, { cutout, prompt: prompt(tier) }, { size: '1K' });
      if ((out.image as ArtifactRef).meta?.sceneProvider !== 'local') throw new Error('expected the local provider to serve');
      return { start, put: lastPut() };
    };
    await run('standard'); // warm-up: JIT, the webhook receiver
    // Alternated, so the machine's drift (a shared, busy host) hits both alike.
    const direct: number[] = [];
    const failureToLocal: number[] = [];
    const outageStartToLocal: number[] = [];
    for (let i = 0; i < reps; i++) {
      replicate.set({});
      const d = await run('standard');
      direct.push(d.put - d.start);
      replicate.set({ createStatus: 503 });
      const r = await run('premium');
      const failedCreate = replicate.requestsTo('POST', /\/predictions$/).at(-1)!.at;
      failureToLocal.push(r.put - failedCreate);
      outageStartToLocal.push(r.put - r.start);
    }
    await run('premium'); // the failure that opens the breaker
    const openStartToLocal: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await run('premium');
      openStartToLocal.push(r.put - r.start);
    }
    return { reps, direct, failureToLocal, outageStartToLocal, openStartToLocal, breakerState: sceneProviderBreakers().of('cloud').snapshot().state };
  } finally {
    process.env = saved;
    await h.close();
    await replicate.close();
    await cog.close();
  }
}
