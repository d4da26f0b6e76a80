/** Which widget the inspector draws for one JSON Schema property. */
export type FieldKind =
  | { kind: 'slider'; min: number; max: number; step: number; integer: boolean }
  | { kind: 'number'; integer: boolean; min?: number; max?: number; step?: number }
  | { kind: 'enum'; options: Array<{ value: unknown; label: string; licence?: string }> }
  | { kind: 'color' }
  | { kind: 'boolean' }
  | { kind: 'text'; multiline: boolean }
  | { kind: 'json' };

type Schema = Record<string, unknown>;

function primaryType(schema: Schema): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined;
  return undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function fieldKind(schema: Schema): FieldKind {
  if (Array.isArray(schema.enum)) {
    return { kind: 'enum', options: schema.enum.map((v) => ({ value: v, label: String(v) })) };
  }
  const union = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(union) && union.length > 0 && union.every((s) => 'const' in s)) {
    return {
      kind: 'enum',
      options: union.map((s) => ({
        value: s.const,
        label: typeof s.title === 'string' ? s.title : String(s.const),
        ...(licenceOf(s) ? { licence: licenceOf(s) } : {}),
      })),
    };
  }
  const type = primaryType(schema);
  if (type === 'number' || type === 'integer') {
    const integer = type === 'integer';
    const min = num(schema.minimum) ?? num(schema.exclusiveMinimum);
    const max = num(schema.maximum) ?? num(schema.exclusiveMaximum);
    const multipleOf = num(schema.multipleOf);
    if (min !== undefined && max !== undefined && max > min) {
      const step = multipleOf ?? (integer ? 1 : niceStep((max - min) / 100));
      return { kind: 'slider', min, max, step, integer };
    }
    return { kind: 'number', integer, min, max, step: multipleOf ?? (integer ? 1 : undefined) };
  }
  if (type === 'boolean') return { kind: 'boolean' };
  if (type === 'string') {
    if (schema.format === 'color' || isHexColourPattern(schema.pattern)) return { kind: 'color' };
    const maxLength = num(schema.maxLength);
    const multiline = schema.format === 'multiline' || schema.format === 'textarea' || (maxLength !== undefined && maxLength > 120);
    return { kind: 'text', multiline };
  }
  return { kind: 'json' };
}

/** A `#rrggbb` pattern (the nodes' colour params declare one rather than a format ajv would have to know). */
function isHexColourPattern(pattern: unknown): boolean {
  return pattern === '^#[0-9a-fA-F]{6}$' || pattern === '^#[0-9a-f]{6}$' || pattern === '^#[0-9A-F]{6}$';
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const n = raw / p;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
}

/** Errors from checkParams that belong to one param (they start with its name). */
export function errorsFor(name: string, errors: readonly string[]): string[] {
  return errors.filter(
    (e) => e.startsWith(`${name} `) || e.startsWith(`${name}.`) || e.includes(`"${name}"`),
  );
}

/** "#abc" → "#aabbcc"; anything a colour input cannot show → null. */
export function toHex6(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m3 = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
  if (m3) return `#${m3[1]}${m3[1]}${m3[2]}${m3[2]}${m3[3]}${m3[3]}`.toLowerCase();
  if (/^#[0-9a-f]{6}$/i.test(value)) return value.toLowerCase();
  if (/^#[0-9a-f]{8}$/i.test(value)) return value.slice(0, 7).toLowerCase();
  return null;
}

/** A choice's licence when its schema states one (`licence`, `license` or `x-licence`). */
function licenceOf(schema: Schema): string | undefined {
  const v = schema.licence ?? schema.license ?? schema['x-licence'];
  return typeof v === 'string' ? v : undefined;
}

const UNIT_IN_TEXT = /\((px|%|ms|s|seconds|°|degrees|MB|credits|USD)\)|\bin (px|%|ms|seconds|degrees)\b/;

/** The unit a number is in: the schema's `unit`, else one named in its description ("… (px)", "… in px"). */
export function unitOf(schema: Schema): string | undefined {
  if (typeof schema.unit === 'string') return schema.unit;
  if (typeof schema.description !== 'string') return undefined;
  const m = UNIT_IN_TEXT.exec(schema.description);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Suggested values for a free-text param (JSON Schema `examples`), each with its licence when `x-licences` names one. */
export function suggestionsOf(schema: Schema): Array<{ value: string; licence?: string }> {
  if (!Array.isArray(schema.examples)) return [];
  const licences = (schema['x-licences'] ?? {}) as Record<string, unknown>;
  return schema.examples
    .filter((x): x is string => typeof x === 'string')
    .map((value) => (typeof licences[value] === 'string' ? { value, licence: licences[value] as string } : { value }));
}

/** A param is marked required only when leaving it out would fail: required and without a default. */
export function needsValue(schema: Schema, required: boolean): boolean {
  return required && schema.default === undefined;
}

/** The schema's `title`, else the key in words: "shadowTolerance" → "Shadow tolerance". */
export function paramLabel(name: string, schema: Schema | undefined): string {
  if (typeof schema?.title === 'string' && schema.title) return schema.title;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
