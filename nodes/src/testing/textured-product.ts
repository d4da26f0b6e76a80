import sharp from 'sharp';
import { fbm, valueNoise } from './scene-backdrops';
import { mulberry32 } from './synthetic-product';

/**
 * A photo-like textured product cut-out: a pebbled leather bag with a handle (a hole), lit from the
 * top left, with stitching, a gold clasp and an embossed maker's mark, camera noise and a soft
 * (anti-aliased) outline. RGBA PNG, cropped to the bag plus a small margin, as segment delivers.
 */
export async function makeTexturedCutout(seed = 1, width = 520, height = 480): Promise<Buffer> {
  const W = width, H = height;
  const noise = valueNoise(seed + 17);
  const rnd = mulberry32(seed * 977 + 1);
  const rgb = Buffer.alloc(W * H * 3);
  for (let y = 0, o = 0; y < H; y++) {
    for (let x = 0; x < W; x++, o += 3) {
      // Pebbles: ridged fine noise; a broad light falloff from the top left; faint creases.
      const pebble = 1 - Math.abs(2 * fbm(noise, x / 5, y / 5) - 1);
      const light = 1.15 - 0.45 * ((x / W) * 0.6 + (y / H) * 0.4);
      const crease = 0.06 * (fbm(noise, x / 90 + 40, y / 25) - 0.5);
      const k = light * (0.78 + 0.32 * pebble + crease);
      const grain = (rnd() + rnd() - 1) * 4;
      rgb[o] = clamp8(123 * k + grain);
      rgb[o + 1] = clamp8(74 * k + grain);
      rgb[o + 2] = clamp8(46 * k + grain);
    }
  }
  // The bag: a trapezoid with rounded corners from 36 % of the height down, a handle ring above.
  const m = 0.03 * W;
  const top = 0.36 * H, bottom = H - m, l0 = 0.14 * W, r0 = W - 0.14 * W, l1 = m, r1 = W - m, rr = 0.06 * W;
  const body = `M${l0 + rr},${top} H${r0 - rr} Q${r0},${top} ${r0 + 0.01 * W},${top + rr} L${r1},${bottom - rr} Q${r1},${bottom} ${r1 - rr},${bottom} H${l1 + rr} Q${l1},${bottom} ${l1},${bottom - rr} L${l0 - 0.01 * W},${top + rr} Q${l0},${top} ${l0 + rr},${top} Z`;
  const hx = W / 2, hy = top + 0.02 * H, hro = [0.28 * W, 0.3 * H], hri = [0.22 * W, 0.25 * H];
  const handle = `M${hx - hro[0]},${hy} a${hro[0]},${hro[1]} 0 0,1 ${2 * hro[0]},0 h${-(hro[0] - hri[0])} a${hri[0]},${hri[1]} 0 0,0 ${-2 * hri[0]},0 Z`;
  const shapeSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#000"/><g fill="#fff"><path d="${body}"/><path d="${handle}"/></g></svg>`;
  const inset = 0.045 * W;
  const details = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<defs><linearGradient id="gold" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f4dc8a"/><stop offset="0.5" stop-color="#b8892f"/><stop offset="1" stop-color="#7a5a1c"/></linearGradient></defs>
<path d="M${l0 + inset},${top + inset} H${r0 - inset} L${r1 - inset},${bottom - inset} H${l1 + inset} Z" fill="none" stroke="#e8d3a8" stroke-width="2.2" stroke-dasharray="7 5"/>
<rect x="${W / 2 - 0.09 * W}" y="${top + 0.08 * H}" width="${0.18 * W}" height="${0.1 * H}" rx="6" fill="url(#gold)" stroke="#5c4315" stroke-width="1.5"/>
<circle cx="${W / 2}" cy="${top + 0.13 * H}" r="${0.022 * W}" fill="#5c4315"/>
<text x="${W / 2}" y="${top + 0.42 * H}" font-family="DejaVu Serif" font-style="italic" font-size="${0.07 * W}" text-anchor="middle" fill="#4a2a16" opacity="0.75">Atelier</text>
<text x="${W / 2 + 1}" y="${top + 0.42 * H + 1}" font-family="DejaVu Serif" font-style="italic" font-size="${0.07 * W}" text-anchor="middle" fill="#d8a57a" opacity="0.35">Atelier</text>
</svg>`;
  const [painted, alpha] = await Promise.all([
    sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).composite([{ input: Buffer.from(details) }]).removeAlpha().raw().toBuffer(),
    sharp(Buffer.from(shapeSvg)).extractChannel(0).raw().toBuffer(),
  ]);
  return sharp(painted, { raw: { width: W, height: H, channels: 3 } }).joinChannel(alpha, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
