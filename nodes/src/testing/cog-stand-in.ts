import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { mulberry32 } from './synthetic-product';

/** How the stand-in behaves; change fields between predictions. */
export interface CogStandInBehaviour {
  /** How a prediction ends: succeeded, or failed at `failAtStep` with `error` (HTTP 200, status failed: Cog's way). */
  outcome: 'succeeded' | 'failed';
  failAtStep: number;
  error: string;
  /** Time per denoising step. */
  stepMs: number;
  /** Output files as data URLs (Cog's default) or as URLs the stand-in serves (Cog with --upload-url). */
  files: 'data-url' | 'file-url';
  /** The model's largest num_inference_steps (cog-flux: 50; a distilled model takes fewer). */
  maxSteps: number;
  /** The server hit an unrecoverable error: health DEFUNCT. */
  defunct: boolean;
}

export interface CogStandInOptions {
  /** STARTING for this long after start, then READY. */
  setupMs?: number;
  /** SETUP_FAILED instead of READY (the model's setup() raised). */
  setupFails?: boolean;
  /** Predictions at once (Cog's default is one); more answer 409. */
  concurrency?: number;
  behaviour?: Partial<CogStandInBehaviour>;
}

export interface CogStandInRequest {
  method: string;
  path: string;
  at: number;
  headers: IncomingMessage['headers'];
  body?: any;
}

interface RunningPrediction {
  id: string;
  input: Record<string, any>;
  webhook?: string;
  events: Set<string>;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  logs: string;
  output?: string[];
  error?: string;
  startedAt: number;
  canceled: boolean;
  done: Promise<void>;
}

const DEFAULTS: CogStandInBehaviour = {
  outcome: 'succeeded',
  failAtStep: 2,
  error: 'CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)',
  stepMs: 20,
  files: 'data-url',
  maxSteps: 50,
  defunct: false,
};

const OUTPUT_FORMATS = ['png', 'jpg', 'webp'];

/**
 * A loopback stand-in for a Cog server running FLUX.1 Fill (cog-flux's input schema): health-check
 * STARTING → READY (or SETUP_FAILED, DEFUNCT; BUSY while every slot predicts), PUT/POST
 * /predictions sync or `Prefer: respond-async` with webhooks (start, one tqdm `logs` line per
 * denoising step, completed), 409 when every slot is busy, 503 while starting, 422 with a
 * validation `detail` list, cancel between steps. Its output keeps the black-mask region, slightly
 * changed (blur and a colour drift, as a VAE round trip does), and paints a scene seeded by `seed`
 * into the white region. Every request is recorded.
 */
export class CogStandIn {
  readonly requests: CogStandInRequest[] = [];
  /** Ids of predictions a client cancelled (POST /predictions/{id}/cancel that found one). */
  readonly canceled: string[] = [];
  /** Predictions accepted, in order. */
  readonly accepted: string[] = [];
  /** How many creates were answered 409. */
  busyAnswers = 0;
  behaviour: CogStandInBehaviour;
  private readonly running = new Map<string, RunningPrediction>();
  private readonly files = new Map<string, Buffer>();
  private readonly readyAt: number;

  private constructor(private readonly server: Server, readonly origin: string, private readonly options: CogStandInOptions) {
    this.behaviour = { ...DEFAULTS, ...options.behaviour };
    this.readyAt = Date.now() + (options.setupMs ?? 0);
  }

  static async start(options: CogStandInOptions = {}): Promise<CogStandIn> {
    let standIn: CogStandIn | undefined;
    const server = createServer((req, res) => void standIn!.handle(req, res).catch((err) => send(res, 500, { error: String(err) })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new CogStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
    return standIn;
  }

  /** Requests whose method and path match. */
  requestsTo(method: string, path: RegExp): CogStandInRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Cancels what still runs and stops listening. */
  async close(): Promise<void> {
    for (const p of this.running.values()) p.canceled = true;
    await Promise.allSettled([...this.running.values()].map((p) => p.done));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private health(): string {
    if (this.options.setupFails) return 'SETUP_FAILED';
    if (Date.now() < this.readyAt) return 'STARTING';
    if (this.behaviour.defunct) return 'DEFUNCT';
    return this.running.size >= (this.options.concurrency ?? 1) ? 'BUSY' : 'READY';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const raw = await readBody(req);
    let body: any;
    if (raw.length && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, at: Date.now(), headers: req.headers, body });

    if (req.method === 'GET' && url.pathname === '/health-check') {
      const status = this.health();
      const setup = this.options.setupFails
        ? { status: 'failed', logs: 'Loading FLUX.1-Fill-dev...\nTraceback (most recent call last):\nOSError: flux1-fill-dev.safetensors: no such file or directory' }
        : { status: status === 'STARTING' ? 'starting' : 'succeeded', logs: '' };
      return send(res, 200, { status, setup, version: { coglet: 'stand-in' } });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
      const file = this.files.get(url.pathname.slice('/files/'.length));
      if (!file) return send(res, 404, { error: 'no such file' });
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': file.length }).end(file);
      return;
    }
    const cancel = /^\/predictions\/([^/]+)\/cancel$/.exec(url.pathname);
    if (req.method === 'POST' && cancel) {
      const prediction = this.running.get(decodeURIComponent(cancel[1]));
      if (!prediction) return send(res, 404, {});
      prediction.canceled = true;
      this.canceled.push(prediction.id);
      return send(res, 200, {});
    }
    const put = /^\/predictions\/([^/]+)$/.exec(url.pathname);
    if ((req.method === 'PUT' && put) || (req.method === 'POST' && url.pathname === '/predictions')) {
      const id = put ? decodeURIComponent(put[1]) : typeof body?.id === 'string' ? body.id : randomBytes(13).toString('hex');
      return this.create(id, body ?? {}, req.headers, res);
    }
    send(res, 404, { error: 'not found' });
  }

  private async create(id: string, body: any, headers: IncomingMessage['headers'], res: ServerResponse): Promise<void> {
    if (body.id !== undefined && body.id !== id) {
      return send(res, 422, { detail: [{ loc: ['body', 'id'], msg: 'prediction ID must match the ID supplied in the URL', type: 'value_error' }] });
    }
    const status = this.health();
    if (status === 'STARTING' || status === 'SETUP_FAILED' || status === 'DEFUNCT') {
      return send(res, 503, { error: 'Setup has not finished yet', status: 'failed' });
    }
    const input = typeof body.input === 'object' && body.input ? (body.input as Record<string, any>) : {};
    const problems = validateFluxFillInput(input, this.behaviour.maxSteps);
    if (problems.length) return send(res, 422, { detail: problems.map((p) => ({ loc: ['body', 'input', p.field], msg: p.msg, type: 'value_error' })) });
    const existing = this.running.get(id);
    if (existing) return send(res, 202, snapshot(existing));
    if (this.running.size >= (this.options.concurrency ?? 1)) {
      this.busyAnswers++;
      return send(res, 409, { error: 'At capacity - all prediction slots busy', status: 'failed' });
    }
    const prediction: RunningPrediction = {
      id,
      input,
      webhook: typeof body.webhook === 'string' ? body.webhook : undefined,
      events: new Set(Array.isArray(body.webhook_events_filter) ? body.webhook_events_filter : ['start', 'output', 'logs', 'completed']),
      status: 'starting',
      logs: '',
      startedAt: Date.now(),
      canceled: false,
      done: Promise.resolve(),
    };
    this.running.set(id, prediction);
    this.accepted.push(id);
    prediction.done = this.run(prediction).finally(() => this.running.delete(id));
    if (String(headers.prefer ?? '').includes('respond-async')) return send(res, 202, { id, status: 'starting' });
    await prediction.done;
    send(res, 200, snapshot(prediction));
  }

  private async run(p: RunningPrediction): Promise<void> {
    const b = this.behaviour;
    await this.notify(p, 'start');
    p.status = 'processing';
    const steps = Number(p.input.num_inference_steps ?? 28);
    try {
      const started = Date.now();
      for (let step = 1; step <= steps; step++) {
        await new Promise((r) => setTimeout(r, b.stepMs));
        // Cog checks for cancellation between denoising steps.
        if (p.canceled) {
          p.status = 'canceled';
          break;
        }
        if (b.outcome === 'failed' && step >= b.failAtStep) {
          p.status = 'failed';
          p.error = b.error;
          break;
        }
        const pct = Math.round((100 * step) / steps);
        const bar = '█'.repeat(Math.round(pct / 10)).padEnd(10, ' ');
        const rate = (1000 / Math.max(1, (Date.now() - started) / step)).toFixed(2);
        p.logs += `${String(pct).padStart(3)}%|${bar}| ${step}/${steps} [00:00<00:00, ${rate}it/s]\n`;
        await this.notify(p, 'logs');
      }
      if (p.status === 'processing') {
        const png = await fillLikeFlux(p.input);
        p.output = [this.fileUrl(png, `out-${p.id}.png`)];
        p.status = 'succeeded';
      }
    } catch (err) {
      p.status = 'failed';
      p.error = (err as Error).message;
    }
    await this.notify(p, 'completed');
  }

  private fileUrl(png: Buffer, name: string): string {
    if (this.behaviour.files === 'data-url') return `data:image/png;base64,${png.toString('base64')}`;
    this.files.set(name, png);
    return `${this.origin}/files/${name}`;
  }

  /** Posts the prediction to its webhook for events it asked for; the completed one is retried, as Cog does. */
  private async notify(p: RunningPrediction, event: 'start' | 'logs' | 'completed'): Promise<void> {
    if (!p.webhook || !p.events.has(event)) return;
    const payload = snapshot(p);
    for (let attempt = 0; attempt < (event === 'completed' ? 5 : 1); attempt++) {
      try {
        const r = await fetch(p.webhook, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) });
        await r.body?.cancel();
        if (r.ok) return;
      } catch {
        // retried below for the terminal event, dropped otherwise (as Cog does)
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

function snapshot(p: RunningPrediction): Record<string, unknown> {
  const terminal = p.status === 'succeeded' || p.status === 'failed' || p.status === 'canceled';
  return {
    id: p.id,
    status: p.status,
    logs: p.logs,
    ...(p.output ? { output: p.output } : {}),
    ...(p.error ? { error: p.error } : {}),
    metrics: terminal ? { predict_time: (Date.now() - p.startedAt) / 1000 } : {},
  };
}

/** cog-flux's FLUX.1 Fill dev schema, checked the way Cog does (422 with one entry per field). */
export function validateFluxFillInput(input: Record<string, any>, maxSteps = 50): Array<{ field: string; msg: string }> {
  const problems: Array<{ field: string; msg: string }> = [];
  const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
  if (input.prompt === undefined) problems.push({ field: 'prompt', msg: 'Field required' });
  else if (typeof input.prompt !== 'string') problems.push({ field: 'prompt', msg: 'Input should be a valid string' });
  if (input.image === undefined) problems.push({ field: 'image', msg: 'Field required' });
  else if (typeof input.image !== 'string' || !/^(data:|https?:\/\/)/.test(input.image)) problems.push({ field: 'image', msg: 'Input should be a valid URL' });
  if (input.mask !== undefined && (typeof input.mask !== 'string' || !/^(data:|https?:\/\/)/.test(input.mask))) problems.push({ field: 'mask', msg: 'Input should be a valid URL' });
  if (input.num_inference_steps !== undefined) {
    if (!isInt(input.num_inference_steps)) problems.push({ field: 'num_inference_steps', msg: 'Input should be a valid integer' });
    else if (input.num_inference_steps < 1) problems.push({ field: 'num_inference_steps', msg: 'Input should be greater than or equal to 1' });
    else if (input.num_inference_steps > maxSteps) problems.push({ field: 'num_inference_steps', msg: `Input should be less than or equal to ${maxSteps}` });
  }
  if (input.guidance !== undefined && (typeof input.guidance !== 'number' || input.guidance < 0 || input.guidance > 100)) problems.push({ field: 'guidance', msg: 'Input should be a number between 0 and 100' });
  if (input.seed !== undefined && !isInt(input.seed)) problems.push({ field: 'seed', msg: 'Input should be a valid integer' });
  if (input.strength !== undefined && (typeof input.strength !== 'number' || input.strength < 0 || input.strength > 1)) problems.push({ field: 'strength', msg: 'Input should be a number between 0 and 1' });
  if (input.num_outputs !== undefined && (!isInt(input.num_outputs) || input.num_outputs < 1 || input.num_outputs > 4)) problems.push({ field: 'num_outputs', msg: 'Input should be an integer between 1 and 4' });
  if (input.output_format !== undefined && !OUTPUT_FORMATS.includes(input.output_format)) problems.push({ field: 'output_format', msg: `Input should be ${OUTPUT_FORMATS.join(', ')}` });
  return problems;
}

/**
 * What FLUX Fill does, cheaply: black-mask pixels come back slightly changed (blurred, colour
 * drifted), white-mask pixels are a generated scene (a wall and a floor with texture, seeded),
 * grey ones a mix. Sides are rounded down to multiples of 16, as FLUX's latent grid does.
 */
async function fillLikeFlux(input: Record<string, any>): Promise<Buffer> {
  const image = await fileBytes(input.image);
  const meta = await sharp(image).metadata();
  const W = Math.max(16, Math.floor((meta.width ?? 16) / 16) * 16);
  const H = Math.max(16, Math.floor((meta.height ?? 16) / 16) * 16);
  const kept = await sharp(image).removeAlpha().resize(W, H, { fit: 'fill' }).blur(1.2).raw().toBuffer();
  const mask = input.mask
    ? await sharp(await fileBytes(input.mask)).greyscale().resize(W, H, { fit: 'fill' }).extractChannel(0).raw().toBuffer()
    : Buffer.alloc(W * H, 255);
  const rand = mulberry32(Number.isInteger(input.seed) ? input.seed : 42);
  const wall = [90 + rand() * 120, 90 + rand() * 120, 90 + rand() * 120];
  const floor = [60 + rand() * 100, 50 + rand() * 90, 40 + rand() * 80];
  const horizon = H * (0.6 + rand() * 0.15);
  const fx = 3 + rand() * 6, fy = 2 + rand() * 5, phase = rand() * 6.28;
  const out = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const m = mask[i] / 255;
      const isFloor = y > horizon;
      const base = isFloor ? floor : wall;
      const shade = isFloor ? 0.8 + (0.3 * (y - horizon)) / (H - horizon) : 1 - (0.25 * y) / horizon;
      const texture = 10 * Math.sin((x / W) * fx * 6.28 + phase) * Math.cos((y / H) * fy * 6.28);
      for (let c = 0; c < 3; c++) {
        const scene = base[c] * shade + texture;
        // A VAE round trip shifts colours a little: the reason the node pastes the product back.
        const drifted = kept[i * 3 + c] + (c === 0 ? 6 : c === 2 ? -5 : 2);
        out[i * 3 + c] = Math.max(0, Math.min(255, Math.round(drifted * (1 - m) + scene * m)));
      }
    }
  }
  return sharp(out, { raw: { width: W, height: H, channels: 3 } }).png({ compressionLevel: 3 }).toBuffer();
}

async function fileBytes(url: string): Promise<Buffer> {
  if (url.startsWith('data:')) return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not download ${url}: HTTP ${r.status}`);
  return Buffer.from(await r.arrayBuffer());
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}
