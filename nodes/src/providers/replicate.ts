import Replicate, { type Prediction } from 'replicate';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { serviceEnv } from '@studioflow/runtime/config';
import type { PredictionNotices } from './prediction-notices';
import type { CreateBudget } from './create-budget';

/**
 * Replicate predictions with the workarounds the `replicate` client (1.4.0) needs: it retries a 429
 * at once whatever `Retry-After` says, retries a POST blindly, cannot send `Cancel-After`, and its
 * `wait()` never ends on `aborted`. So creation is a plain fetch, `get`/`cancel` go through the
 * client over a fetch that honours `Retry-After`, and the polling loop is ours.
 */

export const REPLICATE_DEFAULT_BASE_URL = 'https://api.replicate.com/v1';

export interface ReplicateConfig {
  token: string;
  baseUrl: string;
  /**
   * Webhook mode (REPLICATE_WEBHOOK_URL set): Replicate posts finished predictions to `url`, the API
   * verifies and publishes them on Redis, and the waiting job takes them from there.
   */
  webhook?: { url: string; redisUrl: string; queuePrefix: string };
}

/** Where the API receives Replicate's webhooks, under its public base URL. */
export const REPLICATE_WEBHOOK_PATH = '/api/webhooks/replicate';

/** How to configure Replicate, for the messages that refuse a graph or a job without it. */
export const REPLICATE_CONFIG_HINT = 'set REPLICATE_API_TOKEN (and REPLICATE_BASE_URL for a proxy or a stand-in)';

/** Replicate's configuration from the environment; undefined when no token is set. */
export function replicateConfig(env: NodeJS.ProcessEnv = process.env): ReplicateConfig | undefined {
  const token = env.REPLICATE_API_TOKEN?.trim();
  if (!token) return undefined;
  const config: ReplicateConfig = { token, baseUrl: env.REPLICATE_BASE_URL?.trim() || REPLICATE_DEFAULT_BASE_URL };
  const publicBase = env.REPLICATE_WEBHOOK_URL?.trim();
  if (publicBase) {
    const { redisUrl, queuePrefix } = serviceEnv(env);
    config.webhook = { url: new URL(REPLICATE_WEBHOOK_PATH, publicBase.replace(/\/*$/, '/')).toString(), redisUrl, queuePrefix };
  }
  return config;
}

export type PredictionStatus = Prediction['status'];
export const TERMINAL_STATUSES: ReadonlySet<PredictionStatus> = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

export interface PredictionRequest {
  /** `owner/name` of an official model (POST /models/{owner}/{name}/predictions). */
  model: string;
  input: Record<string, unknown>;
  /** Replicate cancels the prediction itself after this long (`Cancel-After`): nothing runs on after our deadline. */
  cancelAfterMs?: number;
  /** Webhook mode: Replicate also posts the finished prediction here (verify it with verifyReplicateWebhook). */
  webhook?: string;
  signal: AbortSignal;
  onStatus?: (prediction: Prediction) => void;
}

export interface ProviderOptions {
  auth: string;
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Replicate allows 600 prediction creates a minute per account. */
  createsPerMinute?: number;
  /** Where creates are counted (createBudgetFor); default: a bucket of this provider's own. */
  createBudget?: CreateBudget;
  /** Polling starts at `firstMs` and grows by half each time up to `maxMs`. */
  poll?: { firstMs: number; maxMs: number };
  /** The longest `Retry-After` we accept before waiting anyway for this long. */
  maxRetryAfterMs?: number;
  /** Webhook deliveries (verified by the API): a finished prediction announced there ends the wait at once. */
  notices?: PredictionNotices;
}

/** A Replicate error a retry might fix (5xx, network, throttling beyond our patience). */
export class ReplicateTransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicateTransientError';
  }
}

/** Consecutive failed status polls (each already retried by the client) before we give a prediction up. */
const MAX_FAILED_POLLS = 5;

export class ReplicateProvider {
  readonly baseUrl: string;
  private readonly client: Replicate;
  private readonly fetchWithRetryAfter: typeof fetch;
  private readonly creates: CreateBudget;
  private readonly poll: { firstMs: number; maxMs: number };

  constructor(private readonly options: ProviderOptions) {
    this.baseUrl = (options.baseUrl ?? REPLICATE_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.fetchWithRetryAfter = honourRetryAfter(options.fetch ?? globalThis.fetch, options.maxRetryAfterMs ?? 60_000);
    this.client = new Replicate({ auth: options.auth, baseUrl: this.baseUrl, fetch: this.fetchWithRetryAfter, useFileOutput: false });
    const perMinute = options.createsPerMinute ?? 600;
    this.creates = options.createBudget ?? new TokenBucket(perMinute, perMinute / 60_000);
    this.poll = options.poll ?? { firstMs: 500, maxMs: 5_000 };
  }

  /**
   * Creates a prediction and waits for a terminal status (succeeded, failed, canceled, aborted).
   * Aborting `signal`, or an error while waiting, cancels the remote prediction.
   */
  async predict(request: PredictionRequest): Promise<Prediction> {
    const { signal } = request;
    await this.creates.take(signal);
    let prediction = await this.create(request);
    request.onStatus?.(prediction);
    // A finished prediction announced by webhook wakes the poll loop's sleep and is taken as is.
    let announced: Prediction | undefined;
    const nudge = new AbortController();
    const { id } = prediction;
    const unsubscribe = this.options.notices?.subscribe(id, (p) => {
      if (p.id !== id || !TERMINAL_STATUSES.has(p.status) || announced) return;
      announced = p;
      nudge.abort();
    });
    try {
      let delay = this.poll.firstMs;
      let failedPolls = 0;
      while (!TERMINAL_STATUSES.has(prediction.status)) {
        await sleep(delay, signal, nudge.signal);
        if (announced) {
          prediction = announced;
          request.onStatus?.(prediction);
          break;
        }
        delay = Math.min(this.poll.maxMs, Math.round(delay * 1.5));
        try {
          prediction = await this.call(`polling prediction ${id}`, () => this.client.predictions.get(id, { signal }));
          failedPolls = 0;
        } catch (err) {
          // The prediction runs on whatever our GET met: a passing outage should not throw away a paid-for run.
          if (!(err instanceof ReplicateTransientError) || ++failedPolls >= MAX_FAILED_POLLS) throw err;
          continue;
        }
        request.onStatus?.(prediction);
      }
      return prediction;
    } catch (err) {
      // Aborted, or we lost track of it: either way nobody will collect it, so it must stop costing money.
      await this.cancel(prediction.id);
      throw err;
    } finally {
      unsubscribe?.();
    }
  }

  /** Uploads a file through Replicate's files API; the URL it answers can be a model input. */
  async upload(bytes: Buffer, name: string, mime: string, signal: AbortSignal): Promise<string> {
    const file = await this.call(`uploading ${name}`, () => this.client.files.create(new File([bytes], name, { type: mime }), {}, { signal }));
    return file.urls.get;
  }

  /** Best effort: the job is ending anyway, so a failed cancel is reported, not thrown. */
  async cancel(id: string): Promise<boolean> {
    try {
      await this.client.predictions.cancel(id, { signal: AbortSignal.timeout(10_000) });
      return true;
    } catch {
      return false;
    }
  }

  private async create(request: PredictionRequest): Promise<Prediction> {
    const [owner, name] = request.model.split('/');
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Authorization: `Bearer ${this.options.auth}` };
    if (request.cancelAfterMs) headers['Cancel-After'] = `${Math.max(5, Math.ceil(request.cancelAfterMs / 1000))}s`;
    const body = { input: request.input, ...(request.webhook ? { webhook: request.webhook, webhook_events_filter: ['completed'] } : {}) };
    const url = `${this.baseUrl}/models/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/predictions`;
    let response: Response;
    try {
      response = await this.fetchWithRetryAfter(url, { method: 'POST', headers, body: JSON.stringify(body), signal: request.signal });
    } catch (err) {
      if (request.signal.aborted) throw err;
      throw new ReplicateTransientError(`creating a ${request.model} prediction failed: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) throw httpError(`creating a ${request.model} prediction`, response.status, text);
    return JSON.parse(text) as Prediction;
  }

  /** A client call with its errors sorted into permanent (4xx) and transient (5xx, network). */
  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const status = (err as { response?: Response }).response?.status;
      if (status !== undefined) throw httpError(what, status, (err as Error).message);
      if ((err as Error).name === 'AbortError') throw err;
      throw new ReplicateTransientError(`${what} failed: ${(err as Error).message}`);
    }
  }
}

/**
 * Replicate refused our account (401 bad token, 402 billing, 403 forbidden): retrying the job cannot
 * help, but another provider can serve, so a router fails over instead of failing the job.
 */
export class ReplicateAccountError extends PermanentNodeError {
  readonly providerUnusable = true;
  constructor(message: string) {
    super(message);
    this.name = 'ReplicateAccountError';
  }
}

const ACCOUNT_STATUSES = new Set([401, 402, 403]);

function httpError(what: string, status: number, text: string): Error {
  const detail = detailOf(text);
  if (status === 429 || status >= 500) return new ReplicateTransientError(`${what}: Replicate answered ${status}: ${detail}`);
  if (ACCOUNT_STATUSES.has(status)) return new ReplicateAccountError(`${what}: Replicate refused our account (${status}): ${detail} (check REPLICATE_API_TOKEN and the account's billing)`);
  return new PermanentNodeError(`${what}: Replicate refused it (${status}): ${detail}`);
}

function detailOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (parsed.detail !== undefined) return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

/**
 * A fetch that answers a 429 by waiting what `Retry-After` asks (seconds or an HTTP date; 1 s when
 * absent, capped) and asking again, until the signal gives up: the client's own 429 retries never
 * see a 429 and so never fire.
 */
export function honourRetryAfter(inner: typeof fetch, maxWaitMs: number): typeof fetch {
  return async (input, init) => {
    for (;;) {
      const response = await inner(input, init);
      if (response.status !== 429) return response;
      await response.body?.cancel();
      await sleep(Math.min(maxWaitMs, retryAfterMs(response.headers.get('retry-after'))), init?.signal ?? undefined);
    }
  };
}

export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

/** At most `capacity` takes at once, refilled at `perMs` tokens a millisecond (Replicate's create limit). */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly capacity: number, private readonly perMs: number) {
    this.tokens = capacity;
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil((1 - this.tokens) / this.perMs), signal);
    }
  }
}

/** Waits `ms`; rejects when `signal` aborts, resolves early when `wake` aborts. */
export function sleep(ms: number, signal?: AbortSignal, wake?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    if (wake?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      wake?.removeEventListener('abort', onWake);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    const onAbort = () => {
      done();
      reject(signal?.reason ?? new Error('aborted'));
    };
    const onWake = () => {
      done();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    wake?.addEventListener('abort', onWake, { once: true });
  });
}

export interface DownloadLimits {
  maxBytes: number;
  signal: AbortSignal;
  /** Attempts for a network error or a 5xx (the URL lives an hour; a blip should not lose a paid image). */
  attempts?: number;
}

/**
 * Downloads one output file at once (Replicate deletes outputs after an hour): an image content
 * type, at most `maxBytes`. A 4xx (expired, deleted) or a wrong type is permanent; 5xx and network
 * errors are retried, then transient.
 */
export async function downloadOutput(url: string, fetchImpl: typeof fetch, limits: DownloadLimits): Promise<{ bytes: Buffer; contentType: string }> {
  const attempts = limits.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(url, fetchImpl, limits);
    } catch (err) {
      if (!(err instanceof ReplicateTransientError) || attempt >= attempts || limits.signal.aborted) throw err;
      await sleep(250 * 2 ** (attempt - 1), limits.signal);
    }
  }
}

async function downloadOnce(url: string, fetchImpl: typeof fetch, { maxBytes, signal }: DownloadLimits) {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ReplicateTransientError(`downloading output ${url} failed: ${(err as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const message = `downloading output ${url} failed: HTTP ${response.status}`;
    throw response.status >= 500 ? new ReplicateTransientError(message) : new PermanentNodeError(`${message} (outputs expire an hour after the prediction)`);
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!contentType.startsWith('image/')) {
    await response.body?.cancel();
    throw new PermanentNodeError(`output ${url} is not an image (content type "${contentType || 'none'}")`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new PermanentNodeError(`output ${url} is ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      if (size > maxBytes) throw new PermanentNodeError(`output ${url} is over the ${maxBytes}-byte limit`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof PermanentNodeError || signal.aborted) throw err;
    throw new ReplicateTransientError(`downloading output ${url} broke off: ${(err as Error).message}`);
  }
  return { bytes: Buffer.concat(chunks), contentType };
}
