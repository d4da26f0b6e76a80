import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPermanentError } from '@studioflow/runtime/contract';
import { tinyClipTokenizerJson } from '../testing/tiny-clip';
import { loadClipTokenizer, type ClipTokenizer } from './clip-tokenizer';

describe('CLIP tokenizer from a tokenizer.json', () => {
  let dir: string;
  let tokenizer: ClipTokenizer;
  const json = tinyClipTokenizerJson();
  const id = (token: string) => json.model.vocab[token];
  const START = id('<|startoftext|>');
  const END = id('<|endoftext|>');
  const ids = (text: string) => {
    const e = tokenizer.encode(text);
    return Array.from(e.inputIds.slice(0, e.length), Number);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-clip-tok-'));
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json));
    tokenizer = await loadClipTokenizer(join(dir, 'tokenizer.json'), 77);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('lays the byte alphabet out as OpenAI\'s vocab does: "a" 64, "a</w>" 320, "!</w>" 256, ".</w>" 269', () => {
    assert.deepEqual([id('a'), id('a</w>'), id('!</w>'), id('.</w>')], [64, 320, 256, 269]);
  });

  it('encodes known words to one token each between start and end', () => {
    assert.deepEqual(ids('a red shoe'), [START, 320, id('red</w>'), id('shoe</w>'), END]);
  });

  it('lower-cases and collapses whitespace; punctuation is its own end-of-word token', () => {
    assert.deepEqual(ids('  A  RED\n\tshoe. '), [START, 320, id('red</w>'), id('shoe</w>'), 269, END]);
  });

  it('splits like CLIP: contractions apart, one digit at a time, unknown words into merged pieces', () => {
    assert.deepEqual(ids("xyz's 42!"), [START, id('x'), id('y'), id('z</w>'), id("'"), id('s</w>'), id('4</w>'), id('2</w>'), id('!</w>'), END]);
    // "redder" has no token of its own: the merges of "red" apply, the rest stays in letters.
    assert.deepEqual(ids('redder'), [START, id('re'), id('d'), id('d'), id('e'), id('r</w>'), END]);
  });

  it('pads with the end token to 77 with an attention mask of the real tokens', () => {
    const e = tokenizer.encode('a blue mug');
    assert.equal(e.inputIds.length, 77);
    assert.equal(e.length, 5);
    assert.equal(e.truncated, false);
    assert.deepEqual(Array.from(e.attentionMask.slice(0, 7), Number), [1, 1, 1, 1, 1, 0, 0]);
    assert.ok(e.inputIds.slice(5).every((v) => v === BigInt(END)));
  });

  it('truncates a long text to 75 tokens and keeps the end token last', () => {
    const e = tokenizer.encode('red '.repeat(100));
    assert.equal(e.truncated, true);
    assert.equal(e.length, 77);
    assert.equal(Number(e.inputIds[0]), START);
    assert.equal(Number(e.inputIds[75]), id('red</w>'));
    assert.equal(Number(e.inputIds[76]), END);
    assert.ok(e.attentionMask.every((v) => v === 1n));
  });

  it('refuses a missing file and a file that is not a CLIP BPE tokenizer, with permanent errors', async () => {
    await assert.rejects(loadClipTokenizer(join(dir, 'nowhere.json'), 77), (err: Error) => isPermanentError(err) && /tokenizer file not found/.test(err.message));
    await writeFile(join(dir, 'wordpiece.json'), JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
    await assert.rejects(loadClipTokenizer(join(dir, 'wordpiece.json'), 77), (err: Error) => isPermanentError(err) && /not a CLIP BPE tokenizer\.json/.test(err.message));
  });
});
