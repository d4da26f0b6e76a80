/**
 * Marketplace image rules as data (read 2026-11 from the marketplaces' seller help; see
 * /work/shared/README.md). `required` rules decide pass/fail; `recommended` ones only report.
 * Rules a pixel check cannot judge (no text or watermarks, "must show the real item") are listed
 * in `notChecked` so a report never implies more than was measured.
 */

export type Marketplace = 'amazon' | 'google' | 'ebay' | 'etsy';
export const MARKETPLACES: readonly Marketplace[] = ['amazon', 'google', 'ebay', 'etsy'];

export interface MarketplaceRules {
  name: string;
  /** Longest side in px. */
  minLongestSide?: number;
  maxLongestSide?: number;
  /** Both sides at least this (Google's 500×500). */
  minShortSide?: number;
  /** Reported, never enforced or fixed: upscaling adds no detail. */
  recommendedLongestSide?: number;
  /** Accepted encodings (sharp format names). */
  formats?: readonly string[];
  /** Backdrop must be exactly RGB 255,255,255. */
  whiteBackground?: boolean;
  /** Product bounding box over the frame on its relatively longest side; fixes aim at `target`. */
  fill?: { min: number; max?: number; target: number };
  noBorder: boolean;
  minJpegQuality?: number;
  notChecked: readonly string[];
}

export const MARKETPLACE_RULES: Record<Marketplace, MarketplaceRules> = {
  amazon: {
    name: 'Amazon main image',
    minLongestSide: 1000, // below this Amazon disables zoom
    maxLongestSide: 10_000,
    recommendedLongestSide: 1600,
    formats: ['jpeg', 'png', 'tiff', 'gif'],
    whiteBackground: true,
    fill: { min: 0.85, target: 0.87 },
    noBorder: true,
    notChecked: ['no text, logos or watermarks added', 'no insets', 'no props that are not included'],
  },
  google: {
    name: 'Google Merchant Center',
    minShortSide: 500,
    recommendedLongestSide: 1500,
    formats: ['jpeg', 'png', 'gif', 'webp', 'tiff'],
    fill: { min: 0.75, max: 0.9, target: 0.85 },
    noBorder: true,
    notChecked: ['no watermarks or promotional overlays', 'IPTC DigitalSourceType kept on AI-generated images (written by deliver)'],
  },
  ebay: {
    name: 'eBay',
    minLongestSide: 500,
    recommendedLongestSide: 1600,
    formats: ['jpeg', 'png', 'gif', 'webp', 'tiff'],
    noBorder: true,
    minJpegQuality: 90,
    notChecked: ['no text or watermarks'],
  },
  etsy: {
    name: 'Etsy',
    recommendedLongestSide: 2000,
    formats: ['jpeg', 'png', 'gif'],
    noBorder: false,
    notChecked: ['shows the real item, not a rendering'],
  },
};

/** Fill measurements are rounded to the half percent a person would read off ("85%"). */
export const FILL_TOLERANCE = 0.005;
