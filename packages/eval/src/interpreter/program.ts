import type { Program } from './types.ts';

const JS_FENCE = /^```(?:javascript|js)(?![\w-])/;

/**
 * The last program in a completion, as the harness's extract_program finds it (a line starting
 * with ```python opens a block, any other line starting with ``` closes it, the last block wins;
 * an unclosed block runs to the end), extended to ```javascript / ```js blocks. No block: an
 * empty Python program, which the harness also runs.
 */
export function extractLastProgram(text: string): Program {
  let code = '';
  let lang: Program['lang'] = 'python';
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```python')) {
      code = '';
      lang = 'python';
      inside = true;
    } else if (JS_FENCE.test(line)) {
      code = '';
      lang = 'javascript';
      inside = true;
    } else if (line.startsWith('```')) {
      inside = false;
    } else if (inside) {
      code += `${line}\n`;
    }
  }
  return { code, lang };
}
