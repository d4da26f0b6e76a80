import type { TemplateOption } from '@studioflow/runtime/graph';

type Schema = Record<string, unknown>;
export type OptionValues = Record<string, unknown>;

interface Choice {
  value: unknown;
  label: string;
}

/** The choices of a select: `anyOf` of constants (TypeBox unions, with titles) or `enum`. */
function choicesOf(schema: Schema): Choice[] | null {
  if (Array.isArray(schema.anyOf) && schema.anyOf.every((c) => c && typeof c === 'object' && 'const' in c)) {
    return (schema.anyOf as Array<{ const: unknown; title?: string }>).map((c) => ({ value: c.const, label: c.title ?? humanize(String(c.const)) }));
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => ({ value: v, label: humanize(String(v)) }));
  return null;
}

const humanize = (v: string) => (/^[a-z][a-z-]*$/.test(v) ? (v.charAt(0).toUpperCase() + v.slice(1)).replace(/-/g, ' ') : v);
const isColour = (schema: Schema) => schema.format === 'color' || (typeof schema.pattern === 'string' && schema.pattern.includes('0-9a-fA-F') && schema.pattern.includes('{6}'));

/** The option a template takes a product title through, if any: it gets its own field at the top. */
export const titleOption = (options: TemplateOption[]) => options.find((o) => o.key.endsWith('.title') && (o.schema.type === 'string'));

export const defaultsOf = (options: TemplateOption[]): OptionValues => Object.fromEntries(options.map((o) => [o.key, o.default ?? o.schema.default]));

/**
 * A template's exposed params as a form drawn from their JSON Schemas: selects for choices, sliders
 * for ranges (with the value), colour pickers, switches for yes/no, text otherwise.
 */
export function OptionsForm({ options, values, onChange }: { options: TemplateOption[]; values: OptionValues; onChange: (v: OptionValues) => void }) {
  const set = (key: string, value: unknown) => onChange({ ...values, [key]: value });
  if (options.length === 0) return <p className="sf-muted">This look has no options: it is ready as it is.</p>;
  return (
    <div className="sf-options">
      {options.map((o) => (
        <OptionField key={o.key} option={o} value={values[o.key]} onChange={(v) => set(o.key, v)} />
      ))}
    </div>
  );
}

function OptionField({ option, value, onChange }: { option: TemplateOption; value: unknown; onChange: (v: unknown) => void }) {
  const { schema, key } = option;
  const id = `opt-${key.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const label = option.label || (schema.title as string) || key;
  const choices = choicesOf(schema);
  if (choices) {
    const index = Math.max(0, choices.findIndex((c) => JSON.stringify(c.value) === JSON.stringify(value)));
    return (
      <div className="sf-field">
        <label htmlFor={id}>{label}</label>
        <select id={id} value={index} onChange={(e) => onChange(choices[Number(e.target.value)].value)}>
          {choices.map((c, i) => (
            <option key={i} value={i}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
    );
  }
  if (schema.type === 'boolean') {
    return (
      <div className="sf-field sf-field-inline">
        <label htmlFor={id}>{label}</label>
        <input id={id} type="checkbox" role="switch" className="sf-switch" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
      </div>
    );
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    const min = schema.minimum as number | undefined;
    const max = schema.maximum as number | undefined;
    const n = typeof value === 'number' ? value : Number(schema.default ?? min ?? 0);
    if (min !== undefined && max !== undefined) {
      const share = min >= 0 && max <= 1 && schema.type === 'number';
      // A round step (0.01 over 0..1), so the template's value sits on the slider's grid and is sent unchanged.
      const step = schema.type === 'integer' ? 1 : 10 ** Math.floor(Math.log10((max - min) / 100));
      return (
        <div className="sf-field">
          <label htmlFor={id}>
            {label}
            <output htmlFor={id} className="sf-value">
              {share ? `${Math.round(n * 100)}%` : n}
            </output>
          </label>
          <input id={id} type="range" min={min} max={max} step={step} value={n} onChange={(e) => onChange(Number(e.target.value))} />
        </div>
      );
    }
    return (
      <div className="sf-field">
        <label htmlFor={id}>{label}</label>
        <input id={id} type="number" value={n} step={schema.type === 'integer' ? 1 : 'any'} onChange={(e) => onChange(Number(e.target.value))} />
      </div>
    );
  }
  if (isColour(schema)) {
    return (
      <div className="sf-field sf-field-inline">
        <label htmlFor={id}>{label}</label>
        <span className="sf-colour">
          <input id={id} type="color" value={typeof value === 'string' ? value : '#ffffff'} onChange={(e) => onChange(e.target.value)} />
          <code>{String(value ?? '')}</code>
        </span>
      </div>
    );
  }
  return (
    <div className="sf-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="text" value={typeof value === 'string' ? value : ''} maxLength={schema.maxLength as number | undefined} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}
