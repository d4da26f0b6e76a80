import type { TemplateOption } from '@studioflow/runtime/graph';
import { fieldKind, toHex6 } from '../lib/params';

export type OptionValues = Record<string, unknown>;

/** Values as a seller reads them: `white` → "White"; anything else as it is. */
const humanize = (v: string) => (/^[a-z][a-z-]*$/.test(v) ? (v.charAt(0).toUpperCase() + v.slice(1)).replace(/-/g, ' ') : v);

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

/** One option, drawn as the editor's inspector would pick its widget (lib/params.ts `fieldKind`). */
function OptionField({ option, value, onChange }: { option: TemplateOption; value: unknown; onChange: (v: unknown) => void }) {
  const { schema, key } = option;
  const id = `opt-${key.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const label = option.label || (typeof schema.title === 'string' ? schema.title : key);
  const field = fieldKind(schema);
  switch (field.kind) {
    case 'enum': {
      const index = Math.max(0, field.options.findIndex((c) => JSON.stringify(c.value) === JSON.stringify(value)));
      return (
        <div className="sf-field">
          <label htmlFor={id}>{label}</label>
          <select id={id} value={index} onChange={(e) => onChange(field.options[Number(e.target.value)].value)}>
            {field.options.map((c, i) => (
              <option key={i} value={i}>
                {c.label === String(c.value) ? humanize(c.label) : c.label}
              </option>
            ))}
          </select>
        </div>
      );
    }
    case 'boolean':
      return (
        <div className="sf-field sf-field-inline">
          <label htmlFor={id}>{label}</label>
          <input id={id} type="checkbox" role="switch" className="sf-switch" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        </div>
      );
    case 'slider': {
      const n = typeof value === 'number' ? value : field.min;
      const share = !field.integer && field.min >= 0 && field.max <= 1;
      return (
        <div className="sf-field">
          <label htmlFor={id}>
            {label}
            <output htmlFor={id} className="sf-value">
              {share ? `${Math.round(n * 100)}%` : n}
            </output>
          </label>
          <input id={id} type="range" min={field.min} max={field.max} step={field.step} value={n} onChange={(e) => onChange(Number(e.target.value))} />
        </div>
      );
    }
    case 'number':
      return (
        <div className="sf-field">
          <label htmlFor={id}>{label}</label>
          <input
            id={id}
            type="number"
            min={field.min}
            max={field.max}
            step={field.step ?? 'any'}
            value={typeof value === 'number' ? value : ''}
            onChange={(e) => onChange(Number(e.target.value))}
          />
        </div>
      );
    case 'color': {
      const hex = toHex6(value) ?? '#ffffff';
      return (
        <div className="sf-field sf-field-inline">
          <label htmlFor={id}>{label}</label>
          <span className="sf-colour">
            <input id={id} type="color" value={hex} onChange={(e) => onChange(e.target.value)} />
            <code>{hex}</code>
          </span>
        </div>
      );
    }
    default:
      return (
        <div className="sf-field">
          <label htmlFor={id}>{label}</label>
          <input id={id} type="text" value={typeof value === 'string' ? value : ''} maxLength={schema.maxLength as number | undefined} onChange={(e) => onChange(e.target.value)} />
        </div>
      );
  }
}
