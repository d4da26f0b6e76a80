import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * A stand-in CLIP built in code (no npm package ships CLIP weights or vocab): a tokenizer.json laid
 * out like OpenAI's (byte-level alphabet first, so "a" is 64 and "a</w>" 320 as in the real vocab;
 * then the merges of a few words; start and end tokens last) and two ONNX encoders with the real
 * I/O names. Their embeddings mean something, so scores can be checked:
 * - text_embeds = Σ over real tokens of a row per token: "red", "green", "blue" point along their
 *   colour axis, every other token a little along a fourth, neutral axis;
 * - image_embeds = the image's mean colour (un-normalised from pixel_values) on the three colour
 *   axes, plus a little neutral.
 * So "a red shoe" scores higher on a red image than on a blue one, and higher the purer the red.
 * The cosines run higher than a real CLIP's (~0.3 for a match): tests that rank by score widen the ramp.
 */
export const TINY_CLIP_WORDS = [
  'a', 'photo', 'of', 'red', 'green', 'blue', 'shoe', 'mug', 'bottle', 'on', 'white', 'studio', 'background', 'product', 'the', 'and', 'with',
];
const COLOUR_AXES: Record<string, number> = { 'red</w>': 0, 'green</w>': 1, 'blue</w>': 2 };
export const TINY_CLIP_EMBED_DIM = 4;
// Small: enough that no embedding is zero, too little to outweigh colour.
const NEUTRAL_TEXT = 0.01;
const NEUTRAL_IMAGE = 0.02;

export interface TinyClipTokenizerJson {
  version: string;
  added_tokens: Array<{ id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }>;
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: { type: 'BPE'; dropout: null; unk_token: string; continuing_subword_prefix: string; end_of_word_suffix: string; fuse_unk: boolean; byte_fallback: boolean; vocab: Record<string, number>; merges: string[] };
}

/** GPT-2's byte → printable character table, in its order (printable bytes first). */
function byteAlphabet(): string[] {
  const printable: number[] = [];
  for (const [lo, hi] of [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]]) for (let b = lo; b <= hi; b++) printable.push(b);
  const chars = printable.map((b) => String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) chars.push(String.fromCharCode(256 + n++));
  return chars;
}

/** Plain BPE: merge the lowest-ranked adjacent pair until none applies. */
function applyMerges(symbols: string[], ranks: Map<string, number>): string[] {
  const out = symbols.slice();
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < out.length - 1; i++) {
      const rank = ranks.get(`${out[i]} ${out[i + 1]}`);
      if (rank !== undefined && rank < bestRank) (bestRank = rank), (best = i);
    }
    if (best < 0) return out;
    out.splice(best, 2, out[best] + out[best + 1]);
  }
}

/** A CLIP-layout tokenizer.json whose words (lower-case ASCII) each encode to one token. */
export function tinyClipTokenizerJson(words: readonly string[] = TINY_CLIP_WORDS): TinyClipTokenizerJson {
  const alphabet = byteAlphabet();
  const tokens = [...alphabet, ...alphabet.map((c) => `${c}</w>`)];
  const merges: string[] = [];
  const ranks = new Map<string, number>();
  for (const word of words) {
    const chars = [...word];
    chars[chars.length - 1] += '</w>';
    // Merges added later rank lower, so they never change how an earlier word splits.
    let symbols = applyMerges(chars, ranks);
    while (symbols.length > 1) {
      const pair = `${symbols[0]} ${symbols[1]}`;
      ranks.set(pair, merges.length);
      merges.push(pair);
      tokens.push(symbols[0] + symbols[1]);
      symbols = [symbols[0] + symbols[1], ...symbols.slice(2)];
    }
  }
  const vocab: Record<string, number> = {};
  for (const t of tokens) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  const special = (content: string) => {
    const id = Object.keys(vocab).length;
    vocab[content] = id;
    return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true };
  };
  const added = [special('<|startoftext|>'), special('<|endoftext|>')];
  return {
    version: '1.0',
    added_tokens: added,
    // As transformers' CLIP converter writes it.
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: ['<|endoftext|>', added[1].id], cls: ['<|startoftext|>', added[0].id], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: '<|endoftext|>', continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges,
    },
  };
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
const tensorInfo = (name: string, elemType: number, dims: Array<number | string>) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } } });
const floats = (name: string, dims: number[], values: number[]) => ({ name, dataType: FLOAT, dims, floatData: values });
const int64s = (name: string, values: number[]) => ({ name, dataType: INT64, dims: [values.length], int64Data: values });

function encodeModel(name: string, graph: Omit<onnx.IGraphProto, 'name'>): Buffer {
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'studioflow-test', opsetImport: [{ domain: '', version: 18 }], graph: { name, ...graph } });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** input_ids, attention_mask [batch, sequence] int64 → text_embeds [batch, 4]: Σ mask · row(token). */
export function tinyClipTextEncoder(vocab: Record<string, number>): Buffer {
  const size = Math.max(...Object.values(vocab)) + 1;
  const rows = new Array<number>(size * TINY_CLIP_EMBED_DIM).fill(0);
  for (let id = 0; id < size; id++) rows[id * TINY_CLIP_EMBED_DIM + 3] = NEUTRAL_TEXT;
  for (const [token, axis] of Object.entries(COLOUR_AXES)) {
    const id = vocab[token];
    rows.fill(0, id * TINY_CLIP_EMBED_DIM, (id + 1) * TINY_CLIP_EMBED_DIM);
    rows[id * TINY_CLIP_EMBED_DIM + axis] = 1;
  }
  return encodeModel('tiny-clip-text', {
    node: [
      { opType: 'Gather', input: ['rows', 'input_ids'], output: ['per_token'], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Cast', input: ['attention_mask'], output: ['mask_f'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { opType: 'Unsqueeze', input: ['mask_f', 'last_axis'], output: ['mask_3d'] },
      { opType: 'Mul', input: ['per_token', 'mask_3d'], output: ['masked'] },
      { opType: 'ReduceSum', input: ['masked', 'sequence_axis'], output: ['text_embeds'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
    ],
    initializer: [floats('rows', [size, TINY_CLIP_EMBED_DIM], rows), int64s('last_axis', [2]), int64s('sequence_axis', [1])],
    input: [tensorInfo('input_ids', INT64, ['batch_size', 'sequence_length']), tensorInfo('attention_mask', INT64, ['batch_size', 'sequence_length'])],
    output: [tensorInfo('text_embeds', FLOAT, ['batch_size', TINY_CLIP_EMBED_DIM])],
  });
}

/** pixel_values [batch, 3, size, size] (CLIP-normalised) → image_embeds [batch, 4]: mean colour, plus neutral. */
export function tinyClipImageEncoder(size = 224, mean: readonly number[] = [0.48145466, 0.4578275, 0.40821073], std: readonly number[] = [0.26862954, 0.26130258, 0.27577711]): Buffer {
  // Rows: input channel; columns: embedding axis (red, green, blue, neutral).
  const projection = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];
  return encodeModel('tiny-clip-vision', {
    node: [
      { opType: 'ReduceMean', input: ['pixel_values', 'spatial_axes'], output: ['channel_means'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] },
      { opType: 'Mul', input: ['channel_means', 'std'], output: ['scaled'] },
      { opType: 'Add', input: ['scaled', 'mean'], output: ['colour'] },
      { opType: 'MatMul', input: ['colour', 'projection'], output: ['projected'] },
      { opType: 'Add', input: ['projected', 'neutral'], output: ['image_embeds'] },
    ],
    initializer: [
      int64s('spatial_axes', [2, 3]),
      floats('std', [3], [...std]),
      floats('mean', [3], [...mean]),
      floats('projection', [3, TINY_CLIP_EMBED_DIM], projection),
      floats('neutral', [TINY_CLIP_EMBED_DIM], [0, 0, 0, NEUTRAL_IMAGE]),
    ],
    input: [tensorInfo('pixel_values', FLOAT, ['batch_size', 3, size, size])],
    output: [tensorInfo('image_embeds', FLOAT, ['batch_size', TINY_CLIP_EMBED_DIM])],
  });
}

/** Writes the tiny encoders and tokenizer into `dir`: an entry for STUDIOFLOW_CLIP_MODELS. */
export async function writeTinyClipModel(dir: string, options: { imageSize?: number; prefix?: string } = {}): Promise<{ imageEncoder: string; textEncoder: string; tokenizer: string; imageSize: number }> {
  const imageSize = options.imageSize ?? 224;
  const prefix = options.prefix ?? 'tiny-clip';
  const tokenizerJson = tinyClipTokenizerJson();
  const files = { imageEncoder: join(dir, `${prefix}-vision.onnx`), textEncoder: join(dir, `${prefix}-text.onnx`), tokenizer: join(dir, `${prefix}-tokenizer.json`) };
  await Promise.all([
    writeFile(files.imageEncoder, tinyClipImageEncoder(imageSize)),
    writeFile(files.textEncoder, tinyClipTextEncoder(tokenizerJson.model.vocab)),
    writeFile(files.tokenizer, JSON.stringify(tokenizerJson)),
  ]);
  return { ...files, imageSize };
}
