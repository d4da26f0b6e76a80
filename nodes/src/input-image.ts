import { Type } from '@sinclair/typebox';
import { defineNode, isArtifactRef, PermanentNodeError } from '@studioflow/runtime/contract';
import { decoding, isHeic, openImage } from './image/decode';
import { storeImage } from './image/image-artifacts';
import { dropOpaqueAlpha } from './image/raw-image';

/** Smaller than this there is no product photo to work with. */
const MIN_SIDE = 16;
const UPLOAD = 'uploaded photo';

export const inputImageNode = defineNode({
  type: 'input-image',
  version: 1,
  title: 'Input image',
  category: 'io',
  description: 'Decodes the uploaded photo: EXIF orientation applied, 8-bit sRGB, alpha kept, downsized to the working resolution.',
  resource: 'cpu',
  inputs: [],
  outputs: [{ name: 'image', type: 'image', label: 'Image' }],
  params: Type.Object({
    maxSide: Type.Integer({ minimum: 256, maximum: 8192, default: 2048, description: 'Longest side of the working image (px); never upscaled' }),
  }),
  cacheable: true,
  timeoutMs: 60_000,
  async run(ctx, inputs, params) {
    // The host binds the upload to the special input `upload` (a seed input, not an edge).
    const upload = inputs.upload;
    if (!isArtifactRef(upload)) throw new PermanentNodeError('no image uploaded');
    const bytes = await ctx.artifacts.get(upload);
    if (bytes.length === 0) throw new PermanentNodeError(`${UPLOAD} is empty (0 bytes)`);
    if (isHeic(bytes)) {
      throw new PermanentNodeError(`${UPLOAD} is HEIC, which is not supported yet: upload a JPEG (iPhone: Settings > Camera > Formats > Most Compatible)`);
    }
    const maxSide = params.maxSide ?? 2048;

    const meta = await decoding(UPLOAD, () => openImage(bytes).metadata());
    const rotated = (meta.orientation ?? 1) >= 5;
    const srcW = (rotated ? meta.height : meta.width) ?? 0;
    const srcH = (rotated ? meta.width : meta.height) ?? 0;
    if (srcW < MIN_SIDE || srcH < MIN_SIDE) {
      throw new PermanentNodeError(`${UPLOAD} is too small (${srcW}x${srcH}); it needs at least ${MIN_SIDE} px on each side`);
    }
    // A panorama strip would shrink below anything segmentable at the working size.
    const scale = Math.min(1, maxSide / Math.max(srcW, srcH));
    if (Math.min(srcW, srcH) * scale < MIN_SIDE) {
      throw new PermanentNodeError(`${UPLOAD} is too elongated (${srcW}x${srcH}): at ${maxSide} px its short side would be under ${MIN_SIDE} px`);
    }
    ctx.progress(0.1, 'decoding');

    // One pipeline: the resize lets libjpeg decode at reduced scale when the reduction allows it.
    // Lanczos2: for the usual ~2x phone-photo reduction as sharp as lanczos3 to the eye, 12 % cheaper.
    const pipeline = openImage(bytes, { autoOrient: true })
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos2' })
      .toColourspace('srgb');
    const { data, info } = await decoding(UPLOAD, () => pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true }));
    const img = dropOpaqueAlpha({ data, width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 });
    ctx.progress(0.9, 'storing');
    const image = await storeImage(ctx, img, 'photo', {
      channels: img.channels,
      hasAlpha: img.channels === 4,
      originalWidth: srcW,
      originalHeight: srcH,
      originalFormat: meta.format,
      originalSpace: meta.space,
      originalDepth: meta.depth,
      digitalSourceType: 'digitalCapture',
    });
    return { image };
  },
});
