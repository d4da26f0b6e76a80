import type { ReactNode } from 'react';

/**
 * Structured node outputs shown the way a reviewer reads them: a score with its parts as a
 * checklist, marketplace checks as a checklist, a retry gate's attempts and a selection's ranking
 * as tables. Anything else (and always the raw value, folded) stays JSON.
 */
export function ReportView({ value, testId }: { value: unknown; testId: string }) {
  const view = readable(value);
  return (
    <div className="sf-report" data-testid={testId}>
      {view}
      <details className="sf-report-raw">
        <summary className="sf-muted sf-small">{view ? 'raw JSON' : 'JSON'}</summary>
        <pre className="sf-json">{JSON.stringify(value, null, 2)}</pre>
      </details>
    </div>
  );
}

type Json = Record<string, unknown>;

function readable(value: unknown): ReactNode {
  if (!isObject(value)) return null;
  if (Array.isArray(value.attempts)) return <GateAttempts report={value} />;
  if (Array.isArray(value.checks)) return <Checklist report={value} />;
  if (Array.isArray(value.ranking)) return <Ranking report={value} />;
  if (typeof value.score === 'number') return <ScoreParts report={value} />;
  return null;
}

function ScoreParts({ report }: { report: Json }) {
  const threshold = num(report.threshold);
  const partScores = isObject(report.partScores) ? report.partScores : null;
  const parts = isObject(report.parts) ? report.parts : null;
  return (
    <>
      <Verdict pass={bool(report.pass)}>
        score {fixed(report.score)}
        {threshold !== undefined ? <span className="sf-muted"> (pass at ≥ {fixed(threshold)})</span> : null}
      </Verdict>
      {partScores ? (
        <ul className="sf-checklist">
          {Object.entries(partScores).map(([part, score]) => (
            <CheckItem key={part} pass={threshold === undefined || (num(score) ?? 0) >= threshold}>
              <span className="sf-mono">{part}</span> {fixed(score)}
              {parts && parts[part] !== undefined ? <span className="sf-muted"> · measured {fixed(parts[part])}</span> : null}
            </CheckItem>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function Checklist({ report }: { report: Json }) {
  const checks = (report.checks as unknown[]).filter(isObject);
  const fixedIds = Array.isArray(report.fixed) ? report.fixed.map(String) : [];
  return (
    <>
      {typeof report.pass === 'boolean' ? (
        <Verdict pass={report.pass}>
          {report.pass ? 'all required checks pass' : 'required checks fail'}
          {typeof report.marketplace === 'string' ? <span className="sf-muted"> · {report.marketplace}</span> : null}
        </Verdict>
      ) : null}
      <ul className="sf-checklist">
        {checks.map((check, i) => (
          <CheckItem key={String(check.id ?? i)} pass={bool(check.pass)} optional={check.severity === 'recommended'}>
            {String(check.message ?? check.id ?? '')}
            {fixedIds.includes(String(check.id)) ? <span className="sf-muted"> (fixed)</span> : null}
          </CheckItem>
        ))}
      </ul>
    </>
  );
}

function GateAttempts({ report }: { report: Json }) {
  const attempts = (report.attempts as unknown[]).filter(isObject);
  return (
    <>
      <Verdict pass={bool(report.passed)}>
        {attempts.length} of {String(report.maxAttempts ?? '?')} attempts · pass at ≥ {fixed(report.threshold)}
      </Verdict>
      <table className="sf-report-table">
        <thead>
          <tr>
            <th>#</th>
            <th>score</th>
            <th>params</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={String(a.attempt)}>
              <td>{String(a.attempt)}</td>
              <td>{fixed(a.score)}</td>
              <td className="sf-mono">{paramsText(a.params)}</td>
              <td>{mark(bool(a.passed))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Ranking({ report }: { report: Json }) {
  const rows = (report.ranking as unknown[]).filter(isObject);
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'hash' && k !== 'index');
  return (
    <>
      {typeof report.why === 'string' ? <div className="sf-small">{report.why}</div> : null}
      <table className="sf-report-table">
        <thead>
          <tr>
            <th>candidate</th>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={String(r.hash ?? i)} className={r.hash !== undefined && r.hash === report.chosen ? 'sf-report-chosen' : undefined}>
              <td className="sf-mono">{typeof r.hash === 'string' ? r.hash.slice(0, 8) : String(r.index ?? i + 1)}</td>
              {columns.map((c) => (
                <td key={c}>{typeof r[c] === 'number' ? fixed(r[c]) : typeof r[c] === 'boolean' ? mark(r[c] as boolean) : String(r[c] ?? '')}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Verdict({ pass, children }: { pass: boolean | undefined; children: ReactNode }) {
  return (
    <div className={`sf-verdict ${pass === undefined ? '' : pass ? 'is-pass' : 'is-fail'}`}>
      {pass === undefined ? null : mark(pass)} {children}
    </div>
  );
}

function CheckItem({ pass, optional, children }: { pass: boolean | undefined; optional?: boolean; children: ReactNode }) {
  return (
    <li className={pass ? 'is-pass' : optional ? 'is-warn' : 'is-fail'}>
      <span aria-hidden>{pass ? '✓' : optional ? '!' : '✗'}</span> {children}
    </li>
  );
}

function mark(pass: boolean | undefined): string {
  return pass ? '✓' : '✗';
}

function paramsText(params: unknown): string {
  if (!isObject(params)) return '';
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

function fixed(v: unknown): string {
  const n = num(v);
  return n === undefined ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(3);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
