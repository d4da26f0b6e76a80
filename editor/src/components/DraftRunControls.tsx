import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useEditor } from '../store/editor';
import { runCanvas } from '../store/draft-run';
import { useRun } from '../store/run';
import { useTestPhoto } from '../store/test-photo';
import { useUi } from '../store/ui';
import { formatBytes } from '../lib/format';
import { useImageDrop } from './useImageDrop';

/**
 * The top of the Run tab: "Run canvas" (a draft run of the canvas as it is: the default action,
 * Ctrl+Shift+Enter) and the graph's pinned test photo (drop an image here or on the canvas to pin it).
 */
export function DraftRunControls() {
  const graphId = useEditor((s) => s.graph.id);
  const photo = useTestPhoto((s) => (s.graphId === graphId ? s.photo : null));
  const photoStatus = useTestPhoto((s) => s.status);
  const file = useUi((s) => s.runFile);
  const phase = useRun((s) => s.phase);
  const busy = phase === 'starting' || phase === 'queued' || phase === 'running';
  const imageDrop = useImageDrop();
  const [over, setOver] = useState(false);
  const changeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void useTestPhoto.getState().load(graphId);
  }, [graphId]);

  const hint = !file && !photo
    ? graphId
      ? 'Drop a product photo here or on the canvas to pin it.'
      : 'Drop a product photo here or on the canvas; Run canvas then saves the new pipeline (it asks for a name) and runs it.'
    : null;
  const pin = (f: File | null | undefined) => {
    if (f && graphId) void useTestPhoto.getState().pin(graphId, f);
  };

  return (
    <div
      className={`sf-section sf-draft-run ${over ? 'is-drop-target' : ''}`}
      data-testid="draft-run"
      onDragOver={(e: DragEvent) => setOver(imageDrop.onDragOver(e))}
      onDragLeave={() => setOver(false)}
      onDrop={(e: DragEvent) => {
        setOver(false);
        imageDrop.onDrop(e);
      }}
    >
      <div className="sf-btn-row">
        <button
          className="sf-btn sf-btn-primary"
          disabled={!!hint || busy}
          onClick={() => void runCanvas()}
          title="Run the canvas as it is, without saving or committing (Ctrl+Shift+Enter)"
          data-testid="btn-run-canvas"
        >
          {busy ? 'Running…' : graphId ? '▶ Run canvas' : '▶ Save & run canvas'}
        </button>
        <span className="sf-muted sf-small">
          <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd>
        </span>
      </div>
      {hint ? (
        <div className="sf-muted sf-small" data-testid="draft-run-hint">
          {hint}
        </div>
      ) : null}
      <div className="sf-test-photo" data-testid="test-photo" data-pinned={photo ? 'true' : 'false'}>
        {photo ? (
          <>
            <img src={photo.url} alt="pinned test photo" className="sf-test-photo-thumb" data-testid="test-photo-thumb" />
            <div className="sf-small">
              <div>
                Pinned test photo{file ? <span className="sf-muted"> (the picked photo below is used instead)</span> : null}
              </div>
              <div className="sf-muted">
                {photo.width}×{photo.height} · {formatBytes(photo.bytes)}
              </div>
              <div className="sf-btn-row">
                <button className="sf-link sf-small" onClick={() => changeInput.current?.click()} data-testid="btn-test-photo-change">
                  change
                </button>
                <button className="sf-link sf-small" onClick={() => graphId && void useTestPhoto.getState().unpin(graphId)} data-testid="btn-test-photo-unpin">
                  unpin
                </button>
              </div>
            </div>
          </>
        ) : file && graphId ? (
          <button className="sf-link sf-small" onClick={() => pin(file)} data-testid="btn-test-photo-pin">
            Pin {file.name} to this graph
          </button>
        ) : (
          <div className="sf-muted sf-small sf-drop-hint">{photoStatus === 'pinning' ? 'Pinning…' : 'Drop an image here to pin it as the test photo.'}</div>
        )}
        <input
          ref={changeInput}
          type="file"
          accept="image/png,image/jpeg,image/webp,image/*"
          hidden
          onChange={(e) => {
            pin(e.target.files?.[0]);
            e.target.value = '';
          }}
          data-testid="test-photo-input"
        />
      </div>
    </div>
  );
}
