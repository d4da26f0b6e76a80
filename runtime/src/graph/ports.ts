/** Port types flowing along edges. Images travel by reference (artifact hash), small values inline. */
export const PORT_TYPES = [
  'image',
  'cutout',
  'mask',
  'prompt',
  'candidates',
  'score',
  'review-decision',
  'report',
] as const;
export type PortType = (typeof PORT_TYPES)[number];

export interface PortTypeInfo {
  label: string;
  /** Handle colour in the editor. */
  color: string;
  description: string;
}

export const PORT_TYPE_INFO: Record<PortType, PortTypeInfo> = {
  image: { label: 'Image', color: '#3b82f6', description: 'An RGB(A) image artifact' },
  cutout: { label: 'Cut-out', color: '#06b6d4', description: 'Product on transparent background (RGBA)' },
  mask: { label: 'Mask', color: '#a3a3a3', description: 'Single-channel alpha mask, 255 = product' },
  prompt: { label: 'Prompt', color: '#f59e0b', description: 'Text prompt' },
  candidates: { label: 'Candidates', color: '#8b5cf6', description: 'A list of image artifacts' },
  score: { label: 'Score', color: '#22c55e', description: 'A number in [0,1] with its parts' },
  'review-decision': { label: 'Review decision', color: '#ef4444', description: 'Approve / adjust / reject' },
  report: { label: 'Report', color: '#64748b', description: 'Structured JSON (checks, metrics)' },
};

/**
 * Which source port types a target port type accepts. A cut-out is an image with alpha, so any
 * image input takes it; a single image can feed a candidates list (promoted to a list of one).
 */
const ACCEPTS: Record<PortType, readonly PortType[]> = {
  image: ['image', 'cutout'],
  cutout: ['cutout'],
  mask: ['mask'],
  prompt: ['prompt'],
  candidates: ['candidates', 'image', 'cutout'],
  score: ['score'],
  'review-decision': ['review-decision'],
  report: ['report'],
};

/** The one connection rule: the editor's isValidConnection and the server validator both call this. */
export function canConnect(sourceType: PortType, targetType: PortType): boolean {
  return ACCEPTS[targetType]?.includes(sourceType) ?? false;
}

/** Why a source port type cannot feed a target port type ("mask can't feed image"), or null when it can. */
export function connectionRefusal(sourceType: PortType, targetType: PortType): string | null {
  if (canConnect(sourceType, targetType)) return null;
  const accepted = ACCEPTS[targetType] ?? [];
  return `${sourceType} can't feed ${targetType}${accepted.length ? ` (it takes ${accepted.join(' or ')})` : ''}`;
}

export function isPortType(value: unknown): value is PortType {
  return typeof value === 'string' && (PORT_TYPES as readonly string[]).includes(value);
}
