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
  if (Array.isArray(value.perCandidate)) return <ClipScores report={value} />;
  if ((value.verdict === 'trusted' || value.verdict === 'doubtful') && isObject(value.measures)) return <TrustChecklist trust={value} />;
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
      {typeof report.reason === 'string' && report.reason ? <div className="sf-small">{report.reason}</div> : null}
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

/** clip-score: how well each candidate matches the prompt (CLIP), the best one first-class. */
function ClipScores({ report }: { report: Json }) {
  const rows = (report.perCandidate as unknown[]).filter(isObject);
  const ramp = isObject(report.ramp) ? report.ramp : null;
  return (
    <>
      <Verdict pass={undefined}>
        CLIP score {fixed(report.score)}
        {typeof report.model === 'string' ? <span className="sf-muted"> · {report.model}</span> : null}
        {ramp ? <span className="sf-muted"> (0 at similarity {fixed(ramp.zeroAt)}, 1 at {fixed(ramp.oneAt)})</span> : null}
      </Verdict>
      <ul className="sf-checklist">
        {rows.map((r, i) => (
          <CheckItem key={String(r.hash ?? i)} pass={r.hash === report.best} optional>
            <span className="sf-mono">{typeof r.hash === 'string' ? r.hash.slice(0, 8) : i + 1}</span> score {fixed(r.score)}
            <span className="sf-muted"> · similarity {fixed(r.similarity)}</span>
            {r.hash === report.best ? <span className="sf-muted"> (best)</span> : null}
          </CheckItem>
        ))}
      </ul>
      {report.promptTruncated === true ? <div className="sf-small sf-muted">The prompt was longer than CLIP reads (77 tokens): the rest did not count.</div> : null}
    </>
  );
}

/** A cut-out's trust (segment `trust`): the verdict against its threshold, the reason, and every measure with its figure. */
export function TrustChecklist({ trust }: { trust: Json }) {
  const measures = isObject(trust.measures) ? trust.measures : {};
  const scores = isObject(trust.scores) ? trust.scores : {};
  const pass = trust.verdict === 'trusted';
  return (
    <div data-testid="trust-checklist" data-verdict={String(trust.verdict)}>
      <Verdict pass={pass}>
        cut-out {pass ? 'trusted' : 'doubtful'}: trust {fixed(trust.score)} <span className="sf-muted">(trusted at ≥ 0.5)</span>
      </Verdict>
      {typeof trust.reason === 'string' && trust.reason ? <div className="sf-small">{trust.reason}</div> : null}
      <ul className="sf-checklist sf-trust-measures">
        {Object.entries(measures).map(([name, v]) => (
          <CheckItem key={name} pass={measureSound(scores[name])} optional={Number(scores[name]) >= 0.5}>
            <span className="sf-mono">{name}</span> {typeof v === 'boolean' ? (v ? 'yes' : 'no') : fixed(v)}
          </CheckItem>
        ))}
      </ul>
    </div>
  );
}

/** A measure without a sub-score (a figure shown for information, or a run judged before sub-scores were kept) is not marked down. */
function measureSound(score: unknown): boolean {
  return typeof score !== 'number' || score >= 1;
}

/** A node's outputs at a glance for the run panel: ✓/✗ and the score of the first report that has a verdict. */
export function reportVerdict(outputs: Record<string, unknown> | null | undefined): { pass: boolean | undefined; text: string } | null {
  for (const value of Object.values(outputs ?? {})) {
    if (!isObject(value)) continue;
    if (typeof value.pass === 'boolean' && Array.isArray(value.checks)) {
      const failing = value.checks.filter((c) => isObject(c) && c.pass === false).length;
      return { pass: value.pass, text: failing ? `${failing} check${failing > 1 ? 's' : ''} fail` : 'checks pass' };
    }
    if (typeof value.score === 'number') return { pass: bool(value.pass ?? value.passed), text: `score ${fixed(value.score)}` };
  }
  return null;
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
