import { useEffect, type ReactNode } from 'react';

export function Modal({ title, onClose, children, testId, wide }: { title: string; onClose(): void; children: ReactNode; testId: string; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="sf-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`sf-modal ${wide ? 'is-wide' : ''}`} role="dialog" aria-label={title} data-testid={testId}>
        <div className="sf-modal-head">
          <span>{title}</span>
          <button className="sf-icon-btn" onClick={onClose} aria-label="Close" data-testid={`${testId}-close`}>
            ×
          </button>
        </div>
        <div className="sf-modal-body">{children}</div>
      </div>
    </div>
  );
}
