import { useEffect, useRef, useState, type DragEvent } from 'react';
import { MAX_PHOTO_BYTES } from './api';

/** Why a file cannot be sent, in the seller's words; null when it can. */
export function photoProblem(file: File): string | null {
  if (!file.type.startsWith('image/')) return `“${file.name}” is not a photo. Choose a JPEG, PNG or WebP image.`;
  if (file.size > MAX_PHOTO_BYTES) return `That photo is ${(file.size / 1024 / 1024).toFixed(0)} MB; the limit is ${MAX_PHOTO_BYTES / 1024 / 1024} MB.`;
  return null;
}

/** Drop a photo, pick a file, or take one with the phone's camera; shows the chosen photo. */
export function PhotoPicker({ photo, onPhoto }: { photo: File | null; onPhoto: (file: File | null) => void }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [preview, setPreview] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const cameraInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!photo) return setPreview(null);
    const url = URL.createObjectURL(photo);
    setPreview(url);
    return () => URL.revokeObjectURL(url);
  }, [photo]);

  const take = (file: File | undefined) => {
    if (!file) return;
    const why = photoProblem(file);
    setProblem(why);
    if (!why) onPhoto(file);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    take(e.dataTransfer.files[0]);
  };

  return (
    <div>
      <div
        className={`sf-drop${dragging ? ' is-dragging' : ''}${photo ? ' has-photo' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="photo-drop"
      >
        {preview ? (
          <img src={preview} alt="Your product photo" className="sf-drop-preview" />
        ) : (
          <div className="sf-drop-empty">
            <svg viewBox="0 0 24 24" width="36" height="36" aria-hidden="true">
              <path fill="currentColor" d="M9 3 7.2 5H4a2 2 0 0 0-2 2v11a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9Zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10Zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6Z" />
            </svg>
            <p className="sf-drop-title">Drop your product photo here</p>
            <p className="sf-muted">JPEG, PNG or WebP · up to {MAX_PHOTO_BYTES / 1024 / 1024} MB · a plain background works best</p>
          </div>
        )}
        <div className="sf-drop-actions">
          <button type="button" className="sf-button sf-button-secondary" onClick={() => fileInput.current?.click()}>
            {photo ? 'Choose another' : 'Choose a file'}
          </button>
          <button type="button" className="sf-button sf-button-secondary sf-camera" onClick={() => cameraInput.current?.click()}>
            Take a photo
          </button>
        </div>
        <input ref={fileInput} type="file" accept="image/*" hidden aria-label="Choose a product photo" data-testid="photo-file" onChange={(e) => take(e.target.files?.[0])} />
        <input ref={cameraInput} type="file" accept="image/*" capture="environment" hidden aria-label="Take a product photo" onChange={(e) => take(e.target.files?.[0])} />
      </div>
      {problem && (
        <p className="sf-alert" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
