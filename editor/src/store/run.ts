import { create } from 'zustand';
import { api, ApiError } from '../api/client';
import { watchRun } from '../api/socket';
import { RunEventOrder, type GraphDoc, type RunLogEntry } from '@studioflow/runtime/graph';
import type { NodeRunState, RunNodeParams, RunResultUrls, RunSnapshotView, RunSummary } from '../api/types';

export interface NodeRunInfo {
  state: NodeRunState;
  progress?: number;
  message?: string;
  durationMs?: number | null;
  error?: string | null;
  outputs?: Record<string, unknown> | null;
  cached?: boolean;
  attempts?: number;
  /** The earlier run whose outputs a replay reused for this node (it did not execute here). */
  sourceRunId?: string | null;
  /** USD, when the node reports a cost. */
  costUsd?: number | null;
}

export type RunPhase = 'idle' | 'starting' | 'queued' | 'running' | 'awaiting_review' | 'completed' | 'failed' | 'cancelled';

interface RunState {
  runId: string | null;
  version: number | null;
  phase: RunPhase;
  error: string | null;
  results: RunResultUrls | null;
  nodes: Record<string, NodeRunInfo>;
  /** Node ids in execution-plan order (from the server snapshot), for listing. */
  order: string[];
  socket: 'off' | 'connected' | 'disconnected' | 'error';
  startedAt: number | null;
  finishedAt: number | null;
  /** Set when the current run is a replay of another run. */
  parentRunId: string | null;
  replayFrom: string | null;
  /** The run's total cost in USD as the server counts it (every node execution, re-runs included). */
  costUsd: number | null;
  /** A draft run's content hash (the canvas it ran); null for a version run. */
  draftHash: string | null;
  /** "Run to here": the node the run stops at. */
  untilNodeId: string | null;
  /** A past run opened from the history: per node, the params it ran with (the inspector shows them read-only). */
  ranWith: RunNodeParams | null;
  /** The lines the run's node runs logged: live (node.log) and, once loaded, the kept ones. */
  logs: RunLogEntry[];

  /** Run history of the open graph (GET /api/graphs/:id/runs), newest first. */
  history: RunSummary[];
  historyGraphId: string | null;
  historyStatus: 'idle' | 'loading' | 'ok' | 'error';
  historyError: string | null;

  /** A test run of a committed version, on `file` or else the graph's pinned photo. */
  start(file: File | null, versionId: string, version: number): Promise<void>;
  /** Runs the canvas as it is (a draft run): with `file`, or on the graph's pinned photo; optionally only up to one node. */
  startDraft(graphId: string, doc: GraphDoc, file: File | null, untilNodeId?: string): Promise<void>;
  /** Back to editing: the inspector shows the draft's params again. */
  dropRanWith(): void;
  watch(runId: string, version: number | null): void;
  /** Re-runs `fromNodeId` and what follows in a new run (POST /api/runs/:id/replay) and follows it live. */
  replay(fromNodeId: string, params?: Record<string, unknown>): Promise<boolean>;
  /** Shows a past run's node states and artifacts on the canvas; follows it live if it is still going. */
  load(runId: string, summary?: Pick<RunSummary, 'version' | 'replayFrom'>): Promise<boolean>;
  loadHistory(graphId: string | null): Promise<void>;
  clear(): void;
}

export const TERMINAL_PHASES: readonly RunPhase[] = ['completed', 'failed', 'cancelled'];
const DONE_STATES: NodeRunState[] = ['done', 'cached', 'failed', 'skipped'];
/** Node states a replay can start from once the run is over (the server checks the upstream nodes). */
export const REPLAYABLE_STATES: readonly string[] = ['done', 'cached', 'failed', 'skipped', 'cancelled'];
let stopSocket: (() => void) | null = null;
let pollTimer: ReturnType<typeof setTimeout> | null = null;
let historySeq = 0;
/** What the watched run has applied, so a late poll answer or a repeated event cannot move a node back. */
let applied = new RunEventOrder();
/** Live log lines shown at most (the kept ones are loaded from the server when the run ends). */
const MAX_LIVE_LOGS = 2000;

function stopWatching() {
  stopSocket?.();
  stopSocket = null;
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
}

function phaseOf(status: string): RunPhase {
  if (status === 'completed' || status === 'succeeded' || status === 'done') return 'completed';
  if (status === 'cancelled' || status === 'canceled') return 'cancelled';
  if (status === 'failed' || status === 'error' || status === 'rejected') return 'failed';
  if (status === 'awaiting_review') return 'awaiting_review';
  if (status === 'queued' || status === 'pending') return 'queued';
  return 'running';
}

function costOf(n: { costUsd?: number | null }): number | undefined {
  const c = n.costUsd;
  return typeof c === 'number' && Number.isFinite(c) ? c : undefined;
}

function time(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** Selector: the run is over and a node may be replayed from. */
export const selectCanReplay = (s: RunState) => !!s.runId && TERMINAL_PHASES.includes(s.phase);


/** The per-run fields of a store with no run loaded. */
function idleRun() {
  return {
    runId: null,
    version: null,
    phase: 'idle' as const,
    error: null,
    results: null,
    nodes: {},
    order: [] as string[],
    socket: 'off' as const,
    startedAt: null,
    finishedAt: null,
    parentRunId: null,
    replayFrom: null,
    costUsd: null,
    draftHash: null as string | null,
    untilNodeId: null as string | null,
    ranWith: null as RunNodeParams | null,
    logs: [] as RunLogEntry[],
  };
}

export const useRun = create<RunState>()((set, get) => {
  const patchNode = (nodeId: string, patch: Partial<NodeRunInfo>) => {
    const prev = get().nodes[nodeId] ?? { state: 'pending' as NodeRunState };
    set({ nodes: { ...get().nodes, [nodeId]: { ...prev, ...patch } } });
  };
  /** Wraps a node event handler: an event older than what its node shows is dropped. */
  const fresh = <E extends { seq?: number; nodeId?: string }>(handler: (e: E) => void) => (e: E) => {
    if (applied.acceptEvent(e)) handler(e);
  };
  /** Node events after a review decision mean the run goes on. */
  const resumed = () => {
    if (get().phase === 'awaiting_review') set({ phase: 'running' });
  };
  const loadLogs = async (runId: string) => {
    try {
      const logs = await api.runLogs(runId);
      if (get().runId === runId) set({ logs });
    } catch {
      // The live lines stay; the panel says nothing more was kept.
    }
  };
  const finish = (phase: RunPhase, patch: Partial<RunState>) => {
    set({ phase, finishedAt: get().finishedAt ?? Date.now(), ...patch });
    const runId = get().runId;
    if (runId) void loadLogs(runId);
    // Keep polling once more so final node outputs/durations arrive even if an event was missed.
    schedulePoll(0, true);
    stopSocket?.();
    stopSocket = null;
    if (get().socket === 'connected') set({ socket: 'off' });
  };

  /** Fallback (and source of truth for states the socket missed): GET /api/shoots/:id. */
  const poll = async (last: boolean) => {
    const runId = get().runId;
    if (!runId) return;
    let shoot: RunSnapshotView;
    try {
      shoot = await api.getRun(runId);
    } catch (err) {
      if (!last && !(err instanceof ApiError && err.kind === 'not_found' && Date.now() - (get().startedAt ?? 0) > 60_000)) {
        schedulePoll(3000, false);
      }
      return;
    }
    if (get().runId !== runId) return;
    applyShoot(shoot);
    if (!last && !TERMINAL_PHASES.includes(get().phase)) schedulePoll(get().socket === 'connected' ? 4000 : 1500, false);
  };
  /** Merges a server snapshot (poll or `run.snapshot`) with what the socket already told us. */
  const applyShoot = (shoot: RunSnapshotView) => {
    if (shoot.id && shoot.id !== get().runId) return;
    const nodes = { ...get().nodes };
    for (const n of shoot.nodes ?? []) {
      const prev = nodes[n.nodeId];
      if (!applied.acceptSnapshotNode(n.nodeId, shoot.seq, prev?.state, n.state)) continue;
      const live = prev?.state === 'running' && n.state === 'running';
      const next: NodeRunInfo = {
        ...prev,
        state: n.state,
        attempts: n.attempts,
        durationMs: n.durationMs ?? prev?.durationMs,
        error: n.error ?? prev?.error,
        outputs: n.outputs ?? prev?.outputs,
        cached: n.state === 'cached' || prev?.cached,
        sourceRunId: n.sourceRunId ?? prev?.sourceRunId ?? null,
        costUsd: costOf(n) ?? prev?.costUsd,
        progress: live ? prev?.progress : DONE_STATES.includes(n.state) ? 1 : prev?.progress,
      };
      // Keep the object when nothing changed, so only the nodes that changed re-render.
      nodes[n.nodeId] = prev && sameInfo(prev, next) ? prev : next;
    }
    const phase = phaseOf(String(shoot.status));
    const results = shoot.results && Object.keys(shoot.results).length ? shoot.results : get().results;
    const order = (shoot.nodes ?? []).map((n) => n.nodeId);
    set({
      nodes,
      results,
      ...(order.length && order.join() !== get().order.join() ? { order } : {}),
      error: shoot.error ?? get().error,
      ...(shoot.parentRunId !== undefined ? { parentRunId: shoot.parentRunId } : {}),
      ...(costOf(shoot) !== undefined ? { costUsd: costOf(shoot) } : {}),
    });
    if (TERMINAL_PHASES.includes(phase)) {
      if (!TERMINAL_PHASES.includes(get().phase)) finish(phase, {});
      return;
    }
    if (!applied.acceptSnapshotRun(shoot.seq)) return;
    if (get().phase !== phase && !TERMINAL_PHASES.includes(get().phase)) set({ phase });
  };
  const schedulePoll = (ms: number, last: boolean) => {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(last), ms);
  };
  const reset = (patch: Partial<RunState>) => {
    applied = new RunEventOrder();
    set({ ...idleRun(), ...patch });
  };

  return {
    ...idleRun(),
    history: [],
    historyGraphId: null,
    historyStatus: 'idle',
    historyError: null,

    async start(file, versionId, version) {
      stopWatching();
      reset({ version, phase: 'starting', startedAt: Date.now() });
      try {
        const { runId } = await api.startRun(versionId, file);
        get().watch(runId, version);
      } catch (err) {
        set({ phase: 'failed', error: (err as Error).message, finishedAt: Date.now() });
      }
    },

    async startDraft(graphId, doc, file, untilNodeId) {
      stopWatching();
      reset({ phase: 'starting', startedAt: Date.now(), untilNodeId: untilNodeId ?? null });
      try {
        const { runId, draftHash } = await api.draftRun(graphId, doc, file, untilNodeId);
        set({ draftHash });
        get().watch(runId, null);
      } catch (err) {
        set({ phase: 'failed', error: (err as Error).message, finishedAt: Date.now() });
      }
    },

    dropRanWith() {
      set({ ranWith: null });
    },

    watch(runId, version) {
      stopWatching();
      if (get().runId !== runId) applied = new RunEventOrder();
      set({ runId, version, phase: 'queued', startedAt: get().startedAt ?? Date.now() });
      stopSocket = watchRun(
        runId,
        {
          'run.started': fresh(() => {
            if (!TERMINAL_PHASES.includes(get().phase)) set({ phase: 'running' });
          }),
          'node.started': fresh((e) => {
            resumed();
            patchNode(e.nodeId, { state: 'running', progress: 0, error: null });
          }),
          'node.progress': fresh((e) =>
            patchNode(e.nodeId, { state: 'running', progress: Math.max(0, Math.min(1, e.progress)), message: e.message })),
          'node.log': (e) => {
            const { runId: _run, seq: _seq, ...line } = e;
            set({ logs: [...get().logs, line].slice(-MAX_LIVE_LOGS) });
          },
          'node.completed': fresh((e) =>
            patchNode(e.nodeId, {
              state: e.cached ? 'cached' : 'done',
              cached: !!e.cached,
              progress: 1,
              outputs: e.outputs ?? null,
              durationMs: e.durationMs ?? null,
              ...(e.sourceRunId ? { sourceRunId: e.sourceRunId } : {}),
              ...(costOf(e) !== undefined ? { costUsd: costOf(e) } : {}),
            })),
          'node.failed': fresh((e) => patchNode(e.nodeId, { state: 'failed', error: e.error ?? 'failed' })),
          'run.completed': (e) =>
            finish('completed', { results: e.results ?? get().results, ...(costOf(e) !== undefined ? { costUsd: costOf(e) } : {}) }),
          'run.failed': (e) => finish('failed', { error: e.error ?? 'run failed' }),
          'run.cancelled': (e) => finish('cancelled', { error: e.error ?? 'run cancelled' }),
          'run.awaiting_review': fresh(() => set({ phase: 'awaiting_review' })),
          'run.snapshot': (shoot) => applyShoot(shoot),
          'node.state': fresh((e) => patchNode(e.nodeId, { state: e.state, ...(e.error ? { error: e.error } : {}) })),
        },
        (state) => set({ socket: state }),
      );
      schedulePoll(800, false);
    },

    async replay(fromNodeId, params) {
      const { runId: parent, version, draftHash } = get();
      if (!parent) return false;
      stopWatching();
      reset({ version, draftHash, phase: 'starting', startedAt: Date.now(), parentRunId: parent, replayFrom: fromNodeId });
      try {
        const res = await api.replay(parent, fromNodeId, params);
        get().watch(res.runId, version);
        return true;
      } catch (err) {
        set({ phase: 'failed', error: `Replay from ${fromNodeId} refused: ${(err as Error).message}`, finishedAt: Date.now() });
        return false;
      }
    },

    async load(runId, summary) {
      stopWatching();
      reset({ runId, version: summary?.version ?? null, phase: 'starting', replayFrom: summary?.replayFrom ?? null });
      let shoot: RunSnapshotView;
      try {
        shoot = await api.getRun(runId);
      } catch (err) {
        if (get().runId === runId) set({ phase: 'failed', error: `Could not load run: ${(err as Error).message}` });
        return false;
      }
      if (get().runId !== runId) return false;
      set({
        startedAt: time(shoot.createdAt) ?? time(shoot.startedAt),
        finishedAt: time(shoot.finishedAt),
        draftHash: shoot.graph?.draftHash ?? null,
        untilNodeId: shoot.graph?.untilNodeId ?? null,
        ranWith: shoot.nodeParams ?? null,
      });
      applyShoot(shoot);
      // A run still going is followed live; a finished one is shown as it ended.
      if (!TERMINAL_PHASES.includes(phaseOf(String(shoot.status)))) get().watch(runId, get().version);
      return true;
    },

    async loadHistory(graphId) {
      const seq = ++historySeq;
      if (!graphId) {
        set({ history: [], historyGraphId: null, historyStatus: 'idle', historyError: null });
        return;
      }
      if (get().historyGraphId !== graphId) set({ history: [], historyGraphId: graphId });
      set({ historyStatus: 'loading' });
      try {
        const list = await api.graphRuns(graphId);
        if (seq !== historySeq) return;
        set({ history: Array.isArray(list) ? list : [], historyStatus: 'ok', historyError: null });
      } catch (err) {
        if (seq !== historySeq) return;
        set({ historyStatus: 'error', historyError: (err as Error).message });
      }
    },

    clear() {
      stopWatching();
      reset({});
    },
  };
});

function sameInfo(a: NodeRunInfo, b: NodeRunInfo): boolean {
  for (const k of Object.keys(b) as Array<keyof NodeRunInfo>) {
    if (k === 'outputs') {
      if (JSON.stringify(a.outputs ?? null) !== JSON.stringify(b.outputs ?? null)) return false;
    } else if (a[k] !== b[k]) return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}
