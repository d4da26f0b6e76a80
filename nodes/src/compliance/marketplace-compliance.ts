import { Type } from '@sinclair/typebox';
import { defineNode, type ArtifactRef, type NodeContext } from '@studioflow/runtime/contract';
import { evaluate, inspect, type Check, type Inspected } from './compliance-checks';
import { reframe, whitenBackdrop } from './compliance-fixes';
import { decoding, openImage } from '../image/decode';
import { estimateJpegQuality } from '../image/jpeg-quality';
import { MARKETPLACE_RULES, MARKETPLACES, type MarketplaceRules } from './marketplace-rules';
import { boundingBox } from '../image/mask-ops';
import { loadImage, loadMask, storeImage } from '../image/image-artifacts';
import { INTERMEDIATE_MIME, type RawImage } from '../image/raw-image';

export const marketplaceComplianceNode = defineNode({
  type: 'marketplace-compliance',
  version: 1,
  title: 'Marketplace compliance',
  category: 'compliance',
  description:
    "Checks an image against a marketplace's main-image rules (size, format, pure white backdrop, product fill, borders, JPEG quality) "
    + 'and, with autoFix, repairs what pixels can repair: removes a border, whitens the backdrop, reframes and rescales.',
  resource: 'cpu',
  inputs: [
    { name: 'image', type: 'image', label: 'Image' },
    { name: 'mask', type: 'mask', label: 'Product mask', optional: true, description: 'Where the product is (studio-composite gives it); segmented when absent' },
  ],
  outputs: [
    { name: 'image', type: 'image', label: 'Image', description: 'The fixed image, or the input unchanged' },
    { name: 'mask', type: 'mask', label: 'Product mask', description: 'The product in the output image (moved along with any reframing)' },
    { name: 'report', type: 'report', label: 'Report', description: '{ pass, marketplace, checks: [{ id, pass, measured, required, message }], fixed: [...] }' },
  ],
  params: Type.Object({
    marketplace: Type.Union(MARKETPLACES.map((m) => Type.Literal(m, { title: MARKETPLACE_RULES[m].name })), { default: 'amazon' }),
    autoFix: Type.Boolean({ default: false, description: 'Repair failing required rules where possible; the report then describes the fixed image' }),
  }),
  cacheable: true,
  async run(ctx, inputs, params) {
    const input = inputs.image;
    const marketplace = params.marketplace;
    const rules = MARKETPLACE_RULES[marketplace];
    // An intermediate is a PNG by construction; anything else is probed for its format (and JPEG quality).
    const bytes = input.mime === INTERMEDIATE_MIME ? null : await ctx.artifacts.get(input);
    const format = bytes ? (await decoding('image', () => openImage(bytes).metadata())).format ?? 'unknown' : 'png';
    const img = await loadImage(ctx, input, 'image');
    const given = inputs.mask ? await loadMask(ctx, inputs.mask, 'product mask') : null;
    ctx.progress(0.1, 'checking');
    const first = await inspect(img, format, bytes && format === 'jpeg' ? estimateJpegQuality(bytes) : null, given);
    const headroom = enlargeHeadroom(input.meta);
    if (headroom !== undefined) first.facts.enlargeHeadroom = headroom;
    const checks = evaluate(rules, first.facts);
    const report = (cs: Check[], fixed: string[]) => ({
      pass: cs.every((c) => c.pass || c.severity !== 'required'),
      marketplace,
      rules: rules.name,
      checks: cs,
      fixed,
      notChecked: rules.notChecked,
    });
    if (!params.autoFix || report(checks, []).pass) {
      const mask = inputs.mask && first.facts.border.sides < 3 ? inputs.mask : await storeMask(ctx, first, img);
      return { image: input, mask, report: report(checks, []) };
    }

    ctx.progress(0.4, 'fixing');
    const { image: fixedImg, mask: fixedMask, fixed } = await autoFix(img, first, checks, rules);
    ctx.signal.throwIfAborted();
    const after = await inspect(fixedImg, 'png', null, fixedMask && { plane: fixedMask.data, width: fixedMask.width, height: fixedMask.height });
    if (headroom !== undefined) after.facts.enlargeHeadroom = headroom / (fixedImg.width / first.inner.width);
    const finalChecks = evaluate(rules, after.facts);
    // The fixes crop and reframe: a generator's placement (meta.placement) no longer says where the product is.
    const { placement: _moved, ...kept } = input.meta ?? {};
    const image = await storeImage(ctx, fixedImg, rules.whiteBackground ? 'flat' : 'photo', {
      ...kept,
      productBox: after.facts.product,
      fill: after.facts.fill,
      compliance: { marketplace, fixed },
    });
    return { image, mask: await storeMask(ctx, after, fixedImg), report: report(finalChecks, fixed) };
  },
});

/** The product mask on the full frame of `img` (zero over a border); null when no product was found or nothing in the run uses it. */
async function storeMask(ctx: NodeContext, seen: Inspected, img: RawImage): Promise<ArtifactRef | null> {
  if (!seen.product || !ctx.wants('mask')) return null;
  const plane = Buffer.alloc(img.width * img.height);
  const { x, y } = seen.innerOffset, w = seen.inner.width;
  for (let r = 0; r < seen.inner.height; r++) plane.set(seen.product.alpha.subarray(r * w, (r + 1) * w), (r + y) * img.width + x);
  return storeImage(ctx, { data: plane, width: img.width, height: img.height, channels: 1 }, 'flat', { channels: 1, productBbox: seen.facts.product, source: seen.product.source });
}

/** Applies the repairs the failing checks call for, in an order where each keeps the others valid. */
async function autoFix(img: RawImage, seen: Inspected, checks: Check[], rules: MarketplaceRules): Promise<{ image: RawImage; mask: RawImage | null; fixed: string[] }> {
  const failing = new Set(checks.filter((c) => !c.pass && c.severity === 'required').map((c) => c.id));
  const fixed: string[] = [];
  const b = seen.facts.border;
  if (b.sides >= 3) fixed.push(`removed a border (top ${b.top}, right ${b.right}, bottom ${b.bottom}, left ${b.left} px)`);
  if (img.channels === 4 || img.channels === 2) fixed.push('flattened transparency onto white');
  let work = seen.inner;
  let mask: RawImage | null = seen.product && { data: Buffer.from(seen.product.alpha.buffer, seen.product.alpha.byteOffset, seen.product.alpha.length), width: work.width, height: work.height, channels: 1 };
  const box = seen.product && boundingBox(seen.product.alpha, work.width, work.height, 127);

  if (failing.has('background-white') && seen.product && box) {
    work = whitenBackdrop(work, seen.product, box);
    fixed.push(`set the backdrop to pure white (it was about ${seen.facts.backdrop?.typical.join(',')})`);
  }
  if (box) {
    const fill = Math.max(box.width / work.width, box.height / work.height);
    const target = rules.fill && (fill < rules.fill.min - 0.005 || (rules.fill.max !== undefined && fill > rules.fill.max + 0.005)) ? rules.fill.target : fill;
    const [cw, ch] = canvasSize(work.width, work.height, rules, seen.facts.enlargeHeadroom);
    if (target !== fill || cw !== work.width || ch !== work.height) {
      const background: [number, number, number] = rules.whiteBackground ? [255, 255, 255] : (seen.facts.backdrop?.typical ?? [255, 255, 255]);
      work = await reframe(work, box, cw, ch, target, background);
      mask = mask && (await reframe(mask, box, cw, ch, target, [0]));
      fixed.push(`reframed to ${cw}x${ch} with the product filling ${(100 * target).toFixed(1)}%`);
    }
  }
  if (failing.has('format')) fixed.push(`re-encoded ${seen.facts.format} as PNG`);
  return { image: work, mask, fixed };
}

/** The picture's own aspect, scaled just enough to meet the size rules (never past the maximum, nor past the upscaling cap). */
function canvasSize(W: number, H: number, rules: MarketplaceRules, headroom = Infinity): [number, number] {
  const longest = Math.max(W, H), shortest = Math.min(W, H);
  let L = longest;
  if (rules.minLongestSide && L < rules.minLongestSide) L = rules.minLongestSide;
  if (rules.minShortSide && (shortest * L) / longest < rules.minShortSide) L = Math.ceil((rules.minShortSide * longest) / shortest);
  if (rules.maxLongestSide && L > rules.maxLongestSide) L = rules.maxLongestSide;
  L = Math.min(L, Math.max(longest, Math.floor(longest * headroom)));
  const k = L / longest;
  return [Math.max(1, Math.round(W * k)), Math.max(1, Math.round(H * k))];
}

/** From studio-composite's meta.sourceScale: how much more the picture may be enlarged before the product passes the cap. */
function enlargeHeadroom(meta: Record<string, unknown> | undefined): number | undefined {
  const s = meta?.sourceScale as { upscale?: unknown; maxUpscale?: unknown } | undefined;
  if (typeof s?.upscale !== 'number' || typeof s.maxUpscale !== 'number' || s.upscale <= 0) return undefined;
  return Math.max(0, s.maxUpscale / s.upscale);
}
