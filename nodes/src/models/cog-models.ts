import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PermanentNodeError, type Device } from '@studioflow/runtime/contract';
import { INPAINT_SCHEMAS } from '../generate/replicate-models';

/**
 * Models served by Cog HTTP servers on our own GPUs (FLUX Fill), from STUDIOFLOW_COG_MODELS: JSON,
 * or a path to a JSON file, keyed by model id:
 *   {"flux-fill": {"urls": ["http://127.0.0.1:5000", "http://127.0.0.1:5001"], "bytes": 25000000000, "schema": "flux-fill"}}
 * `urls[N]` is the server on GPU N (a GPU runtime slot cuda:N uses it; a CPU slot uses urls[0]).
 * The API reads it when it compiles a plan (placement), the GPU runtime when it loads the model.
 */
export interface CogModelConfig {
  id: string;
  urls: string[];
  /** The memory the server holds on its GPU: counts against the slot's model budget. */
  bytes: number;
  /** The model's input schema (INPAINT_SCHEMAS). */
  schema: string;
  /** Names the weights behind the servers: change it when they change, so cached results are not reused. */
  revision?: string;
  /** How long a server may stay in setup (STARTING) before loading gives up. */
  setupTimeoutS: number;
}

export const COG_CONFIG_HINT =
  'set STUDIOFLOW_COG_MODELS to {"<model>": {"urls": ["http://127.0.0.1:5000"], "bytes": <GPU memory>, "schema": "flux-fill"}} (JSON or a path to a JSON file)';

const DEFAULT_SETUP_TIMEOUT_S = 900;

/** Every Cog model configured; a malformed configuration is a permanent error saying what is wrong. */
export function cogModels(env: NodeJS.ProcessEnv = process.env): Map<string, CogModelConfig> {
  const raw = env.STUDIOFLOW_COG_MODELS?.trim();
  const out = new Map<string, CogModelConfig>();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.startsWith('{') ? raw : readFileSync(raw, 'utf8'));
  } catch (err) {
    throw new PermanentNodeError(`STUDIOFLOW_COG_MODELS is not valid: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PermanentNodeError('STUDIOFLOW_COG_MODELS is not valid: expected an object keyed by model id');
  for (const [id, value] of Object.entries(parsed as Record<string, Record<string, unknown>>)) {
    const problems: string[] = [];
    const urls = value?.urls;
    if (!Array.isArray(urls) || !urls.length || !urls.every((u) => typeof u === 'string' && /^https?:\/\/[^/]/.test(u))) problems.push('urls (a list of http(s) URLs, one per GPU)');
    if (value?.bytes !== undefined && (typeof value.bytes !== 'number' || !(value.bytes >= 0))) problems.push('bytes (a number)');
    if (typeof value?.schema !== 'string' || !(value.schema in INPAINT_SCHEMAS)) problems.push(`schema (one of ${Object.keys(INPAINT_SCHEMAS).join(', ')})`);
    if (value?.revision !== undefined && typeof value.revision !== 'string') problems.push('revision (a string)');
    if (value?.setupTimeoutS !== undefined && (typeof value.setupTimeoutS !== 'number' || !(value.setupTimeoutS > 0))) problems.push('setupTimeoutS (seconds)');
    if (problems.length) throw new PermanentNodeError(`STUDIOFLOW_COG_MODELS model "${id}" is missing or has invalid: ${problems.join(', ')}`);
    out.set(id, {
      id,
      urls: urls as string[],
      bytes: (value.bytes as number | undefined) ?? 0,
      schema: value.schema as string,
      ...(typeof value.revision === 'string' ? { revision: value.revision } : {}),
      setupTimeoutS: (value.setupTimeoutS as number | undefined) ?? DEFAULT_SETUP_TIMEOUT_S,
    });
  }
  return out;
}

export function cogModel(id: string, env: NodeJS.ProcessEnv = process.env): CogModelConfig | null {
  return cogModels(env).get(id) ?? null;
}

/** The server a slot uses: cuda:N → urls[N], the CPU slot → urls[0]. */
export function cogServerFor(model: CogModelConfig, device: Device): string {
  const index = device === 'cpu' ? 0 : Number(device.slice('cuda:'.length));
  const url = model.urls[index];
  if (!url) throw new PermanentNodeError(`Cog model "${model.id}" has no server for ${device}: STUDIOFLOW_COG_MODELS lists ${model.urls.length} URL(s), one per GPU`);
  return url;
}

/** The execution-cache identity of a Cog model: its schema and revision, not which servers run it. */
export function cogModelFingerprint(model: CogModelConfig): string {
  return createHash('sha256').update(JSON.stringify({ id: model.id, schema: model.schema, revision: model.revision ?? null })).digest('hex').slice(0, 16);
}
