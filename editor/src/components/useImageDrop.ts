import { useMemo, type DragEvent } from 'react';
import { takeDroppedPhoto } from '../store/draft-run';
import { imageFileOf } from '../store/test-photo';
import { toast } from '../store/ui';

/**
 * Dropping an image file pins it as the test photo. The handlers answer true when they took the
 * event, so a drop zone that also takes other drags (the canvas: palette nodes, which carry no files)
 * handles those itself.
 */
export function useImageDrop() {
  return useMemo(
    () => ({
      onDragOver(e: DragEvent): boolean {
        if (!Array.from(e.dataTransfer.types).includes('Files')) return false;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        return true;
      },
      onDrop(e: DragEvent): boolean {
        if (!e.dataTransfer.files.length) return false;
        // Taken even when refused: the browser would otherwise open the file in place of the editor.
        e.preventDefault();
        const file = imageFileOf(e.dataTransfer);
        if (file) void takeDroppedPhoto(file);
        else toast('error', 'Drop an image file (JPEG, PNG or WebP) to use it as the test photo.');
        return true;
      },
    }),
    [],
  );
}
