import { z } from 'zod';
import type { RunNodeDetail as SharedRunNodeDetail } from '@studioflow/runtime/graph';
import { positiveInt } from '../common/zod-pipe';

const EXPOSED_PARAMS_EXAMPLE = { 'composite.fill': 0.8 };

/** POST /api/v1/shoots as JSON: a template and the id of an earlier upload (POST /api/v1/uploads). */
export const CreateShootJson = z
  .object({
    templateId: z.string().min(1).describe('template id or slug'),
    uploadId: z.uuid().describe('the id POST /api/v1/uploads answered'),
    params: z.record(z.string(), z.unknown()).optional().describe('exposed params of the template, by "nodeId.param"'),
  })
  .meta({ examples: [{ templateId: 'white-studio', uploadId: '3f1c2b9e-8a7d-4e21-9c55-0c7d2f6a1b34', params: EXPOSED_PARAMS_EXAMPLE }] });
export type CreateShootJson = z.infer<typeof CreateShootJson>;

/** POST /api/v1/shoots as multipart/form-data: the photo itself in `image`, params as a JSON string. */
export const CreateShootMultipart = z
  .object({
    templateId: z.string().min(1).describe('template id or slug'),
    params: z.string().optional().describe('JSON object of exposed params, e.g. {"composite.fill":0.8}'),
  })
  .meta({ examples: [{ templateId: 'white-studio', params: JSON.stringify(EXPOSED_PARAMS_EXAMPLE) }] });
export type CreateShootMultipart = z.infer<typeof CreateShootMultipart>;

/** POST /api/v1/runs (multipart): a staff test run of a graph version, the photo in `image`. */
export const TestRunMultipart = z
  .object({
    graphVersionId: z.uuid().describe('the graph version to run'),
    untilNodeId: z.string().min(1).optional().describe('"run to here": run only this node and its ancestors'),
  })
  .meta({ examples: [{ graphVersionId: '9b0e7c55-2a51-4d1c-8f3e-61a2a7d4c0de' }] });

export const ReplayBody = z
  .object({
    fromNodeId: z.string().min(1).describe('the node to re-run; everything downstream re-runs too'),
    params: z.record(z.string(), z.unknown()).optional().describe("new params for that node, checked against its schema"),
  })
  .meta({ examples: [{ fromNodeId: 'composite', params: { fill: 0.7 } }] });
export type ReplayBody = z.infer<typeof ReplayBody>;

export const ListShootsQuery = z.object({
  limit: positiveInt(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type ListShootsQuery = z.infer<typeof ListShootsQuery>;

// ---- answers (documentation and types; the services build them) ----

export const RunStarted = z.object({
  id: z.uuid().describe('as GET /api/v1/shoots/:id names it'),
  runId: z.uuid().describe('the same id, as run events and webhooks name it'),
});

export const ReplayStarted = RunStarted.extend({ parentRunId: z.uuid(), fromNodeId: z.string() });

const RunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'awaiting_review']);
const Results = z.record(z.string(), z.unknown()).describe('the delivered artifacts, each with a signed url');

export const ShootSummary = z.object({
  id: z.uuid(),
  kind: z.enum(['shoot', 'test', 'bench']),
  status: RunStatus,
  createdAt: z.string().describe('ISO 8601'),
  finishedAt: z.string().nullable(),
  results: Results,
});

export const ShootPage = z.object({
  items: z.array(ShootSummary),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
});

const NodeRunState = z.enum(['pending', 'queued', 'running', 'done', 'cached', 'failed', 'skipped', 'cancelled', 'awaiting_review']);

/** One node run as GET /api/shoots/:id and /api/runs/:id answer it (the shared RunNodeDetail). */
const RunNodeDetail = z.object({
  nodeId: z.string(),
  type: z.string(),
  state: NodeRunState,
  attempts: z.number().int(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  outputs: z.record(z.string(), z.unknown()).describe('by output port; artifact refs carry a signed url'),
  sourceRunId: z.uuid().nullable().describe('set when a replay reused this node\'s outputs from that run'),
  costUsd: z.number().nullable().describe('the latest execution\'s cost in USD (0 when cached); null until it finishes'),
  costParts: z.array(z.object({ kind: z.enum(['cloud', 'gpu', 'storage']), usd: z.number(), model: z.string().optional(), detail: z.string().optional() })).nullable(),
  startedAt: z.string().nullable().describe('ISO 8601'),
  finishedAt: z.string().nullable().describe('ISO 8601'),
});
/** Compile time only: tsc fails when the documented node and the shared RunNodeDetail drift apart (a field or its type). */
type Fits<T extends U, U> = T;
export type DocumentedRunNode = [
  Fits<keyof SharedRunNodeDetail, keyof typeof RunNodeDetail.shape>,
  Fits<keyof typeof RunNodeDetail.shape, keyof SharedRunNodeDetail>,
  Fits<SharedRunNodeDetail, z.infer<typeof RunNodeDetail>>,
];

export const ShootDetail = z.object({
  id: z.uuid(),
  kind: z.enum(['shoot', 'test', 'bench']),
  status: RunStatus,
  templateId: z.uuid().nullable(),
  graphVersionId: z.uuid().nullable().describe('null for a draft run (see graph)'),
  graph: z
    .object({ graphId: z.uuid(), version: z.number().int().nullable(), draft: z.boolean(), draftHash: z.string().nullable(), untilNodeId: z.string().nullable() })
    .optional()
    .describe('staff: what the run executed, a committed version or a draft (with its content hash)'),
  nodeParams: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .optional()
    .describe('staff: per node, the params the run ran with (defaults applied, retry overrides merged)'),
  params: z.record(z.string(), z.unknown()),
  parentRunId: z.uuid().nullable(),
  priceCredits: z.number().int(),
  costUsd: z.number(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  results: Results,
  nodes: z.array(RunNodeDetail),
});

export const Cancelled = z.object({ id: z.uuid(), cancelled: z.literal(true) });

export const UploadStored = z.object({
  id: z.uuid().describe('name it as uploadId in POST /api/v1/shoots'),
  sha256: z.string(),
  mime: z.string(),
  bytes: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
});
