export type Rgb = [number, number, number];

export const HEX_COLOUR_PATTERN = '^#[0-9a-fA-F]{6}$';

export function parseHex(hex: string): Rgb {
  if (!new RegExp(HEX_COLOUR_PATTERN).test(hex)) throw new Error(`not a #rrggbb colour: ${hex}`);
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
