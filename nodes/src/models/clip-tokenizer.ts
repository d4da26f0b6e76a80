import { readFile } from 'node:fs/promises';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import type { Tokenizer } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };

export const CLIP_START = '<|startoftext|>';
export const CLIP_END = '<|endoftext|>';

/** A text as the CLIP text encoder takes it: exactly `contextLength` ids, int64 like the HF exports. */
export interface ClipTokens {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** Real tokens, start and end included (the rest is padding). */
  length: number;
  /** Whether the text had more tokens than fit and its tail was dropped. */
  truncated: boolean;
}

export interface ClipTokenizer {
  readonly contextLength: number;
  encode(text: string): ClipTokens;
}

/**
 * CLIP's byte-level BPE from a Hugging Face `tokenizer.json` (model.vocab + model.merges, `</w>` at
 * the end of a word, the CLIP split regex, NFC + whitespace + lower-case normaliser), run by
 * @huggingface/tokenizers. The text is cleaned as OpenAI's tokenizer does (whitespace collapsed,
 * lower-cased) before the file's own normaliser. Then `<|startoftext|> … <|endoftext|>`, truncated to
 * `contextLength` (the end token kept) and padded with `<|endoftext|>`, as the HF CLIP tokenizer pads;
 * the attention mask marks the real tokens.
 */
export async function loadClipTokenizer(path: string, contextLength: number): Promise<ClipTokenizer> {
  let json: { model?: { type?: string; vocab?: Record<string, number>; merges?: unknown[]; end_of_word_suffix?: string }; added_tokens?: Array<{ id: number; content: string }> };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PermanentNodeError(code === 'ENOENT' ? `CLIP tokenizer file not found: ${path}` : `CLIP tokenizer ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const model = json.model;
  if (model?.type !== 'BPE' || !model.vocab || !Array.isArray(model.merges) || model.end_of_word_suffix !== '</w>') {
    throw new PermanentNodeError(`CLIP tokenizer ${path} is not a CLIP BPE tokenizer.json (expected model.type BPE with vocab, merges and end_of_word_suffix "</w>")`);
  }
  const idOf = (token: string) => model.vocab![token] ?? json.added_tokens?.find((t) => t.content === token)?.id;
  const start = idOf(CLIP_START);
  const end = idOf(CLIP_END);
  if (start === undefined || end === undefined) throw new PermanentNodeError(`CLIP tokenizer ${path} has no ${CLIP_START} / ${CLIP_END} tokens`);

  // ESM-only typings; the package ships a CommonJS build too, but a dynamic import keeps the types sound.
  const { Tokenizer: HfTokenizer } = await import('@huggingface/tokenizers');
  let tokenizer: Tokenizer;
  try {
    tokenizer = new HfTokenizer(json, {});
  } catch (err) {
    throw new PermanentNodeError(`CLIP tokenizer ${path} could not be loaded: ${(err as Error).message}`);
  }
  return {
    contextLength,
    encode(text) {
      const cleaned = text.replace(/\s+/g, ' ').trim().toLowerCase();
      const content = tokenizer.encode(cleaned, { add_special_tokens: false }).ids;
      const room = contextLength - 2;
      const kept = content.slice(0, room);
      const ids = [start, ...kept, end];
      const inputIds = new BigInt64Array(contextLength).fill(BigInt(end));
      const attentionMask = new BigInt64Array(contextLength);
      ids.forEach((id, i) => {
        inputIds[i] = BigInt(id);
        attentionMask[i] = 1n;
      });
      return { inputIds, attentionMask, length: ids.length, truncated: content.length > room };
    },
  };
}
