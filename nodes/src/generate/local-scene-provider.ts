import { PermanentNodeError, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import { costRatesFromEnv } from '@studioflow/runtime/worker';
import { COG_CONFIG_HINT, cogModel, type CogModelConfig } from '../models/cog-models';
import { CogClient, cogOutputFiles, readCogFile } from '../providers/cog';
import { ProviderSaturatedError, type SceneProvider, type SceneRequest, type SceneResult } from '../providers/scene-router';
import { INPAINT_PARAMS, inpaintProduct, type FillBackend, type InpaintParams } from './inpaint';
import { INPAINT_SCHEMAS, type OutputSize } from './replicate-models';

/** The Cog model the local provider runs (an entry of STUDIOFLOW_COG_MODELS, shared with flux-local). */
export const LOCAL_SCENE_MODEL = 'flux-fill';
/** A server that answered 409 counts as busy for this long (routing sends the next request elsewhere). */
const BUSY_FOR_MS = 2_000;
/** Predictions one Cog server runs at once (Cog's default is one). */
const SERVER_CAPACITY = 1;
/** A generated image beyond this is not one we asked for. */
const MAX_OUTPUT_BYTES = 64 * 2 ** 20;
/** Our size classes as the longest side FLUX Fill paints (it tops out at 2048). */
const SIDE: Record<OutputSize, number> = { '1K': 1024, '2K': 2048, '4K': 2048 };

export interface LocalServerStatus {
  url: string;
  inFlight: number;
  /** Answered 409 within the last BUSY_FOR_MS. */
  busy: boolean;
}

/**
 * FLUX Fill on the local Cog servers: the request goes to the least loaded server that is not busy;
 * a 409 marks the server busy and moves on to the next, and when every server is busy and another
 * provider may take it, the request spills over (ProviderSaturatedError, not a failure).
 */
export class LocalSceneProvider implements SceneProvider {
  readonly id = 'local' as const;
  readonly hint = COG_CONFIG_HINT.replace('<model>', LOCAL_SCENE_MODEL);
  private readonly clients = new Map<string, CogClient>();
  private readonly inFlight = new Map<string, number>();
  private readonly busyUntil = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  private model(): CogModelConfig | null {
    return cogModel(LOCAL_SCENE_MODEL);
  }

  private servers(): string[] {
    return this.model()?.urls ?? [];
  }

  configured(): boolean {
    return this.servers().length > 0;
  }

  saturated(): boolean {
    const servers = this.status();
    return servers.length > 0 && servers.every((s) => s.busy || s.inFlight >= SERVER_CAPACITY);
  }

  status(): LocalServerStatus[] {
    const now = Date.now();
    return this.servers().map((url) => ({ url, inFlight: this.inFlight.get(url) ?? 0, busy: (this.busyUntil.get(url) ?? 0) > now }));
  }

  /** Hears every change of in-flight counts (the Redis publisher). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  client(url: string): CogClient {
    let client = this.clients.get(url);
    if (!client) this.clients.set(url, (client = new CogClient({ baseUrl: url })));
    return client;
  }

  async generate(ctx: NodeContext, request: SceneRequest, signal: AbortSignal): Promise<SceneResult> {
    const tried = new Set<string>();
    for (;;) {
      const server = this.pick(tried);
      // Every server busy: spill over when another provider may take it, else wait in line at the least loaded one.
      if (!server && request.canSpill) throw new ProviderSaturatedError('local', `every Cog server is busy (${this.servers().length})`);
      const url = server ?? this.leastLoaded();
      tried.add(url);
      const moveOn = new AbortController();
      const attempt = AbortSignal.any([signal, moveOn.signal]);
      this.count(url, +1);
      try {
        return await inpaintOnCog(ctx, this.model()!, this.client(url), request, attempt, () => {
          this.busyUntil.set(url, Date.now() + BUSY_FOR_MS);
          // Another server is free, or the cloud may take it: stop waiting here.
          if (this.pick(tried) || request.canSpill) moveOn.abort(new ProviderSaturatedError('local', `Cog server ${url} is busy`));
        });
      } catch (err) {
        if (!moveOn.signal.aborted || signal.aborted) throw err;
      } finally {
        this.count(url, -1);
      }
    }
  }

  private pick(tried: ReadonlySet<string>): string | undefined {
    const free = this.status().filter((s) => !tried.has(s.url) && !s.busy && s.inFlight < SERVER_CAPACITY);
    return free.sort((a, b) => a.inFlight - b.inFlight)[0]?.url;
  }

  private leastLoaded(): string {
    return this.status().sort((a, b) => a.inFlight - b.inFlight)[0].url;
  }

  private count(url: string, delta: number): void {
    this.inFlight.set(url, Math.max(0, (this.inFlight.get(url) ?? 0) + delta));
    for (const listener of this.listeners) listener();
  }
}

/**
 * FLUX Fill around the product on one server, through the shared inpainting pipeline (canvas, mask,
 * paste-back of the product's own pixels); `onBusy` hears the server's 409s.
 */
async function inpaintOnCog(
  ctx: NodeContext,
  model: CogModelConfig,
  client: CogClient,
  request: SceneRequest,
  signal: AbortSignal,
  onBusy: () => void,
): Promise<SceneResult> {
  const schema = INPAINT_SCHEMAS[model.schema];
  if (!schema) throw new PermanentNodeError(`Cog model "${model.id}" names an unknown schema "${model.schema}"`);
  const backend: FillBackend = {
    schema,
    title: `${schema.title} on ${client.baseUrl}`,
    meta: { provider: 'cog', model: model.id, schema: schema.id, server: client.baseUrl, tier: request.tier, ...request.meta },
    async generate(input, { signal: predictionSignal, onProgress }) {
      const prediction = await client.predict(input, { signal: predictionSignal, onProgress, onBusy });
      // The server's GPU was ours for the prediction, but this job waits on a cloud worker: the host
      // measures no GPU time, so the prediction's own time is reported at the GPU rate.
      const gpuSeconds = prediction.metrics?.predict_time;
      if (gpuSeconds) {
        const { gpuUsdPerHour } = costRatesFromEnv();
        ctx.cost({ kind: 'gpu', usd: (gpuSeconds / 3600) * gpuUsdPerHour, model: model.id, detail: `${gpuSeconds.toFixed(2)} GPU s on ${client.baseUrl} × $${gpuUsdPerHour}/h` });
      }
      const [file] = cogOutputFiles(prediction);
      if (!file) throw new PermanentNodeError(`Cog prediction ${prediction.id} on ${client.baseUrl} succeeded without an output image`);
      return { image: await readCogFile(file, fetch, predictionSignal, MAX_OUTPUT_BYTES), meta: { predictionId: prediction.id, predictTime: gpuSeconds, gpuSeconds } };
    },
  };
  const defaults = Object.fromEntries(Object.entries(INPAINT_PARAMS).map(([name, schema]) => [name, schema.default]));
  const params: InpaintParams = { ...(defaults as unknown as InpaintParams), seed: request.seed, aspect: request.aspectRatio, size: SIDE[request.size], images: request.images };
  // The pipeline stops on ctx.signal: here that is the provider's (its timeout, a spill-over) joined with the job's.
  const out = await inpaintProduct({ ...ctx, signal }, { cutout: request.cutout, prompt: request.prompt }, params, backend);
  return { images: out.candidates as ArtifactRef[], ...(out.mask ? { placement: out.mask as ArtifactRef } : {}) };
}

/** The process's local provider: its in-flight counts are what saturation and GET /api/providers read. */
export const localSceneProvider = new LocalSceneProvider();
