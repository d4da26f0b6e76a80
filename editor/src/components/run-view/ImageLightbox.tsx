import { useState } from 'react';
import { createPortal } from 'react-dom';
import { formatBytes } from '../../lib/format';
import { sizedUrl, type NodeImage } from '../../lib/run-images';
import { Modal } from '../Modal';

/**
 * A node's images large, with the node's other image outputs to switch between. Rendered on
 * document.body: inside the canvas, the zoom transform would shrink and clip it.
 */
export function ImageLightbox({ nodeId, images, initial, onClose }: { nodeId: string; images: NodeImage[]; initial: number; onClose(): void }) {
  const [index, setIndex] = useState(Math.min(initial, images.length - 1));
  const shown = images[index];
  if (!shown) return null;
  const { artifact } = shown;
  return createPortal(
    <Modal title={`${nodeId} · ${shown.label}`} onClose={onClose} testId="image-lightbox" wide>
      <div className="sf-lightbox">
        <a href={artifact.url} target="_blank" rel="noreferrer" title="Open the full-size file">
          <img src={sizedUrl(artifact.url, 1024)} alt={`${nodeId} ${shown.label}`} data-testid="lightbox-image" data-port={shown.port} />
        </a>
        <div className="sf-muted sf-small">
          {artifact.width && artifact.height ? `${artifact.width}×${artifact.height} · ` : ''}
          {artifact.mime} · {formatBytes(artifact.bytes)} ·{' '}
          <a className="sf-link" href={artifact.url} target="_blank" rel="noreferrer">
            full size
          </a>
        </div>
        {images.length > 1 ? (
          <div className="sf-lightbox-strip" data-testid="lightbox-strip">
            {images.map((image, i) => (
              <button
                key={`${image.label}-${image.artifact.hash}`}
                className={i === index ? 'is-active' : ''}
                onClick={() => setIndex(i)}
                title={image.label}
                data-testid={`lightbox-pick-${image.label.replace(/\s+/g, '-')}`}
              >
                <img src={sizedUrl(image.artifact.url, 160)} alt={image.label} />
                <span className="sf-small">{image.label}</span>
              </button>
            ))}
          </div>
        ) : null}
      </div>
    </Modal>,
    document.body,
  );
}
