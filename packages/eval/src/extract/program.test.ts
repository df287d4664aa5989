import { describe, expect, it } from 'vitest';
import { extractProgram, extractProgramOutput } from './program.ts';
import { runExecute } from './run-execute.ts';

const TORA = 'Let me compute.\n```python\nprint(6*7)\n```\n```output\n42\n```\nSo the result is $\\boxed{42}$.';

describe('extractProgramOutput', () => {
  it.each([
    [TORA, '42'],
    ['```output\n1\n```\ntext\n```output\n2\n3\n```', '2\n3'],
    ['no blocks here', ''],
    ['```output\nunterminated', ''],
    ['```output\n\n```', ''],
  ])('%#', (text, out) => {
    expect(extractProgramOutput(text)).toBe(out);
  });
});

describe('extractProgram', () => {
  it('takes the last python block', () => {
    expect(extractProgram('```python\na=1\n```\n```python\nb=2\nprint(b)\n```')).toBe('b=2\nprint(b)\n');
  });
  it('is empty without a python block', () => {
    expect(extractProgram('```\nx\n```')).toBe('');
  });
});

describe('runExecute', () => {
  it('reads tora answers from the text (\\boxed wins over the output block)', () => {
    expect(runExecute(TORA, 'tora', 'gsm8k').pred).toBe('42');
  });
  it('falls back to the last number, which may come from the output block', () => {
    expect(runExecute('```python\nprint(5)\n```\n```output\n5.0\n```', 'tora', 'gsm8k').pred).toBe('5');
  });
  it('gives None for an empty or "error" completion', () => {
    expect(runExecute('', 'cot', 'gsm8k').pred).toBeNull();
    expect(runExecute('error', 'cot', 'gsm8k').pred).toBeNull();
    expect(runExecute(null, 'cot', 'gsm8k').pred).toBeNull();
  });
  it('reads the output block for program_only prompts', () => {
    expect(runExecute(TORA, 'tora_program_only', 'gsm8k').pred).toBe('42');
  });
  it('runs pal programs through the given executor, normalising its result', () => {
    const seen: string[] = [];
    const r = runExecute('```python\ndef solution():\n    return 3\n```', 'pal', 'gsm8k', (program) => {
      seen.push(program);
      return { prediction: '3.0', report: 'Done' };
    });
    expect(seen).toEqual(['def solution():\n    return 3\n']);
    expect(r).toEqual({ pred: '3', report: 'Done' });
  });
  it('refuses pal without an executor', () => {
    expect(() => runExecute('```python\nx\n```', 'pal', 'gsm8k')).toThrow(/executor/);
  });
});
