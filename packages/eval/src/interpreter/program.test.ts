import { describe, expect, it } from 'vitest';
import { extractLastProgram } from './program.ts';
import { recordedRounds } from '../runners/rounds.ts';

describe('extractLastProgram', () => {
  it('takes the last ```python block, as the harness does', () => {
    const text = 'a\n```python\nx = 1\n```\n```output\n1\n```\n```python\nprint(2)\n```\nend';
    expect(extractLastProgram(text)).toEqual({ code: 'print(2)\n', lang: 'python' });
  });
  it('runs an unclosed block to the end and accepts ```python3-style openers', () => {
    expect(extractLastProgram('```python3\nprint(1)\nprint(2)')).toEqual({ code: 'print(1)\nprint(2)\n', lang: 'python' });
  });
  it('only opens on a line that starts with the fence', () => {
    expect(extractLastProgram('Q```python\nprint(1)\n```')).toEqual({ code: '', lang: 'python' });
  });
  it('recognizes javascript and js fences but not json', () => {
    expect(extractLastProgram('```js\nconsole.log(1)\n```')).toEqual({ code: 'console.log(1)\n', lang: 'javascript' });
    expect(extractLastProgram('```javascript\nlet a\n```')).toEqual({ code: 'let a\n', lang: 'javascript' });
    expect(extractLastProgram('```json\n{}\n```')).toEqual({ code: '', lang: 'python' });
  });
});

describe('recordedRounds', () => {
  it('pairs each output block with the program written before it', () => {
    const c = '```python\nprint(1)\n```\n```output\n1\n```\ntext\n```python\nprint("a\\nb")\n```\n```output\na\nb\n```\n\\boxed{1}';
    expect(recordedRounds(c)).toEqual([
      { program: { code: 'print(1)\n', lang: 'python' }, output: '1' },
      { program: { code: 'print("a\\nb")\n', lang: 'python' }, output: 'a\nb' },
    ]);
  });
});
