import sharp from 'sharp';
import { mulberry32 } from './synthetic-product';

/**
 * A dark product (body, cap, a mid-grey stripe) on a light graded backdrop with a faint shadow:
 * what the tiny mean-brightness test model can separate. Returns the JPEG and the ground truth.
 */
export async function darkProductScene(seed: number, W: number, H: number): Promise<{ jpeg: Buffer; mask: Uint8Array }> {
  const rnd = mulberry32(seed);
  const pw = W * (0.25 + rnd() * 0.15), ph = H * (0.45 + rnd() * 0.2);
  const x = W / 2 - pw / 2 + (rnd() - 0.5) * 0.1 * W, y = H * 0.8 - ph;
  const body = `<rect x="${x}" y="${y + 0.15 * ph}" width="${pw}" height="${0.85 * ph}" rx="${0.12 * pw}"/>`
    + `<rect x="${x + 0.3 * pw}" y="${y}" width="${0.4 * pw}" height="${0.2 * ph}" rx="${0.05 * pw}"/>`;
  const colour = ['#1f2a44', '#3b1f1f', '#203820', '#333333'][seed % 4];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ecebe8"/><stop offset="1" stop-color="#d9d7d3"/></linearGradient>
<filter id="blur"><feGaussianBlur stdDeviation="${0.02 * pw}"/></filter></defs>
<rect width="${W}" height="${H}" fill="url(#bg)"/>
<ellipse cx="${x + pw / 2}" cy="${y + ph}" rx="${0.6 * pw}" ry="${0.05 * ph}" fill="#000" opacity="0.12" filter="url(#blur)"/>
<g fill="${colour}">${body}</g>
<rect x="${x + 0.1 * pw}" y="${y + 0.5 * ph}" width="${0.8 * pw}" height="${0.1 * ph}" fill="#6a6a6a"/>
</svg>`;
  const maskSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#000"/><g fill="#fff">${body}</g></svg>`;
  const [photo, mask] = await Promise.all([
    sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer(),
    sharp(Buffer.from(maskSvg)).extractChannel(0).raw().toBuffer(),
  ]);
  for (let i = 0; i < photo.length; i++) photo[i] = Math.max(0, Math.min(255, photo[i] + (rnd() - 0.5) * 8));
  const jpeg = await sharp(photo, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  return { jpeg, mask };
}
