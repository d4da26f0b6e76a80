/** Async operations that talk to the API and update the stores. Components call these. */
import { validateGraph, type GraphDoc, type GraphProblem } from '@studioflow/runtime/graph';
import { api, ApiError } from '../api/client';
import type { PublishBody, RunSummary } from '../api/types';
import { flowToDoc } from '../lib/flow';
import { useEditor } from './editor';
import { toast, useUi } from './ui';
import { useRun } from './run';
import { loadSubflowDescriptors, useSubflows } from '../subflows/subflows-store';
import { saveEditedSubflow } from '../subflows/subflow-actions';

const LAST_GRAPH = 'studioflow.lastGraph';

function remember(id: string | null) {
  try {
    if (id) localStorage.setItem(LAST_GRAPH, id);
    else localStorage.removeItem(LAST_GRAPH);
  } catch {
    /* ignore */
  }
  const hash = id ? `#graph=${encodeURIComponent(id)}` : '';
  if (location.hash !== hash) history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
}

export function initialGraphId(): string | null {
  const m = /graph=([^&]+)/.exec(location.hash);
  if (m) return decodeURIComponent(m[1]);
  try {
    return localStorage.getItem(LAST_GRAPH);
  } catch {
    return null;
  }
}

function fail(what: string, err: unknown) {
  toast('error', `${what}: ${(err as Error).message}`);
}

export async function loadCatalog(): Promise<boolean> {
  try {
    const [list, subflows] = await Promise.all([api.nodeTypes(), loadSubflowDescriptors()]);
    useEditor.getState().setCatalog([...(Array.isArray(list) ? list : []), ...subflows]);
    return true;
  } catch (err) {
    useEditor.getState().setCatalogError((err as Error).message);
    return false;
  }
}

export async function openGraph(id: string, quiet = false): Promise<boolean> {
  try {
    const g = await api.getGraph(id);
    const ed = useEditor.getState();
    ed.setGraph({ id: g.id, name: g.name, description: g.description ?? '', updatedAt: g.updatedAt, versions: g.versions ?? [] });
    ed.loadDoc(g.draft ?? { nodes: [], edges: [] }, { markSaved: true });
    remember(g.id);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.kind === 'not_found') remember(null);
    if (!quiet) fail('Could not open graph', err);
    return false;
  }
}

export async function refreshVersions(): Promise<void> {
  const id = useEditor.getState().graph.id;
  if (!id) return;
  try {
    const g = await api.getGraph(id);
    useEditor.getState().setGraph({ versions: g.versions ?? [], updatedAt: g.updatedAt, name: g.name });
  } catch (err) {
    fail('Could not refresh versions', err);
  }
}

export async function createGraph(name: string, description: string): Promise<boolean> {
  if (useSubflows.getState().editing) {
    toast('info', 'A subflow is open: save it as a new version, or go back to the pipeline first');
    return false;
  }
  const ed = useEditor.getState();
  const revision = ed.revision;
  try {
    const g = await api.createGraph(name, ed.getDoc(), description || undefined);
    ed.setGraph({ id: g.id, name: g.name ?? name, description, versions: g.versions ?? [], updatedAt: g.updatedAt ?? null });
    useEditor.getState().markSaved(revision);
    remember(g.id);
    toast('success', `Created “${name}”`);
    return true;
  } catch (err) {
    fail('Could not create graph', err);
    return false;
  }
}

/** PUT the draft. A graph that was never saved asks for a name first. */
export async function saveDraft(): Promise<boolean> {
  // An open subflow is saved as its next version, never as a pipeline.
  if (useSubflows.getState().editing) return saveEditedSubflow();
  const ed = useEditor.getState();
  if (!ed.graph.id) {
    useUi.getState().openDialog('save');
    return false;
  }
  const revision = ed.revision;
  useUi.getState().setBusy('Saving…');
  try {
    const res = await api.saveDraft(ed.graph.id, ed.getDoc());
    useEditor.getState().markSaved(revision);
    useEditor.getState().setGraph({ updatedAt: res?.updatedAt ?? new Date().toISOString() });
    const n = res?.problems?.length ?? 0;
    toast('success', n ? `Draft saved (${n} problem${n > 1 ? 's' : ''} to fix before committing)` : 'Draft saved');
    return true;
  } catch (err) {
    fail('Save failed', err);
    return false;
  } finally {
    useUi.getState().setBusy(null);
  }
}

export type CommitResult = { ok: true; version: number } | { ok: false; message: string; problems: GraphProblem[] };

/** Saves the draft if needed, then commits it as an immutable version. */
export async function commitDraft(message: string): Promise<CommitResult> {
  const ed = useEditor.getState();
  if (!ed.graph.id) return { ok: false, message: 'Save the graph first', problems: [] };
  if (ed.revision !== ed.savedRevision && !(await saveDraft())) {
    return { ok: false, message: 'Saving the draft failed', problems: [] };
  }
  useUi.getState().setBusy('Committing…');
  try {
    const res = await api.commit(ed.graph.id, message);
    await refreshVersions();
    toast('success', `Committed v${res.version}`);
    return { ok: true, version: res.version };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, message: err.message, problems: err.problems };
    return { ok: false, message: (err as Error).message, problems: [] };
  } finally {
    useUi.getState().setBusy(null);
  }
}

export async function viewVersion(version: number): Promise<void> {
  const { graph } = useEditor.getState();
  if (!graph.id) return;
  try {
    const v = await api.getVersion(graph.id, version);
    useEditor.getState().enterVersionView({ version: v.version, versionId: v.id, message: v.message }, v.doc);
  } catch (err) {
    fail(`Could not open v${version}`, err);
  }
}

/** Loads an old version's document as the draft and commits it, so history stays append-only. */
export async function rollback(version: number): Promise<boolean> {
  const { graph } = useEditor.getState();
  if (!graph.id) return false;
  try {
    const v = await api.getVersion(graph.id, version);
    const ed = useEditor.getState();
    ed.exitView();
    useEditor.getState().pushHistory();
    const past = useEditor.getState().past;
    useEditor.getState().loadDoc(v.doc);
    useEditor.setState({ past });
    const res = await commitDraft(`Roll back to v${version}`);
    if (!res.ok) {
      toast('error', `Rollback not committed: ${res.message}`);
      return false;
    }
    return true;
  } catch (err) {
    fail('Rollback failed', err);
    return false;
  }
}

export type DiffSide = number | 'draft';

async function docOf(side: DiffSide): Promise<GraphDoc> {
  const ed = useEditor.getState();
  if (side === 'draft') return ed.getDoc();
  return (await api.getVersion(ed.graph.id!, side)).doc;
}

export async function showDiff(a: DiffSide, b: DiffSide): Promise<void> {
  try {
    const [docA, docB] = await Promise.all([docOf(a), docOf(b)]);
    const label = (s: DiffSide) => (s === 'draft' ? 'draft' : `v${s}`);
    useEditor.getState().enterDiffView(label(a), docA, label(b), docB);
  } catch (err) {
    fail('Could not load versions to compare', err);
  }
}

export async function publish(body: PublishBody): Promise<string | null> {
  try {
    const res = await api.publish(body);
    toast('success', `Published template “${res.slug ?? body.slug}”`);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export function exportJson(): void {
  const ed = useEditor.getState();
  // A version being viewed exports that version; otherwise the draft.
  const doc = ed.view.kind === 'version' ? flowToDoc(ed.nodes, ed.edges) : ed.getDoc();
  const json = JSON.stringify(doc, null, 2);
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const base = ed.graph.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'pipeline';
  a.download = ed.view.kind === 'version' ? `${base}-v${ed.view.version}.json` : `${base}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/**
 * Accepts a GraphDoc, any object with a `draft` or `doc` GraphDoc (an API response), or a shipped
 * template file (`templates/*.json`: `{slug, name, …, graph}`), whose name the unsaved graph takes.
 */
export async function importJson(file: File): Promise<void> {
  try {
    const raw = JSON.parse(await file.text()) as Record<string, unknown>;
    const doc = (raw?.nodes ? raw : raw?.draft ?? raw?.doc ?? raw?.graph) as GraphDoc | undefined;
    const shape = validateGraph(doc, []);
    if (!doc || shape.problems.some((p) => p.code === 'invalid_document')) {
      const first = shape.problems.find((p) => p.code === 'invalid_document');
      throw new Error(first?.message ?? 'not a graph document');
    }
    const ed = useEditor.getState();
    ed.exitView();
    useEditor.getState().pushHistory();
    const past = useEditor.getState().past;
    useEditor.getState().loadDoc(doc);
    useEditor.setState({ past });
    if (raw?.graph && typeof raw.name === 'string' && !useEditor.getState().graph.id) useEditor.getState().setGraph({ name: raw.name });
    toast('success', `Imported ${doc.nodes.length} nodes from ${file.name} (not saved yet)`);
  } catch (err) {
    fail('Import failed', err);
  }
}

/**
 * "Replay from here": a new run re-executes `nodeId` and everything downstream (optionally with new
 * params for that node), reusing the upstream artifacts of the run on screen; the Run tab follows it.
 */
export async function replayFrom(nodeId: string, params?: Record<string, unknown>): Promise<boolean> {
  const run = useRun.getState();
  if (!run.runId) return false;
  const ok = await run.replay(nodeId, params);
  if (ok) toast('info', `Replaying from ${nodeId}${params ? ' with the draft parameters' : ''}`);
  else toast('error', useRun.getState().error ?? `Replay from ${nodeId} failed`);
  return ok;
}

/** Loads a run from the graph's run history onto the canvas. */
export async function openRun(summary: RunSummary): Promise<boolean> {
  const ok = await useRun.getState().load(summary.id, summary);
  if (!ok) toast('error', useRun.getState().error ?? 'Could not load the run');
  return ok;
}
