import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { signReplicateWebhook } from '../providers/replicate-webhook';

/** The signing secret the stand-in's webhooks use (Standard Webhooks form: whsec_ + base64). */
export const STAND_IN_WEBHOOK_SECRET = `whsec_${Buffer.from('studioflow-stand-in-webhook-key').toString('base64')}`;

export type Outcome = 'succeeded' | 'failed' | 'aborted' | 'hang';

/** How the stand-in answers the next predictions. */
export interface StandInBehaviour {
  /** Answer this many creates with 429 and `Retry-After: retryAfter` before accepting one. */
  throttle: number;
  retryAfter: string;
  /** Where predictions end: `hang` stays processing until cancelled. */
  outcome: Outcome;
  /** Outcomes of the next predictions in creation order; then `outcome`. */
  outcomes: Outcome[];
  /** Time in each of starting and processing. */
  stepMs: number;
  /** Output images per prediction (Seedream's max_images, when given, wins). */
  outputs: number;
  /** What the output URLs serve: a PNG, a 404, a 500, text, or bytes labelled image/png that are not one. */
  output: 'png' | 'missing' | 'server-error' | 'text' | 'corrupt';
  error: string;
  predictTime: number;
  /** Answer this many status GETs with 500 first. */
  pollErrors: number;
  /** Sign webhooks with this secret (Replicate's per-account signing secret). */
  webhookSecret: string;
}

/** A webhook the stand-in sent for a finished prediction, and what the receiver answered. */
export interface StandInWebhook {
  url: string;
  predictionId: string;
  status: number | 'unreachable';
}

export interface StandInRequest {
  method: string;
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  bytes: number;
  /** The parsed body of a JSON request. */
  body?: any;
}

interface StandInPrediction {
  id: string;
  model: string;
  input: Record<string, unknown>;
  createdAt: number;
  behaviour: StandInBehaviour;
  canceled: boolean;
}

const DEFAULTS: StandInBehaviour = {
  throttle: 0,
  retryAfter: '1',
  outcome: 'succeeded',
  outcomes: [],
  stepMs: 100,
  outputs: 1,
  output: 'png',
  error: 'E001: the model could not process the input',
  predictTime: 3.21,
  pollErrors: 0,
  webhookSecret: STAND_IN_WEBHOOK_SECRET,
};

/**
 * A loopback stand-in for Replicate's predictions API (node:http on port 0): create (201), status
 * moving starting → processing → a terminal status over time, cancel, 429 with Retry-After, and
 * output URLs it serves itself. Every request is recorded. A prediction created with a `webhook` is
 * posted there, signed, once it finishes (`webhook_events_filter: ["completed"]`, as seedream asks).
 */
export class ReplicateStandIn {
  readonly requests: StandInRequest[] = [];
  readonly webhooks: StandInWebhook[] = [];
  behaviour: StandInBehaviour = { ...DEFAULTS };
  private readonly predictions = new Map<string, StandInPrediction>();
  private counter = 0;
  private throttled = 0;
  private created = 0;
  private failedPolls = 0;

  private constructor(private readonly server: Server, readonly origin: string) {}

  static async start(): Promise<ReplicateStandIn> {
    let standIn: ReplicateStandIn | undefined;
    const server = createServer((req, res) => void standIn!.handle(req, res).catch((err) => send(res, 500, { detail: String(err) })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new ReplicateStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return standIn;
  }

  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** Sets how the next predictions behave (the rest stays at its defaults). */
  set(behaviour: Partial<StandInBehaviour>): void {
    this.behaviour = { ...DEFAULTS, ...behaviour };
    this.throttled = 0;
    this.created = 0;
    this.failedPolls = 0;
  }

  requestsTo(method: string, pattern: RegExp): StandInRequest[] {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const json = text && req.headers['content-type']?.startsWith('application/json');
    this.requests.push({ method: req.method ?? 'GET', path, at: Date.now(), headers: req.headers, bytes: chunks.reduce((n, c) => n + c.length, 0), ...(json ? { body: JSON.parse(text) } : {}) });

    const file = /^\/files\/([\w-]+)\.png$/.exec(path);
    if (file && req.method === 'GET') return this.serveOutput(res);
    if (req.headers.authorization !== 'Bearer test-token') return send(res, 401, { detail: 'Invalid token.' });

    const create = /^\/v1\/models\/([\w.-]+)\/([\w.-]+)\/predictions$/.exec(path);
    if (create && req.method === 'POST') {
      if (this.throttled < this.behaviour.throttle) {
        this.throttled++;
        res.setHeader('Retry-After', this.behaviour.retryAfter);
        return send(res, 429, { detail: 'Request was throttled. Expected available in 1 second.' });
      }
      const id = `standin${++this.counter}`;
      const body = JSON.parse(text) as { input: Record<string, unknown>; webhook?: unknown };
      const behaviour = { ...this.behaviour, outcome: this.behaviour.outcomes[this.created++] ?? this.behaviour.outcome };
      const prediction = { id, model: `${create[1]}/${create[2]}`, input: body.input, createdAt: Date.now(), behaviour, canceled: false };
      this.predictions.set(id, prediction);
      if (typeof body.webhook === 'string' && behaviour.outcome !== 'hang') {
        const finishesIn = (behaviour.outcome === 'aborted' ? 1 : 2) * behaviour.stepMs;
        setTimeout(() => void this.deliver(prediction, body.webhook as string), finishesIn + 5).unref();
      }
      return send(res, 201, this.view(prediction));
    }
    if (path === '/v1/files' && req.method === 'POST') {
      const id = `file${++this.counter}`;
      return send(res, 201, { id, name: 'reference.png', content_type: 'image/png', size: text.length, urls: { get: `${this.baseUrl}/files/${id}` } });
    }
    const get = /^\/v1\/predictions\/(\w+)$/.exec(path);
    if (get && req.method === 'GET') {
      if (this.failedPolls < this.behaviour.pollErrors) {
        this.failedPolls++;
        return send(res, 500, { detail: 'Internal server error.' });
      }
      const prediction = this.predictions.get(get[1]);
      return prediction ? send(res, 200, this.view(prediction)) : send(res, 404, { detail: 'Not found.' });
    }
    const cancel = /^\/v1\/predictions\/(\w+)\/cancel$/.exec(path);
    if (cancel && req.method === 'POST') {
      const prediction = this.predictions.get(cancel[1]);
      if (!prediction) return send(res, 404, { detail: 'Not found.' });
      prediction.canceled = true;
      return send(res, 200, this.view(prediction));
    }
    send(res, 404, { detail: 'Not found.' });
  }

  /** Posts the finished prediction to its webhook, signed as Replicate signs (Standard Webhooks). */
  private async deliver(p: StandInPrediction, url: string): Promise<void> {
    const body = JSON.stringify(this.view(p));
    const headers = signReplicateWebhook(`msg_${p.id}`, Math.floor(Date.now() / 1000), body, p.behaviour.webhookSecret);
    try {
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      this.webhooks.push({ url, predictionId: p.id, status: res.status });
    } catch {
      this.webhooks.push({ url, predictionId: p.id, status: 'unreachable' });
    }
  }

  private view(p: StandInPrediction): Record<string, unknown> {
    const elapsed = Date.now() - p.createdAt;
    const { stepMs, outcome } = p.behaviour;
    let status: string = elapsed < stepMs ? 'starting' : elapsed < 2 * stepMs || outcome === 'hang' ? 'processing' : outcome;
    if (p.canceled) status = 'canceled';
    if (outcome === 'aborted' && elapsed >= stepMs) status = 'aborted';
    const count = typeof p.input.max_images === 'number' ? p.input.max_images : p.behaviour.outputs;
    const ext = p.behaviour.output === 'missing' ? 'gone' : 'out';
    return {
      id: p.id,
      model: p.model,
      version: 'hidden',
      input: p.input,
      status,
      output: status === 'succeeded' ? Array.from({ length: count }, (_, i) => `${this.origin}/files/${p.id}-${ext}${i}.png`) : null,
      error: status === 'failed' ? p.behaviour.error : null,
      metrics: status === 'succeeded' ? { predict_time: p.behaviour.predictTime } : {},
      created_at: new Date(p.createdAt).toISOString(),
      urls: { get: `${this.baseUrl}/predictions/${p.id}`, cancel: `${this.baseUrl}/predictions/${p.id}/cancel` },
    };
  }

  private async serveOutput(res: ServerResponse): Promise<void> {
    switch (this.behaviour.output) {
      case 'missing':
        return send(res, 404, { detail: 'Not found.' });
      case 'server-error':
        return send(res, 500, { detail: 'Internal error.' });
      case 'text':
        res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not an image</html>');
        return;
      case 'corrupt':
        res.writeHead(200, { 'Content-Type': 'image/png' }).end(Buffer.from('\x89PNG\r\n\x1a\n truncated', 'latin1'));
        return;
      default: {
        const png = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 170, b: 140 } } }).png().toBuffer();
        res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length }).end(png);
      }
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
