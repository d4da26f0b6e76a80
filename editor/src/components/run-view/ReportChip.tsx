import { reportVerdict } from '../ReportView';

/** A node's report in one glance for the run panel's list: ✓ or ✗ with its score or failing checks. */
export function ReportChip({ outputs }: { outputs: Record<string, unknown> | null | undefined }) {
  const verdict = reportVerdict(outputs);
  if (!verdict) return null;
  const mark = verdict.pass === undefined ? '' : verdict.pass ? '✓ ' : '✗ ';
  return (
    <span className={`sf-small ${verdict.pass === false ? 'sf-diff-up' : verdict.pass ? 'sf-diff-down' : 'sf-muted'}`} data-testid="report-chip">
      {mark}
      {verdict.text}
    </span>
  );
}
