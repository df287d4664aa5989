import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../extract/answer.ts';
import { parseGroundTruth } from '../../groundtruth/parse.ts';
import { loadExamples } from '../load.ts';
import { constructPrompt } from '../../prompts/construct.ts';
import { arithDocuments } from './corpus.ts';
import { ARITH_DEFAULTS, arithRecords, demoProblems, generateProblems, heldOutQuestions, writeArith } from './generate.ts';
import { cotText, program, toraText } from './problem.ts';
import { TEMPLATES } from './templates.ts';

describe('arith generator', () => {
  it('is deterministic per seed and stream, and streams differ', () => {
    const a = generateProblems({ seed: 5, count: 50, stream: 'test' });
    expect(generateProblems({ seed: 5, count: 50, stream: 'test' })).toEqual(a);
    const b = generateProblems({ seed: 5, count: 50, stream: 'train' });
    expect(b.map((p) => p.question)).not.toEqual(a.map((p) => p.question));
    expect(new Set(a.map((p) => p.question)).size).toBe(50);
  });

  it('covers every template, one to three steps', () => {
    const ps = generateProblems({ seed: 1, count: 400, stream: 'test' });
    expect(new Set(ps.map((p) => p.template))).toEqual(new Set(TEMPLATES.map((t) => t.id)));
    expect(new Set(TEMPLATES.map((t) => t.steps))).toEqual(new Set([1, 2, 3]));
    for (const p of ps) expect(p.calcs.length).toBe(TEMPLATES.find((t) => t.id === p.template)!.steps);
  });

  it('training problems never repeat a test or demo question', () => {
    const held = heldOutQuestions(1, 500);
    const train = arithRecords('train', { seed: 1, test: 500, train: 2000 });
    expect(train.filter((r) => held.has(r.question as string))).toEqual([]);
    for (const kind of ['cot', 'pal', 'tora'] as const) for (const d of demoProblems(1, kind)) expect(held.has(d.question)).toBe(true);
  });

  it("every form states the same answer: GSM8K's marker, the cot sentence, and python running the program", () => {
    const ps = generateProblems({ seed: 3, count: 60, stream: 'test' });
    const script = ps.map((p, i) => `print("${i}", end=" ")\n${program(p)}`).join('');
    const printed = execFileSync('python3', ['-c', script], { encoding: 'utf8' }).trim().split('\n');
    ps.forEach((p, i) => {
      const rec = arithRecords('test', { seed: 3, test: 60, train: 0 })[i]!;
      expect(parseGroundTruth(rec, 'arith').gt).toBe(String(p.answer));
      expect(extractAnswer(cotText(p), 'arith')).toBe(String(p.answer));
      expect(extractAnswer(toraText(p), 'arith')).toBe(String(p.answer));
      expect(printed[i]).toBe(`${i} ${p.answer}`);
    });
  });

  it('corpus documents: cot blocks shaped like the few-shot prompt, and one tora document per problem', () => {
    const ps = generateProblems({ seed: 2, count: 6, stream: 'train' });
    const docs = arithDocuments(ps);
    expect(docs).toHaveLength(2 + 6);
    expect(docs[0]).toBe([ps[0]!, ps[1]!, ps[2]!].map(cotText).join('\n\n\n'));
    expect(docs[1]!.startsWith(constructPrompt({ question: ps[0]!.question, dataName: 'arith' }, 'tora', '/nonexistent'))).toBe(true);
  });

  it('is a dataset like the others: built in, or read from the files `writeArith` lays out', () => {
    const builtIn = loadExamples('arith', '/nonexistent');
    expect(builtIn).toHaveLength(ARITH_DEFAULTS.test);
    const dir = mkdtempSync(join(tmpdir(), 'rho-arith-'));
    try {
      const files = writeArith(dir, { seed: 9, test: 20, train: 30 });
      expect(files.map((f) => f.slice(dir.length))).toEqual([
        '/data/arith/test.jsonl',
        '/data/arith/train.jsonl',
        '/prompts/cot/arith.md',
        '/prompts/pal/arith.md',
        '/prompts/tora/arith.md',
      ]);
      const fromFiles = loadExamples('arith', dir);
      expect(fromFiles).toHaveLength(20);
      expect(fromFiles[0]!.question).not.toBe(builtIn[0]!.question);
      const prompt = constructPrompt(fromFiles[0]!, 'cot', dir);
      expect(prompt.startsWith(readFileSync(join(dir, 'prompts/cot/arith.md'), 'utf8').trim())).toBe(true);
      expect(prompt.endsWith(`Question: ${fromFiles[0]!.question}\nAnswer:`)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
