export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string') return v.length > 24 ? `${v.slice(0, 22)}…` : v;
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  const s = JSON.stringify(v);
  return s && s.length > 24 ? `${s.slice(0, 22)}…` : s ?? '';
}

export function formatBytes(n: number | undefined): string {
  if (!n) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** USD with enough digits for per-image prices ($0.02, $0.0035). */
export function formatCost(usd: number | null | undefined): string {
  if (usd == null || !Number.isFinite(usd)) return '';
  if (usd === 0) return '$0';
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2).replace(/0+$/, '')}`;
}

/** The first 8 characters of a UUID, enough to tell runs apart. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '';
}

const CATEGORY_LABELS: Record<string, string> = { io: 'input & output' };

/** A node category as the palette shows it. */
export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category;
}

/** Where a node type runs, for its badge: a gate is decided by the scheduler, never on a worker. */
export function runsOnLabel(d: { resource: string; gate?: boolean }): string {
  return d.gate ? 'scheduler' : d.resource;
}
