import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { ArtifactRef } from '@studioflow/runtime/contract';
import { inputImageNode } from '../input/input-image';
import { productFidelityNode } from './product-fidelity';
import { segmentNode } from '../segment/segment';
import { studioCompositeNode } from '../compose/studio-composite';
import { NodeHarness } from '../testing/node-harness';
import { makeProductPhoto, type ProductKind } from '../testing/synthetic-product';

interface Box { x: number; y: number; width: number; height: number }
type Score = { score: number; pass: boolean; parts: Record<string, number>; failing: string[]; candidateMaskSource: string; backdrop?: Record<string, number> };

describe('product-fidelity', () => {
  let h: NodeHarness;
  const rows: string[] = [];
  before(async () => {
    h = await NodeHarness.create();
  });
  after(async () => {
    const head = ['case', 'located by', 'score', 'pass', 'ssim', 'worstTile', 'dE mean', 'dE p95', 'edgeIoU', 'maskIoU', 'failing'];
    console.log(`product-fidelity scores\n${[head.join(' | '), ...rows].join('\n')}`);
    await h.close();
  });

  const png = (b: Buffer) => h.put(b, 'image/png');
  const composite = async (cutout: ArtifactRef, params: Record<string, unknown> = {}) =>
    (await h.runNode(studioCompositeNode, { cutout }, { size: '1:1-2048', ...params } as never)).image as ArtifactRef;
  const fidelity = async (name: string, original: ArtifactRef, candidate: ArtifactRef, candidateMask?: ArtifactRef) => {
    const out = (await h.runNode(productFidelityNode, { original, candidate, candidateMask })).score as unknown as Score;
    const p = out.parts;
    rows.push([name, out.candidateMaskSource, out.score.toFixed(3), out.pass ? 'pass' : 'FAIL', p.ssim.toFixed(3), p.ssimWorstTile.toFixed(3), p.deltaEMean.toFixed(2), p.deltaEP95.toFixed(2), p.edgeIoU.toFixed(3), p.maskIoU.toFixed(3), out.failing.join(',')].join(' | '));
    return out;
  };
  /** A product photo through input-image and segment: the original cut-out. */
  const original = async (seed: number, kind: ProductKind, color: string) => {
    const photo = await makeProductPhoto({ seed, kind, color, width: 1000, height: 750 });
    const image = (await h.runNode(inputImageNode, { upload: await h.put(photo.jpeg, 'image/jpeg') })).image as ArtifactRef;
    return (await h.runNode(segmentNode, { image })).cutout as ArtifactRef;
  };
  /** Draws SVG over a composite, in the product box's coordinates (0..1). */
  const paint = async (image: ArtifactRef, svgInBox: (b: Box) => string) => {
    const box = image.meta?.productBox as Box;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${svgInBox(box)}</svg>`;
    return png(await sharp(await h.get(image)).composite([{ input: Buffer.from(svg) }]).png().toBuffer());
  };
  /** Re-shapes the cut-out itself (so the composite places the deformed product as usual). */
  const deform = async (cutout: ArtifactRef, f: (s: sharp.Sharp, w: number, hgt: number) => sharp.Sharp) => {
    const out = await f(sharp(await h.get(cutout)), cutout.width!, cutout.height!).png().toBuffer();
    return composite(await png(out));
  };

  for (const [seed, kind, color] of [[3, 'bottle', '#c0392b'], [8, 'box', '#1f4e8c']] as const) {
    describe(`${kind} ${color}`, () => {
      let cutout: ArtifactRef, white: ArtifactRef;
      before(async () => {
        cutout = await original(seed, kind, color);
        white = await composite(cutout);
      });

      it('passes the same product composited on white, on a coloured sweep and on a solid colour', async () => {
        assert.ok((await fidelity(`${kind}: same, white`, cutout, white)).pass);
        const sweep = await composite(cutout, { background: 'sweep', color: '#f3efe6', secondColor: '#b9c4cf', fill: 0.7 });
        assert.ok((await fidelity(`${kind}: same, sweep`, cutout, sweep)).pass);
        const solid = await composite(cutout, { background: 'solid', color: '#d8e2dc', shadow: 0.6, fill: 0.6, placement: 'thirds' });
        assert.ok((await fidelity(`${kind}: same, solid`, cutout, solid)).pass);
      });

      it('finds the product with the classical matte on a plain backdrop when the image records no placement', async () => {
        const sweep = await composite(cutout, { background: 'sweep', color: '#f3efe6', secondColor: '#b9c4cf', fill: 0.7 });
        for (const [name, image] of [['white', white], ['sweep', sweep]] as const) {
          const bare = await png(await h.get(image));
          const out = await fidelity(`${kind}: same, ${name}, no placement`, cutout, bare);
          console.log(`${kind} on ${name}: backdrop ${JSON.stringify(out.backdrop)}`);
          assert.equal(out.candidateMaskSource, 'classical');
          assert.ok(out.pass, `score ${out.score}`);
        }
      });

      it('uses a given candidate mask', async () => {
        const image = (await h.runNode(inputImageNode, { upload: white })).image as ArtifactRef;
        const mask = (await h.runNode(segmentNode, { image })).mask as ArtifactRef;
        const out = await fidelity(`${kind}: same, mask given`, cutout, white, mask);
        assert.ok(out.pass);
      });

      it('fails a 20° hue shift', async () => {
        const shifted = await png(await sharp(await h.get(white)).modulate({ hue: 20 }).png().toBuffer());
        const out = await fidelity(`${kind}: hue +20°`, cutout, shifted);
        assert.equal(out.pass, false);
        assert.ok(out.failing.some((p) => p.startsWith('deltaE')), out.failing.join());
      });

      it('fails an altered logo / text patch', async () => {
        const altered = await paint(white, (b) => {
          const x = b.x + 0.3 * b.width, y = b.y + 0.5 * b.height, w = 0.4 * b.width, hh = 0.14 * b.height;
          return `<rect x="${x}" y="${y}" width="${w}" height="${hh}" fill="#f2c14e"/>`
            + `<text x="${x + w / 2}" y="${y + 0.72 * hh}" font-family="DejaVu Sans" font-weight="bold" font-size="${0.5 * hh}" text-anchor="middle" fill="#222">FAKE</text>`;
        });
        assert.equal((await fidelity(`${kind}: logo patch`, cutout, altered)).pass, false);
      });

      it('fails the product stretched by 10% or sheared by 10%', async () => {
        const stretched = await deform(cutout, (s, w, hgt) => s.resize(Math.round(w * 1.1), hgt, { fit: 'fill' }));
        assert.equal((await fidelity(`${kind}: stretched 10%`, cutout, stretched)).pass, false);
        const sheared = await deform(cutout, (s) => s.affine([1, 0.1, 0, 1], { background: { r: 0, g: 0, b: 0, alpha: 0 } }));
        assert.equal((await fidelity(`${kind}: sheared 10%`, cutout, sheared)).pass, false);
      });

      it('fails extra objects painted over the product', async () => {
        const props = await paint(white, (b) =>
          `<circle cx="${b.x + 0.9 * b.width}" cy="${b.y + 0.75 * b.height}" r="${0.12 * b.width}" fill="#3a7d44"/>`
          + `<ellipse cx="${b.x + 0.3 * b.width}" cy="${b.y + 0.25 * b.height}" rx="${0.1 * b.width}" ry="${0.05 * b.height}" fill="#e9c46a"/>`);
        assert.equal((await fidelity(`${kind}: extra objects`, cutout, props)).pass, false);
      });
    });
  }
});
