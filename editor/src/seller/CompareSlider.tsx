import { useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';

/**
 * Before/after: the result over the original, split by a handle the seller drags (mouse, pen or
 * touch: pointer events) or moves with the arrow keys, Home and End.
 */
export function CompareSlider({ before, after, alt }: { before: string; after: string; alt: string }) {
  const [split, setSplit] = useState(50);
  const frame = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);

  const moveTo = (clientX: number) => {
    const box = frame.current?.getBoundingClientRect();
    if (!box || box.width === 0) return;
    setSplit(Math.min(100, Math.max(0, ((clientX - box.left) / box.width) * 100)));
  };
  const onPointerDown = (e: PointerEvent) => {
    dragging.current = true;
    frame.current?.setPointerCapture(e.pointerId);
    moveTo(e.clientX);
  };
  const onKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 10 : 2;
    const next = { ArrowLeft: split - step, ArrowRight: split + step, Home: 0, End: 100 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    setSplit(Math.min(100, Math.max(0, next)));
  };

  return (
    <div
      ref={frame}
      className="sf-compare"
      onPointerDown={onPointerDown}
      onPointerMove={(e) => dragging.current && moveTo(e.clientX)}
      onPointerUp={() => (dragging.current = false)}
      onPointerCancel={() => (dragging.current = false)}
      data-testid="compare"
    >
      <img className="sf-compare-img" src={after} alt={`${alt}: result`} draggable={false} />
      <div className="sf-compare-before" style={{ clipPath: `inset(0 ${100 - split}% 0 0)` }}>
        <img className="sf-compare-img" src={before} alt={`${alt}: your photo`} draggable={false} />
      </div>
      <span className="sf-compare-tag sf-compare-tag-before">Before</span>
      <span className="sf-compare-tag sf-compare-tag-after">After</span>
      <div
        className="sf-compare-handle"
        style={{ left: `${split}%` }}
        role="slider"
        tabIndex={0}
        aria-label="Compare your photo with the result"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(split)}
        aria-valuetext={`${Math.round(split)}% of your photo shown`}
        onKeyDown={onKey}
      >
        <span className="sf-compare-knob" aria-hidden="true">
          ‹›
        </span>
      </div>
    </div>
  );
}
