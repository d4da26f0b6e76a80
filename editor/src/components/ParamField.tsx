import { useEffect, useState, type ReactNode } from 'react';
import { fieldKind, needsValue, paramLabel, suggestionsOf, toHex6, unitOf } from '../lib/params';

interface Props {
  name: string;
  schema: Record<string, unknown>;
  value: unknown;
  required: boolean;
  errors: string[];
  disabled: boolean;
  onChange(value: unknown): void;
}

/** One param widget generated from its JSON Schema. `undefined` means "unset" (default applies). */
export function ParamField({ name, schema, value, required, errors, disabled, onChange }: Props) {
  const kind = fieldKind(schema);
  const title = paramLabel(name, schema);
  const description = typeof schema.description === 'string' ? schema.description : '';
  const hasDefault = schema.default !== undefined;
  const shown = value === undefined ? schema.default : value;
  // Unset means the default applies: nothing to reset.
  const isDefault = hasDefault && (value === undefined || JSON.stringify(value) === JSON.stringify(schema.default));
  const id = `param-${name}`;
  const unit = unitOf(schema);
  const unitTag = unit ? (
    <span className="sf-param-unit" data-testid={`param-${name}-unit`}>
      {unit}
    </span>
  ) : null;

  let control: ReactNode;
  switch (kind.kind) {
    case 'slider': {
      const n = typeof shown === 'number' ? shown : kind.min;
      control = (
        <div className="sf-slider">
          <input
            type="range"
            min={kind.min}
            max={kind.max}
            step={kind.step}
            value={n}
            disabled={disabled}
            onChange={(e) => onChange(Number(e.target.value))}
            data-testid={`param-${name}-slider`}
            aria-label={`${title} slider`}
          />
          <NumberInput id={id} value={shown} integer={kind.integer} min={kind.min} max={kind.max} step={kind.step} disabled={disabled} onChange={onChange} />
          {unitTag}
        </div>
      );
      break;
    }
    case 'number':
      control = (
        <div className="sf-slider">
          <NumberInput id={id} value={shown} integer={kind.integer} min={kind.min} max={kind.max} step={kind.step} disabled={disabled} onChange={onChange} />
          {unitTag}
        </div>
      );
      break;
    case 'enum': {
      const idx = kind.options.findIndex((o) => JSON.stringify(o.value) === JSON.stringify(shown));
      control = (
        <select id={id} data-testid={id} value={idx < 0 ? '' : String(idx)} disabled={disabled} onChange={(e) => onChange(e.target.value === '' ? undefined : kind.options[Number(e.target.value)].value)}>
          {idx < 0 ? <option value="">{shown === undefined ? '— choose —' : `invalid: ${String(shown)}`}</option> : null}
          {kind.options.map((o, i) => (
            <option key={i} value={String(i)}>
              {o.label}
              {o.licence ? ` — ${o.licence}` : ''}
            </option>
          ))}
        </select>
      );
      if (idx >= 0 && kind.options[idx].licence) {
        control = (
          <>
            {control}
            <div className="sf-param-licence" data-testid={`param-${name}-licence`}>
              Licence: {kind.options[idx].licence}
            </div>
          </>
        );
      }
      break;
    }
    case 'color': {
      const hex = toHex6(shown);
      control = (
        <div className="sf-color">
          <input type="color" value={hex ?? '#000000'} disabled={disabled} onChange={(e) => onChange(e.target.value)} data-testid={`param-${name}-picker`} aria-label={`${title} colour`} />
          <TextInput id={id} value={shown} disabled={disabled} onChange={onChange} placeholder="#rrggbb" />
        </div>
      );
      break;
    }
    case 'boolean':
      control = (
        <input id={id} data-testid={id} type="checkbox" checked={shown === true} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
      );
      break;
    case 'text': {
      const suggestions = suggestionsOf(schema);
      const licence = suggestions.find((x) => x.value === shown)?.licence;
      control = (
        <>
          <TextInput id={id} value={shown} disabled={disabled} onChange={onChange} multiline={kind.multiline} suggestions={suggestions} />
          {licence ? (
            <div className="sf-param-licence" data-testid={`param-${name}-licence`}>
              Licence: {licence}
            </div>
          ) : null}
        </>
      );
      break;
    }
    default:
      control = <JsonInput id={id} value={shown} disabled={disabled} onChange={onChange} />;
  }

  return (
    <div className={`sf-field ${errors.length ? 'has-error' : ''} sf-field-${kind.kind}`} data-testid={`field-${name}`}>
      <div className="sf-field-head">
        <label htmlFor={id}>
          {title}
          {needsValue(schema, required) ? <span className="sf-req" title="required: no default">*</span> : null}
        </label>
        {hasDefault && !isDefault && !disabled ? (
          <button className="sf-link sf-small" onClick={() => onChange(structuredClone(schema.default))} title={`Reset to ${JSON.stringify(schema.default)}`} data-testid={`param-${name}-reset`}>
            reset
          </button>
        ) : null}
      </div>
      {control}
      {description ? <div className="sf-help">{description}</div> : null}
      {errors.map((e) => (
        <div key={e} className="sf-field-error" data-testid={`param-error-${name}`}>
          {e}
        </div>
      ))}
    </div>
  );
}

/** Keeps its own text so "0." or "-" can be typed; empty means unset. */
function NumberInput(props: { id: string; value: unknown; integer: boolean; min?: number; max?: number; step?: number; disabled: boolean; onChange(v: unknown): void }) {
  const { id, value, integer, min, max, step, disabled, onChange } = props;
  const [text, setText] = useState(value === undefined ? '' : String(value));
  useEffect(() => {
    setText((t) => (Number(t) === value && t !== '' ? t : value === undefined ? '' : String(value)));
  }, [value]);
  return (
    <input
      id={id}
      data-testid={id}
      type="number"
      value={text}
      min={min}
      max={max}
      step={step ?? (integer ? 1 : 'any')}
      disabled={disabled}
      onChange={(e) => {
        setText(e.target.value);
        if (e.target.value.trim() === '') onChange(undefined);
        else if (Number.isFinite(Number(e.target.value))) onChange(Number(e.target.value));
      }}
    />
  );
}

function TextInput(props: {
  id: string;
  value: unknown;
  disabled: boolean;
  onChange(v: unknown): void;
  multiline?: boolean;
  placeholder?: string;
  suggestions?: Array<{ value: string; licence?: string }>;
}) {
  const { id, value, disabled, onChange, multiline, placeholder, suggestions } = props;
  const v = value === undefined || value === null ? '' : String(value);
  if (multiline) {
    return <textarea id={id} data-testid={id} value={v} rows={3} disabled={disabled} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} />;
  }
  const listId = suggestions?.length ? `${id}-choices` : undefined;
  return (
    <>
      <input id={id} data-testid={id} type="text" value={v} disabled={disabled} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} list={listId} />
      {listId ? (
        <datalist id={listId}>
          {suggestions!.map((x) => (
            <option key={x.value} value={x.value} label={x.licence} />
          ))}
        </datalist>
      ) : null}
    </>
  );
}

/** Fallback for arrays/objects: edit as JSON, applied once it parses. */
function JsonInput(props: { id: string; value: unknown; disabled: boolean; onChange(v: unknown): void }) {
  const { id, value, disabled, onChange } = props;
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 1));
  const [bad, setBad] = useState(false);
  return (
    <>
      <textarea
        id={id}
        data-testid={id}
        className="sf-mono"
        rows={3}
        value={text}
        disabled={disabled}
        onChange={(e) => {
          setText(e.target.value);
          if (!e.target.value.trim()) {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
      {bad ? <div className="sf-field-error">not valid JSON yet</div> : null}
    </>
  );
}
