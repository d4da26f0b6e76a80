import sharp from 'sharp';
import type { ArtifactRef, NodeContext } from '@studioflow/runtime/contract';
import { decodeToRaw, dropOpaqueAlpha } from '../image/raw-image';
import { storeImage } from '../image/image-artifacts';
import { CogClient, cogOutputFiles, readCogFile } from '../providers/cog';
import { ProviderSaturatedError, type SceneProvider, type SceneRequest, type SceneResult } from '../providers/scene-router';

/** The Cog model the local provider runs (an entry of STUDIOFLOW_COG_MODELS). */
export const LOCAL_SCENE_MODEL = 'flux-fill';
export const COG_CONFIG_HINT = `set STUDIOFLOW_COG_MODELS to {"${LOCAL_SCENE_MODEL}": {"urls": ["http://<cog server>:5000"], "schema": "flux-fill"}}`;
/** A server that answered 409 counts as busy for this long (routing sends the next request elsewhere). */
const BUSY_FOR_MS = 2_000;
/** Predictions one Cog server runs at once (Cog's default is one). */
const SERVER_CAPACITY = 1;

/** The URLs of the Cog servers running `model`, from STUDIOFLOW_COG_MODELS (JSON or a path is not read here: JSON only). */
export function cogServerUrls(model: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.STUDIOFLOW_COG_MODELS?.trim();
  if (!raw) return [];
  let parsed: Record<string, { urls?: unknown }>;
  try {
    parsed = JSON.parse(raw) as Record<string, { urls?: unknown }>;
  } catch {
    throw new Error(`STUDIOFLOW_COG_MODELS is not JSON: ${raw.slice(0, 80)}`);
  }
  const urls = parsed[model]?.urls;
  return Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string' && /^https?:\/\//.test(u)) : [];
}

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
  readonly hint = COG_CONFIG_HINT;
  private readonly clients = new Map<string, CogClient>();
  private readonly inFlight = new Map<string, number>();
  private readonly busyUntil = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly servers: () => string[] = () => cogServerUrls(LOCAL_SCENE_MODEL)) {}

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
        return await inpaintOnCog(ctx, this.client(url), request, attempt, () => {
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
 * FLUX Fill around the product: the cut-out on a canvas of the requested aspect, the mask white
 * where the scene is generated, black on the product; the product's pixels are its own in the
 * placement mask.
 */
async function inpaintOnCog(ctx: NodeContext, cog: CogClient, request: SceneRequest, signal: AbortSignal, onBusy: () => void): Promise<SceneResult> {
  const [w, h] = request.aspectRatio.split(':').map(Number);
  const long = 1024;
  const width = Math.round((w >= h ? long : (long * w) / h) / 16) * 16;
  const height = Math.round((h >= w ? long : (long * h) / w) / 16) * 16;
  const product = await sharp(await ctx.artifacts.get(request.cutout))
    .ensureAlpha()
    .resize({ width: Math.round(width * 0.7), height: Math.round(height * 0.7), fit: 'inside' })
    .png()
    .toBuffer({ resolveWithObject: true });
  const left = Math.round((width - product.info.width) / 2);
  const top = Math.round((height - product.info.height) / 2);
  const canvas = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([{ input: product.data, left, top }])
    .png()
    .toBuffer();
  // The product's alpha on the canvas: 255 = the product's own pixels.
  const alpha = await sharp(product.data).extractChannel(3).raw().toBuffer();
  const plane = Buffer.alloc(width * height);
  for (let y = 0; y < product.info.height; y++) {
    alpha.copy(plane, (top + y) * width + left, y * product.info.width, (y + 1) * product.info.width);
  }
  const placement = await sharp(plane, { raw: { width, height, channels: 1 } }).png().toBuffer();
  const mask = await sharp(placement).negate().png().toBuffer();
  const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;
  const input: Record<string, unknown> = {
    prompt: `${request.prompt.positive}${request.prompt.negative ? ` Avoid: ${request.prompt.negative}.` : ''}`,
    image: dataUrl(canvas),
    mask: dataUrl(mask),
    num_outputs: request.images,
    output_format: 'png',
    ...(request.seed >= 0 ? { seed: request.seed } : {}),
  };
  ctx.progress(0.1, `FLUX Fill on ${cog.baseUrl}`);
  const prediction = await cog.predict(input, {
    signal,
    onBusy,
    onProgress: (step, total) => ctx.progress(0.1 + (0.7 * step) / total, `FLUX Fill: step ${step}/${total}`),
  });
  const images: ArtifactRef[] = [];
  for (const [i, file] of cogOutputFiles(prediction).entries()) {
    const img = dropOpaqueAlpha(await decodeToRaw(await readCogFile(file, globalThis.fetch, signal), `FLUX Fill output ${i + 1} of ${prediction.id}`));
    images.push(
      await storeImage(ctx, img, 'photo', {
        provider: 'cog',
        model: LOCAL_SCENE_MODEL,
        server: cog.baseUrl,
        predictionId: prediction.id,
        predictTime: prediction.metrics?.predict_time,
        tier: request.tier,
        digitalSourceType: 'compositeWithTrainedAlgorithmicMedia',
        ...request.meta,
      }),
    );
  }
  const placementRef = await ctx.artifacts.put(placement, { mime: 'image/png', width, height, meta: { kind: 'placement' } });
  return { images, placement: placementRef };
}

/** The process's local provider: its in-flight counts are what saturation and GET /api/providers read. */
export const localSceneProvider = new LocalSceneProvider();
