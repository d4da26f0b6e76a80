import sharp from 'sharp';
import { Type } from '@sinclair/typebox';
import { defineNode } from '@studioflow/runtime/contract';
import { embedIccInJpeg, embedIccInWebp, srgbIcc } from '../image/icc-embed';
import { loadImage } from '../image/image-artifacts';
import { rawInput } from '../image/raw-image';
import { putDelivery, s3Target } from './s3-delivery';
import { DIGITAL_SOURCE_TYPES, traceabilityXmp, type DigitalSourceType } from '../image/xmp';

export const deliverNode = defineNode({
  type: 'deliver',
  version: 1,
  title: 'Deliver',
  category: 'io',
  description: 'Final files: JPEG and WebP in sRGB with run traceability (XMP, IPTC digital source type), plus a thumbnail. Other metadata is stripped. '
    + 'Uploaded to an S3 bucket as well when STUDIOFLOW_S3_BUCKET is set.',
  resource: 'cpu',
  inputs: [{ name: 'image', type: 'image', label: 'Image' }],
  outputs: [
    { name: 'jpeg', type: 'image', label: 'JPEG' },
    { name: 'webp', type: 'image', label: 'WebP' },
    { name: 'thumbnail', type: 'image', label: 'Thumbnail', description: 'JPEG, longest side thumbnailSize' },
    { name: 'report', type: 'report', label: 'Report', description: 'Sizes, bytes and the traceability fields written' },
  ],
  params: Type.Object({
    jpegQuality: Type.Integer({ minimum: 50, maximum: 100, default: 90, description: 'eBay asks for 90 or more' }),
    webpQuality: Type.Integer({ minimum: 50, maximum: 100, default: 85 }),
    webpEffort: Type.Integer({ minimum: 0, maximum: 6, default: 0, description: 'Higher is smaller and slower' }),
    thumbnailSize: Type.Integer({ minimum: 64, maximum: 1024, default: 384 }),
    digitalSourceType: Type.Union([Type.Literal('auto'), ...DIGITAL_SOURCE_TYPES.map((t) => Type.Literal(t))], {
      default: 'auto',
      description: "IPTC DigitalSourceType; auto takes the input's meta.digitalSourceType, else compositeSynthetic",
    }),
  }),
  // Not cacheable: the files carry this run's id (traceability), so another run's output is wrong here.
  cacheable: false,
  async run(ctx, inputs, params) {
    const input = inputs.image;
    const img = await loadImage(ctx, input, 'image to deliver');
    const sourceType = pickSourceType(params.digitalSourceType, input.meta?.digitalSourceType);
    const xmp = traceabilityXmp(ctx.run, ctx.nodeId, sourceType);
    const base = () => {
      const s = sharp(img.data, rawInput(img));
      return img.channels === 2 || img.channels === 1 ? s.toColourspace('srgb') : s;
    };
    // JPEG has no alpha: a cut-out delivered directly lands on white, the marketplace default.
    const opaque = () => (img.channels === 4 || img.channels === 2 ? base().flatten({ background: '#ffffff' }) : base());
    const tSize = params.thumbnailSize;
    const jpegAndThumb = async () => {
      const jpeg = await opaque().jpeg({ quality: params.jpegQuality, mozjpeg: false }).withXmp(xmp).toBuffer();
      // From the JPEG: libjpeg decodes it at 1/4 scale, cheaper than resampling the full frame.
      const thumb = await sharp(jpeg).resize(tSize, tSize, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer({ resolveWithObject: true });
      return [jpeg, thumb] as const;
    };
    const [icc, [jpegPlain, thumb], webpPlain] = await Promise.all([
      srgbIcc(),
      jpegAndThumb(),
      base().webp({ quality: params.webpQuality, effort: params.webpEffort }).withXmp(xmp).toBuffer(),
    ]);
    // The pixels are sRGB already (input-image converted them): tag, do not transform.
    const jpeg = embedIccInJpeg(jpegPlain, icc);
    const webp = embedIccInWebp(webpPlain, icc);
    ctx.progress(0.9, 'storing');
    const trace = { runId: ctx.run.runId, graphId: ctx.run.graphId, graphVersion: ctx.run.graphVersion, templateId: ctx.run.templateId, digitalSourceType: sourceType };
    const jpegRef = await ctx.artifacts.put(jpeg, { mime: 'image/jpeg', width: img.width, height: img.height, meta: { quality: params.jpegQuality, ...trace } });
    const webpRef = await ctx.artifacts.put(webp, { mime: 'image/webp', width: img.width, height: img.height, meta: { quality: params.webpQuality, ...trace } });
    const thumbRef = await ctx.artifacts.put(thumb.data, { mime: 'image/jpeg', width: thumb.info.width, height: thumb.info.height });
    ctx.log.info(`delivered ${img.width}×${img.height}: JPEG ${jpeg.length} bytes, WebP ${webp.length} bytes`, { digitalSourceType: sourceType });
    const s3 = s3Target();
    let delivery: Record<string, unknown> | undefined;
    if (s3) {
      ctx.progress(0.95, 'uploading');
      const metadata = Object.fromEntries(Object.entries({ 'run-id': trace.runId, 'graph-id': trace.graphId, 'node-id': ctx.nodeId }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const [j, w, t] = await Promise.all([
        putDelivery(s3, jpeg, 'jpg', 'image/jpeg', metadata),
        putDelivery(s3, webp, 'webp', 'image/webp', metadata),
        putDelivery(s3, thumb.data, 'thumb.jpg', 'image/jpeg', metadata),
      ]);
      delivery = { bucket: s3.bucket, endpoint: s3.endpoint, objects: { jpeg: j, webp: w, thumbnail: t } };
    }
    return {
      jpeg: jpegRef,
      webp: webpRef,
      thumbnail: thumbRef,
      report: {
        width: img.width,
        height: img.height,
        jpegBytes: jpeg.length,
        webpBytes: webp.length,
        thumbnail: { width: thumb.info.width, height: thumb.info.height, bytes: thumb.data.length },
        colourSpace: 'sRGB',
        ...trace,
        ...(delivery ? { s3: delivery } : {}),
      },
    };
  },
});

function pickSourceType(param: string, fromMeta: unknown): DigitalSourceType {
  if (param !== 'auto') return param as DigitalSourceType;
  return (DIGITAL_SOURCE_TYPES as readonly unknown[]).includes(fromMeta) ? (fromMeta as DigitalSourceType) : 'compositeSynthetic';
}
