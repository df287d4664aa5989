import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTE_BOS_ID, BYTE_EOS_ID, BYTE_VOCAB_SIZE, byteTokenizerJson } from './bytes-json.ts';
import { DATA_DIR, lenmlEncoder } from './testing/reference.ts';
import { Tokenizer } from './tokenizer.ts';

// What slm's ByteTokenizer does, restated here so core needs nothing of slm.
const bytesOf = (text: string) => Array.from(Buffer.from(text, 'utf8'));
const decodeBytes = (ids: number[], skipSpecial: boolean) => {
  let out = '';
  let run: number[] = [];
  for (const i of ids) {
    if (i < 256) run.push(i);
    else {
      out += Buffer.from(run).toString('utf8');
      run = [];
      if (!skipSpecial) out += i === BYTE_BOS_ID ? '<s>' : '</s>';
    }
  }
  return out + Buffer.from(run).toString('utf8');
};

const gsm8k = readFileSync(join(DATA_DIR, 'corpus/gsm8k-train.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 50)
  .map((l) => {
    const r = JSON.parse(l) as { question: string; answer: string };
    return `${r.question}\n${r.answer}`;
  });

const TEXTS = [
  '',
  'Hello, world!',
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
  '  leading and trailing spaces   ',
  'tabs\tand\r\nCRLF\n\n\nblank lines',
  '12345678901234567890 3.14159 -42 1,000,000 $5.00 50%',
  '<<48/2=24>> #### 72',
  'qzxjkvbwpyfgQZXJKVBW#%&@~^|{}<>0123456789',
  "it's we'll they've I'm you'd",
  'café naïve résumé Ελληνικά русский 中文字符 日本語 한국어',
  'emoji 🙂👍🏽 and a ZWJ family 👨‍👩‍👧 and combining e\u0301',
  'control \u0000\u0001\u001f\u007f and non-breaking\u00a0space and soft\u00adhyphen',
  'lone surrogate \ud800 here',
  ...gsm8k,
];

const tmp = mkdtempSync(join(tmpdir(), 'rho-bytes-json-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('byteTokenizerJson', () => {
  const file = join(tmp, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(byteTokenizerJson(), null, 2));
  const loaded = { fromJSON: Tokenizer.fromJSON(byteTokenizerJson()), fromFile: Tokenizer.fromFile(file) };

  for (const [how, tok] of Object.entries(loaded)) {
    it(`${how}: byte b is id b, <s> and </s> are ${BYTE_BOS_ID} and ${BYTE_EOS_ID}`, () => {
      expect(tok.vocabSize).toBe(BYTE_VOCAB_SIZE);
      expect(tok.bosId).toBe(BYTE_BOS_ID);
      expect(tok.eosId).toBe(BYTE_EOS_ID);
      expect(tok.specialIds.sort()).toEqual([BYTE_BOS_ID, BYTE_EOS_ID]);
      const all = String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i));
      expect(tok.encode(all, { addBos: false, addEos: false })).toEqual(Array.from({ length: 128 }, (_, i) => i));
    });

    it(`${how}: encodes every text to its UTF-8 bytes and decodes them back`, () => {
      for (const text of TEXTS) {
        const ids = bytesOf(text);
        expect(tok.encode(text, { addBos: false, addEos: false }), text).toEqual(ids);
        expect(tok.encode(text, { addBos: true, addEos: false }), text).toEqual([BYTE_BOS_ID, ...ids]);
        expect(tok.encode(text, { addBos: true, addEos: true }), text).toEqual([BYTE_BOS_ID, ...ids, BYTE_EOS_ID]);
        // default (Hugging Face's add_special_tokens): <s> first, as every prepared document starts
        expect(tok.encode(text), text).toEqual([BYTE_BOS_ID, ...ids]);
        expect(tok.decode(ids), text).toBe(decodeBytes(ids, false));
        expect(tok.decode([BYTE_BOS_ID, ...ids, BYTE_EOS_ID], { skipSpecial: true }), text).toBe(decodeBytes(ids, true));
        expect(tok.decode([BYTE_BOS_ID, ...ids, BYTE_EOS_ID]), text).toBe(decodeBytes([BYTE_BOS_ID, ...ids, BYTE_EOS_ID], false));
        if (!text.includes('\ud800')) expect(tok.decode(ids)).toBe(text);
      }
    });

    it(`${how}: decodes arbitrary byte runs (cut characters, invalid UTF-8) as a UTF-8 decoder does`, () => {
      let s = 7;
      const next = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 8) % 258;
      for (let n = 0; n < 200; n++) {
        const ids = Array.from({ length: 1 + (n % 17) }, next);
        expect(tok.decode(ids), ids.join(',')).toBe(decodeBytes(ids, false));
        expect(tok.decode(ids, { skipSpecial: true }), ids.join(',')).toBe(decodeBytes(ids, true));
      }
      const euro = bytesOf('€'); // three bytes, split by a special token
      expect(tok.decode([euro[0]!, euro[1]!, BYTE_EOS_ID, euro[2]!])).toBe(decodeBytes([euro[0]!, euro[1]!, BYTE_EOS_ID, euro[2]!], false));
    });

    it(`${how}: special-token text is the special id by default, bytes when specials are not parsed`, () => {
      expect(tok.encode('a<s>b</s>', { addBos: false, addEos: false })).toEqual([97, BYTE_BOS_ID, 98, BYTE_EOS_ID]);
      expect(tok.encode('a<s>b</s>', { addBos: false, addEos: false, parseSpecial: false })).toEqual(bytesOf('a<s>b</s>'));
    });
  }

  it('transformers.js reads the file the same way (an independent tokenizer.json implementation)', () => {
    const encode = lenmlEncoder(byteTokenizerJson());
    for (const text of TEXTS) expect(encode(text), text).toEqual([BYTE_BOS_ID, ...bytesOf(text)]);
  });
});
