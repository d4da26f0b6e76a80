import { useEffect } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useEditor } from '../store/editor';
import { useUi } from '../store/ui';
import { saveDraft } from '../store/actions';
import { runCanvas } from '../store/draft-run';
import { clipboardFragment, copySelection } from '../lib/clipboard';
import { makeSubflow } from '../subflows/subflow-actions';

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** Global keyboard shortcuts (ComfyUI/n8n habits). Delete/Backspace is handled by React Flow. */
export function useShortcuts() {
  const rf = useReactFlow();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const ui = useUi.getState();
      const ed = useEditor.getState();
      if (e.key === 'Escape') {
        if (ui.addPopup) ui.setAddPopup(null);
        else if (!ui.dialog && ed.view.kind !== 'draft' && !typingIn(e.target)) ed.exitView();
        return;
      }
      if (typingIn(e.target) || ui.dialog) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      let handled = true;
      if (mod && key === 'z' && !e.shiftKey) ed.undo();
      else if (mod && ((key === 'z' && e.shiftKey) || key === 'y')) ed.redo();
      else if (mod && key === 's') void saveDraft();
      else if (mod && e.shiftKey && key === 'enter') void runCanvas();
      else if (mod && key === 'enter') ui.openDialog(ed.graph.id ? 'commit' : 'save');
      else if (mod && key === 'a') ed.selectAll();
      else if (mod && (key === 'c' || key === 'x')) {
        const n = copySelection(ed.nodes, ed.edges);
        if (!n) handled = false;
        else if (key === 'x') ed.deleteSelected();
      } else if (mod && key === 'v') {
        const frag = clipboardFragment();
        if (frag) ed.insertFragment(frag.doc, frag.offset);
      } else if (mod && key === 'd') {
        if (copySelection(ed.nodes, ed.edges)) {
          const frag = clipboardFragment();
          if (frag) ed.insertFragment(frag.doc, frag.offset);
        }
      } else if (mod && e.shiftKey && key === 'g') makeSubflow();
      else if (!mod && e.key === 'L' && e.shiftKey) ed.layout();
      else if (!mod && !e.altKey && key === 'f') void rf.fitView({ padding: 0.2, duration: 300, maxZoom: 1.2 });
      else if (e.key === '?') ui.openDialog('shortcuts');
      else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rf]);
}
