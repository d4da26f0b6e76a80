import { create } from 'zustand';
import { api } from '../api/client';
import type { PinnedTestPhoto } from '../api/types';
import { toast, useUi } from './ui';

interface TestPhotoState {
  /** The graph whose pinned photo is loaded. */
  graphId: string | null;
  photo: PinnedTestPhoto | null;
  status: 'idle' | 'loading' | 'pinning' | 'ok' | 'error';
  error: string | null;
  /** Reads the open graph's pinned photo (GET /api/graphs/:id answers it with a fresh signed link). */
  load(graphId: string | null): Promise<void>;
  /** Uploads the photo and pins it to the graph (PUT /api/graphs/:id/test-photo): Run canvas then needs no pick. */
  pin(graphId: string, file: File): Promise<boolean>;
  unpin(graphId: string): Promise<void>;
}

let loadSeq = 0;

/** The test photo pinned to the open graph (one per graph, stored on the server). */
export const useTestPhoto = create<TestPhotoState>()((set, get) => ({
  graphId: null,
  photo: null,
  status: 'idle',
  error: null,

  async load(graphId) {
    const seq = ++loadSeq;
    if (!graphId) return set({ graphId: null, photo: null, status: 'idle', error: null });
    if (get().graphId !== graphId) set({ graphId, photo: null });
    set({ status: 'loading' });
    try {
      const graph = await api.getGraph(graphId);
      if (seq === loadSeq) set({ photo: graph.testPhoto ?? null, status: 'ok', error: null });
    } catch (err) {
      if (seq === loadSeq) set({ status: 'error', error: (err as Error).message });
    }
  },

  async pin(graphId, file) {
    set({ status: 'pinning', error: null });
    try {
      const photo = await api.pinTestPhoto(graphId, file);
      set({ graphId, photo, status: 'ok' });
      // The pinned photo is what Run canvas uses now; a one-off pick would shadow it.
      useUi.getState().setRunFile(null);
      return true;
    } catch (err) {
      set({ status: 'error', error: (err as Error).message });
      toast('error', `Could not pin the photo: ${(err as Error).message}`);
      return false;
    }
  },

  async unpin(graphId) {
    try {
      await api.unpinTestPhoto(graphId);
      set({ photo: null, status: 'ok', error: null });
    } catch (err) {
      toast('error', `Could not unpin the photo: ${(err as Error).message}`);
    }
  },
}));

/** Image files a drag carries (a palette node drag carries none). */
export function imageFileOf(dataTransfer: DataTransfer | null): File | null {
  for (const file of Array.from(dataTransfer?.files ?? [])) if (file.type.startsWith('image/')) return file;
  return null;
}
