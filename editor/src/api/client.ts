import type {
  GraphDoc,
  GraphProblem,
  ManagedTemplate,
  NodeTypeDescriptor,
  RunLogEntry,
  TemplateChange,
  TemplateLifecycleBody,
  TemplateListing,
  UpdateTemplateBody,
} from '@studioflow/runtime/graph';
import type {
  DraftRunStarted,
  GraphDetail,
  GraphSummary,
  GraphVersion,
  PinnedTestPhoto,
  PublishBody,
  ReplayResult,
  RunSummary,
  RunDetail,
  RunSnapshotView,
  SaveDraftResult,
} from './types';

const KEY_STORAGE = 'studioflow.apiKey';
export const DEFAULT_API_KEY = 'sf_staff_dev';

export function getApiKey(): string {
  try {
    return localStorage.getItem(KEY_STORAGE) || DEFAULT_API_KEY;
  } catch {
    return DEFAULT_API_KEY;
  }
}

export function setApiKey(key: string): void {
  try {
    localStorage.setItem(KEY_STORAGE, key.trim());
  } catch {
    /* private mode: the key lives for this page only */
  }
}

/** Why a request failed: the UI shows a different state for each. */
export type ApiErrorKind = 'unreachable' | 'unauthorized' | 'invalid' | 'not_found' | 'http';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status = 0,
    readonly problems: GraphProblem[] = [],
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = (reachable: 'ok' | 'unreachable' | 'unauthorized') => void;
const listeners = new Set<Listener>();
/** The app shows an "API unreachable" banner from these reports. */
export function onApiHealth(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function report(state: 'ok' | 'unreachable' | 'unauthorized'): void {
  for (const l of listeners) l(state);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${getApiKey()}`, Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: payload });
  } catch (err) {
    report('unreachable');
    throw new ApiError('unreachable', `API unreachable (${(err as Error).message})`);
  }
  const text = await res.text();
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  let data: unknown = null;
  if (text && isJson) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  // A static host without the API answers /api/* with index.html or a proxy error page.
  // A dev proxy with no server behind it answers 5xx with a non-JSON body (or 502/503/504).
  if ((!isJson && text && res.ok) || (!isJson && res.status >= 500) || res.status === 502 || res.status === 503 || res.status === 504) {
    report('unreachable');
    throw new ApiError('unreachable', `API unreachable (HTTP ${res.status} from /api${path})`, res.status);
  }
  if (res.status === 401 || res.status === 403) {
    report('unauthorized');
    throw new ApiError('unauthorized', messageOf(data) ?? 'API key rejected', res.status, [], data);
  }
  report('ok');
  if (!res.ok) {
    const problems = Array.isArray((data as { problems?: unknown })?.problems)
      ? ((data as { problems: GraphProblem[] }).problems)
      : [];
    const kind: ApiErrorKind = res.status === 422 || res.status === 400 ? 'invalid' : res.status === 404 ? 'not_found' : 'http';
    throw new ApiError(kind, messageOf(data) ?? `HTTP ${res.status}`, res.status, problems, data);
  }
  return data as T;
}

function messageOf(data: unknown): string | null {
  const m = (data as { message?: unknown } | null)?.message;
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.map(String).join('; ');
  return null;
}

export const api = {
  nodeTypes: () => request<NodeTypeDescriptor[]>('GET', '/node-types'),
  listGraphs: () => request<GraphSummary[]>('GET', '/graphs'),
  createGraph: (name: string, draft: GraphDoc, description?: string) =>
    request<GraphDetail>('POST', '/graphs', { name, description, draft }),
  getGraph: (id: string) => request<GraphDetail>('GET', `/graphs/${encodeURIComponent(id)}`),
  saveDraft: (id: string, draft: GraphDoc) =>
    request<SaveDraftResult>('PUT', `/graphs/${encodeURIComponent(id)}/draft`, { draft }),
  commit: (id: string, message: string) =>
    request<{ id: string; version: number }>('POST', `/graphs/${encodeURIComponent(id)}/versions`, { message }),
  getVersion: (id: string, version: number) =>
    request<GraphVersion>('GET', `/graphs/${encodeURIComponent(id)}/versions/${version}`),
  publish: (body: PublishBody) => request<{ id: string; slug: string }>('POST', '/templates', body),
  listTemplates: () => request<TemplateListing[]>('GET', '/templates'),
  /** Staff: the tenant's own templates (of one graph), published or not, with their revision. */
  managedTemplates: (graphId?: string) =>
    request<ManagedTemplate[]>('GET', `/templates/managed${graphId ? `?graphId=${encodeURIComponent(graphId)}` : ''}`),
  updateTemplate: (id: string, body: UpdateTemplateBody) => request<ManagedTemplate>('PATCH', `/templates/${encodeURIComponent(id)}`, body),
  unpublishTemplate: (id: string, body: TemplateLifecycleBody) =>
    request<ManagedTemplate>('POST', `/templates/${encodeURIComponent(id)}/unpublish`, body),
  republishTemplate: (id: string, body: TemplateLifecycleBody) =>
    request<ManagedTemplate>('POST', `/templates/${encodeURIComponent(id)}/republish`, body),
  templateChangelog: (id: string) => request<TemplateChange[]>('GET', `/templates/${encodeURIComponent(id)}/changelog`),
  /** A test run of a committed version: on `image`, or on the graph's pinned photo without one. */
  startRun: (graphVersionId: string, image: File | null) => {
    if (!image) return request<{ runId: string }>('POST', '/runs', { graphVersionId });
    const form = new FormData();
    form.append('graphVersionId', graphVersionId);
    form.append('image', image, image.name);
    return request<{ runId: string }>('POST', '/runs', form);
  },
  getShoot: (id: string) => request<RunDetail>('GET', `/shoots/${encodeURIComponent(id)}`),
  /** A run's snapshot with the seq of the newest event it reflects (editor runs and shoots alike). */
  getRun: (id: string) => request<RunSnapshotView>('GET', `/runs/${encodeURIComponent(id)}`),
  /** The lines a run's node runs logged, oldest first. */
  runLogs: (id: string) => request<RunLogEntry[]>('GET', `/runs/${encodeURIComponent(id)}/logs`),
  /** Re-runs `fromNodeId` and everything downstream in a new linked run, reusing upstream artifacts. */
  replay: (runId: string, fromNodeId: string, params?: Record<string, unknown>) =>
    request<ReplayResult>('POST', `/runs/${encodeURIComponent(runId)}/replay`, params ? { fromNodeId, params } : { fromNodeId }),
  /** Runs the canvas as it is (no commit): with `image`, or on the graph's pinned photo without. */
  draftRun: (graphId: string, graph: GraphDoc, image: File | null, untilNodeId?: string) => {
    if (!image) return request<DraftRunStarted>('POST', `/graphs/${encodeURIComponent(graphId)}/draft-runs`, { graph, untilNodeId });
    const form = new FormData();
    form.append('graph', JSON.stringify(graph));
    if (untilNodeId) form.append('untilNodeId', untilNodeId);
    form.append('image', image, image.name);
    return request<DraftRunStarted>('POST', `/graphs/${encodeURIComponent(graphId)}/draft-runs`, form);
  },
  pinTestPhoto: (graphId: string, image: File) => {
    const form = new FormData();
    form.append('image', image, image.name);
    return request<PinnedTestPhoto>('PUT', `/graphs/${encodeURIComponent(graphId)}/test-photo`, form);
  },
  unpinTestPhoto: (graphId: string) => request<void>('DELETE', `/graphs/${encodeURIComponent(graphId)}/test-photo`),
  graphRuns: (graphId: string) => request<RunSummary[]>('GET', `/graphs/${encodeURIComponent(graphId)}/runs`),
};
