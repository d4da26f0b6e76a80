import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import { sleep } from './replicate';

/**
 * A client of one Cog model server (https://github.com/replicate/cog, docs/http.md). Cog has no
 * GET /predictions/{id}: an asynchronous prediction reports only by webhook, so the client owns a
 * small HTTP receiver for those. Errors are sorted the way a router needs them: bad input and a
 * failed prediction are permanent (with Cog's words), a server that is down or broken is
 * CogUnavailableError, and "all slots busy" (409) is waited out, never an error.
 */

/** `GET /health-check` statuses (coglet's HealthResponse). */
export type CogHealthStatus = 'UNKNOWN' | 'STARTING' | 'READY' | 'BUSY' | 'SETUP_FAILED' | 'DEFUNCT' | 'UNHEALTHY';

export interface CogHealth {
  status: CogHealthStatus;
  setup?: { status?: string; logs?: string; started_at?: string; completed_at?: string };
  user_healthcheck_error?: string;
}

export type CogPredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** The prediction object Cog sends in webhooks and synchronous answers. */
export interface CogPrediction {
  id: string;
  status: CogPredictionStatus;
  output?: unknown;
  error?: string | null;
  /** Everything the model wrote so far (tqdm progress lines among it). */
  logs?: string;
  metrics?: { predict_time?: number; [name: string]: unknown };
}

/** The Cog server cannot take or finish the work now (down, defunct, restarted): another server, or a retry, may. */
export class CogUnavailableError extends Error {
  constructor(readonly server: string, message: string) {
    super(message);
    this.name = 'CogUnavailableError';
  }
}

export interface CogPredictOptions {
  signal: AbortSignal;
  /** Denoising progress, parsed from the model's tqdm lines (" 45%|████▌ | 9/20 [...]"). */
  onProgress?: (step: number, total: number) => void;
  /** Called each time every slot of the server was busy (409) and the client waits. */
  onBusy?: (waitMs: number) => void;
  /** The prediction id (idempotent PUT): a retried request never starts a second prediction. */
  id?: string;
}

export interface CogClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  /** Where Cog posts this client's webhooks; default: one loopback receiver per process. */
  receiver?: CogWebhookReceiver;
  /** The wait after a 409 starts at `firstMs` and doubles (with jitter) up to `maxMs`. */
  busyBackoff?: { firstMs: number; maxMs: number };
  /** How often the server's health is checked while a prediction runs (a dead server sends no webhook). */
  healthEveryMs?: number;
  /** Failed health checks in a row before the server counts as gone. */
  healthFailures?: number;
}

const DEFAULT_BUSY_BACKOFF = { firstMs: 250, maxMs: 5_000 };
const TQDM_STEP = /\|\s*(\d+)\/(\d+)\s*\[/g;

export class CogClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly busyBackoff: { firstMs: number; maxMs: number };

  constructor(private readonly o: CogClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = o.fetch ?? globalThis.fetch;
    this.busyBackoff = o.busyBackoff ?? DEFAULT_BUSY_BACKOFF;
  }

  /** The server's health; unreachable or not answering JSON: CogUnavailableError. */
  async health(signal?: AbortSignal): Promise<CogHealth> {
    let response: Response;
    try {
      // A server that accepts the connection but never answers counts as unreachable.
      const timeout = AbortSignal.timeout(10_000);
      response = await this.fetchImpl(`${this.baseUrl}/health-check`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} is unreachable: ${causeOf(err)}`);
    }
    const text = await response.text();
    try {
      const health = JSON.parse(text) as CogHealth;
      if (typeof health.status === 'string') return health;
    } catch {
      // not JSON: reported below
    }
    throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} answered its health check with HTTP ${response.status}: ${text.slice(0, 200)}`);
  }

  /**
   * Waits until the server has finished `setup()` (READY or BUSY). SETUP_FAILED is permanent and
   * names the server and the end of its setup logs; not ready by `timeoutMs` (still STARTING, or
   * unreachable) or DEFUNCT is CogUnavailableError.
   */
  async waitUntilReady(options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }): Promise<CogHealth> {
    const deadline = Date.now() + options.timeoutMs;
    const pollMs = options.pollMs ?? 1000;
    for (;;) {
      let health: CogHealth | undefined;
      let problem: string;
      try {
        health = await this.health(options.signal);
      } catch (err) {
        if (!(err instanceof CogUnavailableError)) throw err;
        problem = err.message;
      }
      if (health) {
        if (health.status === 'READY' || health.status === 'BUSY') return health;
        if (health.status === 'SETUP_FAILED') throw setupFailed(this.baseUrl, health);
        if (health.status === 'DEFUNCT') throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} is DEFUNCT (an unrecoverable error; restart it)`);
        problem = `Cog server ${this.baseUrl} is ${health.status}${health.user_healthcheck_error ? `: ${health.user_healthcheck_error}` : ''}`;
      }
      if (Date.now() + pollMs > deadline) throw new CogUnavailableError(this.baseUrl, `${problem!} after waiting ${Math.round(options.timeoutMs / 1000)} s for it to be ready`);
      await sleep(pollMs, options.signal);
    }
  }

  /**
   * Runs one prediction asynchronously (PUT /predictions/{id}, `Prefer: respond-async`, webhook)
   * and resolves with the succeeded prediction. A 409 (every slot busy) is waited out with
   * backoff for as long as the signal allows; aborting cancels the remote prediction.
   */
  async predict(input: Record<string, unknown>, options: CogPredictOptions): Promise<CogPrediction> {
    const { signal } = options;
    signal.throwIfAborted();
    const id = options.id ?? newPredictionId();
    const receiver = this.o.receiver ?? (await CogWebhookReceiver.shared());
    // Registered before the request: Cog may post the first webhook before it answers the PUT.
    const inbox = receiver.open(id);
    try {
      await this.start(id, input, inbox.url, options);
      return await this.await(id, inbox, options);
    } finally {
      inbox.close();
    }
  }

  /** Best effort (the job is ending anyway): true when Cog knew the prediction. */
  async cancel(id: string): Promise<boolean> {
    try {
      const response = await this.fetchImpl(`${this.baseUrl}/predictions/${encodeURIComponent(id)}/cancel`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      return response.ok;
    } catch {
      return false;
    }
  }

  private async start(id: string, input: Record<string, unknown>, webhook: string, options: CogPredictOptions): Promise<void> {
    const { signal } = options;
    const body = JSON.stringify({ id, input, webhook, webhook_events_filter: ['start', 'logs', 'completed'] });
    let busyWait = this.busyBackoff.firstMs;
    for (;;) {
      let response: Response;
      try {
        response = await this.fetchImpl(`${this.baseUrl}/predictions/${encodeURIComponent(id)}`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
          body,
          signal,
        });
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} is unreachable: ${causeOf(err)}`);
      }
      const text = await response.text();
      if (response.status === 202 || response.status === 200) return;
      if (response.status === 409) {
        // Every prediction slot is busy (another job, another host): back-pressure, not a failure.
        const wait = Math.round(busyWait * (0.75 + Math.random() * 0.5));
        options.onBusy?.(wait);
        await sleep(wait, signal);
        busyWait = Math.min(this.busyBackoff.maxMs, busyWait * 2);
        continue;
      }
      if (response.status === 422) throw new PermanentNodeError(`Cog server ${this.baseUrl} refused the input: ${cogDetail(text)}`);
      if (response.status === 503) {
        // Not ready: still in setup (wait for it like a busy slot), or broken.
        const health = await this.health(signal);
        if (health.status === 'SETUP_FAILED') throw setupFailed(this.baseUrl, health);
        if (health.status === 'STARTING' || health.status === 'BUSY' || health.status === 'READY') {
          options.onBusy?.(busyWait);
          await sleep(busyWait, signal);
          busyWait = Math.min(this.busyBackoff.maxMs, busyWait * 2);
          continue;
        }
        throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} is ${health.status}: ${cogDetail(text)}`);
      }
      if (response.status >= 500) throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} answered ${response.status}: ${cogDetail(text)}`);
      throw new PermanentNodeError(`Cog server ${this.baseUrl} refused the prediction (${response.status}): ${cogDetail(text)}`);
    }
  }

  /** Waits for the completed webhook, reporting progress; cancels the prediction if we stop waiting first. */
  private async await(id: string, inbox: WebhookInbox, options: CogPredictOptions): Promise<CogPrediction> {
    const { signal } = options;
    const stopped = new AbortController();
    const watching = AbortSignal.any([signal, stopped.signal]);
    const watchdog = this.watchHealth(watching);
    let lastStep = -1;
    let ended = false;
    try {
      for (;;) {
        const prediction = await Promise.race([inbox.next(watching), watchdog]);
        const progress = lastProgress(prediction.logs);
        if (progress && progress.step !== lastStep) {
          lastStep = progress.step;
          options.onProgress?.(progress.step, progress.total);
        }
        ended = prediction.status === 'succeeded' || prediction.status === 'failed' || prediction.status === 'canceled';
        switch (prediction.status) {
          case 'succeeded':
            return prediction;
          case 'failed':
            throw new PermanentNodeError(`Cog prediction ${id} on ${this.baseUrl} failed: ${prediction.error || 'no reason given'}`);
          case 'canceled':
            throw new CogUnavailableError(this.baseUrl, `Cog prediction ${id} on ${this.baseUrl} was canceled by someone else`);
          default:
            continue;
        }
      }
    } catch (err) {
      // Aborted, or the server went away: either way nobody collects this prediction, so it must stop.
      if (!ended) await this.cancel(id);
      throw err;
    } finally {
      stopped.abort();
      watchdog.catch(() => undefined);
    }
  }

  /** Rejects when the server dies, restarts or turns DEFUNCT while a prediction waits (it would never send the webhook). */
  private async watchHealth(signal: AbortSignal): Promise<never> {
    const every = this.o.healthEveryMs ?? 5_000;
    const allowed = this.o.healthFailures ?? 3;
    let failures = 0;
    for (;;) {
      await sleep(every, signal);
      let health: CogHealth;
      try {
        health = await this.health(signal);
      } catch (err) {
        if (signal.aborted || !(err instanceof CogUnavailableError)) throw err;
        if (++failures >= allowed) throw err;
        continue;
      }
      failures = 0;
      if (health.status === 'DEFUNCT' || health.status === 'SETUP_FAILED' || health.status === 'STARTING') {
        throw new CogUnavailableError(this.baseUrl, `Cog server ${this.baseUrl} became ${health.status} while a prediction ran on it`);
      }
    }
  }
}

/** The last tqdm step in a prediction's logs. */
export function lastProgress(logs: string | undefined): { step: number; total: number } | null {
  if (!logs) return null;
  let found: { step: number; total: number } | null = null;
  for (const m of logs.matchAll(TQDM_STEP)) {
    const total = Number(m[2]);
    if (total > 0) found = { step: Number(m[1]), total };
  }
  return found;
}

/** Cog's own output files: a data URL or a URL each, from a single output or a list. */
export function cogOutputFiles(prediction: CogPrediction): string[] {
  const list = Array.isArray(prediction.output) ? prediction.output : prediction.output == null ? [] : [prediction.output];
  return list.filter((u): u is string => typeof u === 'string' && (u.startsWith('data:') || /^https?:\/\//.test(u)));
}

/** The bytes of a Cog output file: a decoded data URL, or a download (Cog started with --upload-url). */
export async function readCogFile(url: string, fetchImpl: typeof fetch, signal: AbortSignal, maxBytes = 64 * 2 ** 20): Promise<Buffer> {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    if (comma < 0) throw new PermanentNodeError('Cog output is a malformed data URL');
    const header = url.slice(5, comma);
    const payload = url.slice(comma + 1);
    const bytes = header.endsWith(';base64') ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload));
    if (bytes.length > maxBytes) throw new PermanentNodeError(`Cog output is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
    return bytes;
  }
  let response: Response;
  try {
    response = await fetchImpl(url, { signal });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw new CogUnavailableError(url, `downloading Cog output ${url} failed: ${causeOf(err)}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new CogUnavailableError(url, `downloading Cog output ${url} failed: HTTP ${response.status}`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new PermanentNodeError(`Cog output ${url} is ${bytes.length} bytes, over the ${maxBytes}-byte limit`);
  return bytes;
}

/** A 26-character base32 id, the form Cog's docs recommend. */
export function newPredictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const bytes = randomBytes(26);
  let id = '';
  for (const b of bytes) id += alphabet[b & 31];
  return id;
}

export interface CogWebhookReceiverOptions {
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 for Cog servers on other machines). */
  host?: string;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** The base URL Cog servers reach the receiver at (default http://<host>:<port>), e.g. this machine's address. */
  publicUrl?: string;
}

/** Where Cog servers post webhooks to this process: loopback by default; set for servers on other machines. */
export function cogWebhookReceiverOptions(env: NodeJS.ProcessEnv = process.env): CogWebhookReceiverOptions {
  const port = env.STUDIOFLOW_COG_WEBHOOK_PORT?.trim();
  return {
    host: env.STUDIOFLOW_COG_WEBHOOK_HOST?.trim() || '127.0.0.1',
    port: port ? Number(port) : 0,
    ...(env.STUDIOFLOW_COG_WEBHOOK_URL?.trim() ? { publicUrl: env.STUDIOFLOW_COG_WEBHOOK_URL.trim() } : {}),
  };
}

interface WebhookInbox {
  url: string;
  next(signal: AbortSignal): Promise<CogPrediction>;
  close(): void;
}

/**
 * Where Cog servers post prediction webhooks: one small HTTP server per process, routing by
 * prediction id under a random path secret (only the Cog servers we gave the URL can post).
 */
export class CogWebhookReceiver {
  private static sharedReceiver?: Promise<CogWebhookReceiver>;
  private readonly inboxes = new Map<string, { queue: CogPrediction[]; wake?: () => void }>();
  private readonly secret = randomBytes(16).toString('hex');

  private constructor(private readonly server: Server, readonly publicUrl: string) {}

  static async start(options: CogWebhookReceiverOptions = {}): Promise<CogWebhookReceiver> {
    let receiver: CogWebhookReceiver | undefined;
    const server = createServer((req, res) => {
      void readBody(req).then(
        (body) => {
          res.writeHead(receiver!.deliver(req.url ?? '', body) ? 200 : 404).end();
        },
        () => res.writeHead(400).end(),
      );
    });
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    // The receiver must not keep a finished process alive.
    server.unref();
    const port = (server.address() as AddressInfo).port;
    const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    receiver = new CogWebhookReceiver(server, (options.publicUrl ?? `http://${shownHost}:${port}`).replace(/\/+$/, ''));
    return receiver;
  }

  /** The process's receiver, started on first use with `options` (later calls get the same one). */
  /** The process's receiver, started on first use where STUDIOFLOW_COG_WEBHOOK_* say unless `options` are given. */
  static shared(options: CogWebhookReceiverOptions = cogWebhookReceiverOptions()): Promise<CogWebhookReceiver> {
    CogWebhookReceiver.sharedReceiver ??= CogWebhookReceiver.start(options).catch((err) => {
      CogWebhookReceiver.sharedReceiver = undefined;
      throw err;
    });
    return CogWebhookReceiver.sharedReceiver;
  }

  /** Starts collecting the webhooks of prediction `id`. */
  open(id: string): WebhookInbox {
    const inbox: { queue: CogPrediction[]; wake?: () => void } = { queue: [] };
    this.inboxes.set(id, inbox);
    return {
      url: `${this.publicUrl}/cog-webhooks/${this.secret}/${encodeURIComponent(id)}`,
      next: (signal) =>
        new Promise<CogPrediction>((resolve, reject) => {
          const take = () => {
            const first = inbox.queue.shift();
            if (!first) return false;
            signal.removeEventListener('abort', onAbort);
            inbox.wake = undefined;
            resolve(first);
            return true;
          };
          const onAbort = () => {
            inbox.wake = undefined;
            reject(signal.reason);
          };
          if (signal.aborted) return reject(signal.reason);
          if (take()) return;
          inbox.wake = take;
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      close: () => {
        if (this.inboxes.get(id) === inbox) this.inboxes.delete(id);
      },
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(url: string, body: string): boolean {
    const prefix = `/cog-webhooks/${this.secret}/`;
    if (!url.startsWith(prefix)) return false;
    const inbox = this.inboxes.get(decodeURIComponent(url.slice(prefix.length)));
    // A late webhook of a finished prediction (Cog retries the completed one): accepted and dropped.
    if (!inbox) return true;
    try {
      inbox.queue.push(JSON.parse(body) as CogPrediction);
    } catch {
      return false;
    }
    inbox.wake?.();
    return true;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function setupFailed(server: string, health: CogHealth): PermanentNodeError {
  const logs = health.setup?.logs?.trim();
  const tail = logs ? `: ${logs.split('\n').slice(-3).join(' | ').slice(-500)}` : '';
  return new PermanentNodeError(`Cog server ${server} failed its setup (SETUP_FAILED): the model did not load${tail}`);
}

/** Cog's words from an error body: a validation detail list (`loc`, `msg`), an `error`, or the text. */
export function cogDetail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { detail?: unknown; error?: unknown };
    if (Array.isArray(parsed.detail)) {
      return parsed.detail
        .map((d: { loc?: unknown[]; msg?: string }) => `${Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body' && p !== 'input').join('.') : ''}: ${d.msg ?? JSON.stringify(d)}`)
        .join('; ');
    }
    if (typeof parsed.detail === 'string') return parsed.detail;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500) || 'no detail given';
}

function causeOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}
