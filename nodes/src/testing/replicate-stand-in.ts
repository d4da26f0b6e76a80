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
  /** A prediction's whole time (starting + processing) by creation index, overriding `stepMs`: a latency spread. */
  latencyMs?: (index: number) => number;
  /** Output images per prediction (Seedream's max_images, when given, wins). */
  outputs: number;
  /**
   * What the output URLs serve: a plain PNG of `outputSize`, a scene (the prediction's reference
   * image placed on a plain backdrop, so a product-fidelity check on it can pass), a 404, a 500,
   * text, or bytes labelled image/png that are not one.
   */
  output: 'png' | 'scene' | 'missing' | 'server-error' | 'text' | 'corrupt';
  /** Width and height of a `png` or `scene` output. */
  outputSize: [number, number];
  /** How the next `scene` outputs change the product, in creation order (then none): `recolour` turns its hue, which a fidelity check catches. */
  sceneEdits: Array<'none' | 'recolour'>;
  /** Each `scene` output gets its own backdrop tone (by creation index), as separate generations would: no two are the same image. */
  varyScenes: boolean;
  error: string;
  predictTime: number;
  /** Answer this many status GETs with 500 first. */
  pollErrors: number;
  /** An outage: every create answers this HTTP status (0: none). */
  createStatus: number;
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

export interface StandInPrediction {
  id: string;
  model: string;
  input: Record<string, unknown>;
  createdAt: number;
  /** Time in each of starting and processing, for this prediction. */
  stepMs: number;
  sceneEdit: 'none' | 'recolour';
  /** Its creation index. */
  index: number;
  behaviour: StandInBehaviour;
  canceled: boolean;
  /** When the stand-in first answered a terminal status for it (what a poll could see at the earliest is `createdAt + 2 stepMs`). */
  settledAt?: number;
}

const DEFAULTS: StandInBehaviour = {
  throttle: 0,
  retryAfter: '1',
  outcome: 'succeeded',
  outcomes: [],
  stepMs: 100,
  outputs: 1,
  output: 'png',
  outputSize: [96, 64],
  sceneEdits: [],
  varyScenes: false,
  error: 'E001: the model could not process the input',
  predictTime: 3.21,
  pollErrors: 0,
  createStatus: 0,
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
  /** Uploaded files (the files API), by id: a reference sent as a file URL is read from here. */
  private readonly files = new Map<string, Buffer>();
  private readonly plainPngs = new Map<string, Promise<Buffer>>();
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
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const json = text && req.headers['content-type']?.startsWith('application/json');
    this.requests.push({ method: req.method ?? 'GET', path, at: Date.now(), headers: req.headers, bytes: chunks.reduce((n, c) => n + c.length, 0), ...(json ? { body: JSON.parse(text) } : {}) });

    // Output files are named `<prediction id>-out<n>.png`.
    const file = /^\/files\/(\w+)[\w-]*\.png$/.exec(path);
    if (file && req.method === 'GET') return this.serveOutput(res, this.predictions.get(file[1]));
    if (req.headers.authorization !== 'Bearer test-token') return send(res, 401, { detail: 'Invalid token.' });

    const create = /^\/v1\/models\/([\w.-]+)\/([\w.-]+)\/predictions$/.exec(path);
    if (create && req.method === 'POST') {
      if (this.behaviour.createStatus) return send(res, this.behaviour.createStatus, { detail: 'Service unavailable (stand-in outage).' });
      if (this.throttled < this.behaviour.throttle) {
        this.throttled++;
        res.setHeader('Retry-After', this.behaviour.retryAfter);
        return send(res, 429, { detail: 'Request was throttled. Expected available in 1 second.' });
      }
      const id = `standin${++this.counter}`;
      const body = JSON.parse(text) as { input: Record<string, unknown>; webhook?: unknown };
      const behaviour = { ...this.behaviour, outcome: this.behaviour.outcomes[this.created++] ?? this.behaviour.outcome };
      const index = this.created - 1;
      const stepMs = behaviour.latencyMs ? behaviour.latencyMs(index) / 2 : behaviour.stepMs;
      const sceneEdit = behaviour.sceneEdits[index] ?? 'none';
      const prediction = { id, model: `${create[1]}/${create[2]}`, input: body.input, createdAt: Date.now(), stepMs, sceneEdit, index, behaviour, canceled: false };
      this.predictions.set(id, prediction);
      if (typeof body.webhook === 'string' && behaviour.outcome !== 'hang') {
        const finishesIn = (behaviour.outcome === 'aborted' ? 1 : 2) * behaviour.stepMs;
        setTimeout(() => void this.deliver(prediction, body.webhook as string), finishesIn + 5).unref();
      }
      return send(res, 201, this.view(prediction));
    }
    if (path === '/v1/files' && req.method === 'POST') {
      const id = `file${++this.counter}`;
      const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData().catch(() => null);
      const content = form?.get('content');
      if (content instanceof Blob) this.files.set(id, Buffer.from(await content.arrayBuffer()));
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
    const { stepMs } = p;
    const { outcome } = p.behaviour;
    let status: string = elapsed < stepMs ? 'starting' : elapsed < 2 * stepMs || outcome === 'hang' ? 'processing' : outcome;
    if (p.canceled) status = 'canceled';
    if (outcome === 'aborted' && elapsed >= stepMs) status = 'aborted';
    if (status !== 'starting' && status !== 'processing') p.settledAt ??= Date.now();
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

  /** The predictions created so far, in creation order (their timings for a bench). */
  createdPredictions(): ReadonlyArray<Readonly<StandInPrediction>> {
    return [...this.predictions.values()];
  }

  private async serveOutput(res: ServerResponse, prediction: StandInPrediction | undefined): Promise<void> {
    const behaviour = prediction?.behaviour ?? this.behaviour;
    switch (behaviour.output) {
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
        const png = behaviour.output === 'scene' && prediction ? await this.scenePng(prediction) : await this.plainPng(behaviour.outputSize);
        res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length }).end(png);
      }
    }
  }

  /** One plain PNG per size, rendered once: a bench's hundreds of downloads cost the stand-in nothing. */
  private plainPng([width, height]: [number, number]): Promise<Buffer> {
    const key = `${width}x${height}`;
    let png = this.plainPngs.get(key);
    if (!png) {
      png = sharp({ create: { width, height, channels: 3, background: { r: 200, g: 170, b: 140 } } }).png().toBuffer();
      this.plainPngs.set(key, png);
    }
    return png;
  }

  /**
   * What a model asked to keep the product would ideally return: the reference cut-out, unchanged,
   * standing on a plain warm backdrop (about 70% of the frame, low in it). A plain backdrop keeps the
   * classical segmentation that product-fidelity and colour-correct use able to find the product.
   */
  private async scenePng(p: StandInPrediction): Promise<Buffer> {
    const [width, height] = p.behaviour.outputSize;
    const tone = p.behaviour.varyScenes ? (p.index % 5) * 5 : 0;
    const backdrop = { r: 236 - tone, g: 230 - tone, b: 220 - tone };
    const reference = await this.referenceOf(p);
    if (!reference) return sharp({ create: { width, height, channels: 3, background: backdrop } }).png().toBuffer();
    const product = await sharp(reference)
      .modulate(p.sceneEdit === 'recolour' ? { hue: 120 } : {})
      .resize({ width: Math.round(width * 0.7), height: Math.round(height * 0.7), fit: 'inside' })
      .png()
      .toBuffer({ resolveWithObject: true });
    const left = Math.round((width - product.info.width) / 2);
    const top = Math.round(height * 0.88 - product.info.height);
    return sharp({ create: { width, height, channels: 3, background: backdrop } })
      .composite([{ input: product.data, left, top: Math.max(0, top) }])
      .png()
      .toBuffer();
  }

  /** The reference image of a prediction's input: a data URL, or a file uploaded to this stand-in. */
  private async referenceOf(p: StandInPrediction): Promise<Buffer | undefined> {
    const value = [p.input.image_input, p.input.input_image, p.input.image].flat().find((v) => typeof v === 'string') as string | undefined;
    if (!value) return undefined;
    const data = /^data:[^;]+;base64,(.*)$/.exec(value);
    if (data) return Buffer.from(data[1], 'base64');
    const file = /\/files\/(\w+)$/.exec(value);
    return file ? this.files.get(file[1]) : undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
