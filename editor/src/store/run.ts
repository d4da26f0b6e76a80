import { create } from 'zustand';
import { api, ApiError } from '../api/client';
import { watchRun } from '../api/socket';
import type { NodeRunState, RunResults, Shoot } from '../api/types';

export interface NodeRunInfo {
  state: NodeRunState;
  progress?: number;
  message?: string;
  durationMs?: number | null;
  error?: string | null;
  outputs?: Record<string, unknown> | null;
  cached?: boolean;
  attempts?: number;
}

export type RunPhase = 'idle' | 'starting' | 'queued' | 'running' | 'awaiting_review' | 'completed' | 'failed' | 'cancelled';

interface RunState {
  runId: string | null;
  version: number | null;
  phase: RunPhase;
  error: string | null;
  results: RunResults | null;
  nodes: Record<string, NodeRunInfo>;
  socket: 'off' | 'connected' | 'disconnected' | 'error';
  startedAt: number | null;
  finishedAt: number | null;
  start(file: File, versionId: string, version: number): Promise<void>;
  watch(runId: string, version: number | null): void;
  clear(): void;
}

const TERMINAL: RunPhase[] = ['completed', 'failed', 'cancelled'];
const DONE_STATES: NodeRunState[] = ['done', 'cached', 'failed', 'skipped'];
let stopSocket: (() => void) | null = null;
let pollTimer: ReturnType<typeof setTimeout> | null = null;

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

export const useRun = create<RunState>()((set, get) => {
  const patchNode = (nodeId: string, patch: Partial<NodeRunInfo>) => {
    const prev = get().nodes[nodeId] ?? { state: 'pending' as NodeRunState };
    set({ nodes: { ...get().nodes, [nodeId]: { ...prev, ...patch } } });
  };
  const finish = (phase: RunPhase, patch: Partial<RunState>) => {
    set({ phase, finishedAt: Date.now(), ...patch });
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
    let shoot: Shoot;
    try {
      shoot = await api.getShoot(runId);
    } catch (err) {
      if (!last && !(err instanceof ApiError && err.kind === 'not_found' && Date.now() - (get().startedAt ?? 0) > 60_000)) {
        schedulePoll(3000, false);
      }
      return;
    }
    if (get().runId !== runId) return;
    applyShoot(shoot);
    if (!last && !TERMINAL.includes(get().phase)) schedulePoll(get().socket === 'connected' ? 4000 : 1500, false);
  };
  /** Merges a server snapshot (poll or `run.snapshot`) with what the socket already told us. */
  const applyShoot = (shoot: Shoot) => {
    const nodes = { ...get().nodes };
    for (const n of shoot.nodes ?? []) {
      const prev = nodes[n.nodeId];
      const live = prev?.state === 'running' && n.state === 'running';
      nodes[n.nodeId] = {
        ...prev,
        state: n.state,
        attempts: n.attempts,
        durationMs: n.durationMs ?? prev?.durationMs,
        error: n.error ?? prev?.error,
        outputs: n.outputs ?? prev?.outputs,
        cached: n.state === 'cached' || prev?.cached,
        progress: live ? prev?.progress : DONE_STATES.includes(n.state) ? 1 : prev?.progress,
      };
    }
    const phase = phaseOf(String(shoot.status));
    const results = shoot.results && Object.keys(shoot.results).length ? shoot.results : get().results;
    set({ nodes, results, error: shoot.error ?? get().error });
    if (TERMINAL.includes(phase)) {
      if (!TERMINAL.includes(get().phase)) finish(phase, {});
      return;
    }
    if (get().phase !== phase && !TERMINAL.includes(get().phase)) set({ phase });
  };
  const schedulePoll = (ms: number, last: boolean) => {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(() => void poll(last), ms);
  };

  return {
    runId: null,
    version: null,
    phase: 'idle',
    error: null,
    results: null,
    nodes: {},
    socket: 'off',
    startedAt: null,
    finishedAt: null,

    async start(file, versionId, version) {
      stopWatching();
      set({ runId: null, version, phase: 'starting', error: null, results: null, nodes: {}, startedAt: Date.now(), finishedAt: null });
      try {
        const { taskId } = await api.startRun(versionId, file);
        get().watch(taskId, version);
      } catch (err) {
        set({ phase: 'failed', error: (err as Error).message, finishedAt: Date.now() });
      }
    },

    watch(runId, version) {
      stopWatching();
      set({ runId, version, phase: 'queued', startedAt: get().startedAt ?? Date.now() });
      stopSocket = watchRun(
        runId,
        {
          'run.started': () => set({ phase: 'running' }),
          'node.started': (e) => patchNode(e.nodeId, { state: 'running', progress: 0, error: null }),
          'node.progress': (e) =>
            patchNode(e.nodeId, { state: 'running', progress: Math.max(0, Math.min(1, e.progress)), message: e.message }),
          'node.completed': (e) =>
            patchNode(e.nodeId, {
              state: e.cached ? 'cached' : 'done',
              cached: !!e.cached,
              progress: 1,
              outputs: e.outputs ?? null,
              durationMs: e.durationMs ?? null,
            }),
          'node.failed': (e) => patchNode(e.nodeId, { state: 'failed', error: e.error ?? 'failed' }),
          'run.completed': (e) => finish('completed', { results: (e.results as RunResults) ?? get().results }),
          'run.failed': (e) => finish('failed', { error: e.error ?? 'run failed' }),
          'run.cancelled': (e) => finish('cancelled', { error: e.error ?? 'run cancelled' }),
          'run.awaiting_review': () => set({ phase: 'awaiting_review' }),
          'run.snapshot': (shoot) => applyShoot(shoot),
          'node.state': (e) => patchNode(e.nodeId, { state: e.state, ...(e.error ? { error: e.error } : {}) }),
        },
        (state) => set({ socket: state }),
      );
      schedulePoll(800, false);
    },

    clear() {
      stopWatching();
      set({ runId: null, version: null, phase: 'idle', error: null, results: null, nodes: {}, socket: 'off', startedAt: null, finishedAt: null });
    },
  };
});
