import { create } from 'zustand';
import { useEditor } from './editor';
import { useRun } from './run';
import { useTestPhoto } from './test-photo';
import { toast, useUi } from './ui';

/**
 * Runs the canvas as it is, without Save or Commit (ComfyUI's Queue Prompt, n8n's Test workflow): on
 * the photo picked in the Run tab, else the graph's pinned photo. With `untilNodeId` only that node
 * and its ancestors run ("run to here").
 */
export async function runCanvas(untilNodeId?: string): Promise<boolean> {
  const ed = useEditor.getState();
  const ui = useUi.getState();
  ui.setSideTab('run');
  const pinned = ed.graph.id && useTestPhoto.getState().graphId === ed.graph.id ? useTestPhoto.getState().photo : null;
  if (!ui.runFile && !pinned) {
    toast('error', 'Pick or drop a product photo first, or pin one to the graph.');
    return false;
  }
  if (!ed.graph.id) {
    // Runs are kept per graph: a graph never saved is saved first (it asks for a name), then it runs.
    useRunAfterSave.setState({ pending: { untilNodeId } });
    toast('info', 'Name the pipeline: it is saved first, then the canvas runs (no commit needed).');
    ui.openDialog('save');
    return false;
  }
  await useRun.getState().startDraft(ed.graph.id, ed.getDoc(), ui.runFile, untilNodeId);
  return useRun.getState().phase !== 'failed';
}

/**
 * A photo dropped on the canvas or the Run tab: pinned to a saved graph (Run is then one click), or
 * used for the next run of a graph not saved yet.
 */
export async function takeDroppedPhoto(file: File): Promise<void> {
  const graphId = useEditor.getState().graph.id;
  useUi.getState().setSideTab('run');
  if (!graphId) {
    useUi.getState().setRunFile(file);
    toast('info', `${file.name} will be used for the next run.`);
    return;
  }
  if (await useTestPhoto.getState().pin(graphId, file)) toast('success', `${file.name} pinned as this graph's test photo.`);
}

/** A Run canvas waiting for the first save of a new graph (the save dialog says so and runs it once saved). */
export const useRunAfterSave = create<{ pending: { untilNodeId?: string } | null }>(() => ({ pending: null }));

/** The waiting Run canvas, if any, forgotten once taken (the dialog was confirmed or cancelled). */
export function takeRunAfterSave(): { untilNodeId?: string } | null {
  const pending = useRunAfterSave.getState().pending;
  if (pending) useRunAfterSave.setState({ pending: null });
  return pending;
}
