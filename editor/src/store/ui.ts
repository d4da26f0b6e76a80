import { create } from 'zustand';
import type { XYPosition } from '@xyflow/react';
import type { PendingConnect } from './editor';

export type Dialog = 'graphs' | 'commit' | 'save' | 'publish' | 'shortcuts' | null;
export type SideTab = 'inspector' | 'run' | 'history' | 'debug';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

export interface AddPopup {
  /** Screen position of the popup. */
  screen: XYPosition;
  /** Where the node goes on the canvas. */
  flow: XYPosition;
  connect?: PendingConnect;
  /** Only list node types with a port that can take this port type. */
  portType?: string;
}

interface UiState {
  dialog: Dialog;
  sideTab: SideTab;
  addPopup: AddPopup | null;
  toasts: Toast[];
  apiHealth: 'unknown' | 'ok' | 'unreachable' | 'unauthorized';
  busy: string | null;
  problemsOpen: boolean;
  /** The product photo picked in the Run tab. */
  runFile: File | null;
  openDialog(d: Dialog): void;
  setSideTab(t: SideTab): void;
  setAddPopup(p: AddPopup | null): void;
  toast(kind: Toast['kind'], text: string): void;
  dismiss(id: number): void;
  setApiHealth(h: UiState['apiHealth']): void;
  setBusy(b: string | null): void;
  setProblemsOpen(open: boolean): void;
  setRunFile(file: File | null): void;
}

let nextToast = 1;

export const useUi = create<UiState>()((set, get) => ({
  dialog: null,
  sideTab: 'inspector',
  addPopup: null,
  toasts: [],
  apiHealth: 'unknown',
  busy: null,
  problemsOpen: true,
  runFile: null,
  openDialog: (dialog) => set({ dialog }),
  setSideTab: (sideTab) => set({ sideTab }),
  setAddPopup: (addPopup) => set({ addPopup }),
  toast(kind, text) {
    const id = nextToast++;
    set({ toasts: [...get().toasts.slice(-4), { id, kind, text }] });
    setTimeout(() => get().dismiss(id), kind === 'error' ? 8000 : 3500);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
  setApiHealth: (apiHealth) => {
    if (get().apiHealth !== apiHealth) set({ apiHealth });
  },
  setBusy: (busy) => set({ busy }),
  setProblemsOpen: (problemsOpen) => set({ problemsOpen }),
  setRunFile: (runFile) => set({ runFile }),
}));

export const toast = (kind: Toast['kind'], text: string) => useUi.getState().toast(kind, text);
