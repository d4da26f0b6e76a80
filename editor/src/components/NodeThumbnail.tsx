import { memo, useState } from 'react';
import { useRun } from '../store/run';
import { nodeImages, previewImage, sizedUrl } from '../lib/run-images';
import { ImageLightbox } from './run-view/ImageLightbox';

/** Pixels of the preview's longest side the server makes (twice what the node shows, for sharp screens). */
const PREVIEW_WIDTH = 160;

/**
 * The latest image a node produced in the run on screen, small, on the node itself (ComfyUI's
 * previews); a click opens it large with the node's other image outputs.
 */
function NodeThumbnailImpl({ nodeId }: { nodeId: string }) {
  const outputs = useRun((s) => s.nodes[nodeId]?.outputs);
  const [open, setOpen] = useState(false);
  const images = nodeImages(outputs);
  if (!images.length) return null;
  const preview = previewImage(images)!;
  return (
    <>
      <button
        className="sf-node-thumb nodrag nopan"
        onClick={(e) => {
          e.stopPropagation();
          setOpen(true);
        }}
        title={`${preview.label}: click to enlarge${images.length > 1 ? ` (${images.length} images)` : ''}`}
        data-testid={`node-thumb-${nodeId}`}
        data-count={images.length}
      >
        <img src={sizedUrl(preview.artifact.url, PREVIEW_WIDTH)} alt={`${nodeId} ${preview.label}`} loading="lazy" draggable={false} />
        {images.length > 1 ? <span className="sf-node-thumb-count">{images.length}</span> : null}
      </button>
      {open ? <ImageLightbox nodeId={nodeId} images={images} initial={images.indexOf(preview)} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

export const NodeThumbnail = memo(NodeThumbnailImpl);
