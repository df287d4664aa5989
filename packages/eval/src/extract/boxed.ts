/**
 * The harness's \boxed reading: the text after the LAST "boxed", up to the brace that closes the
 * first one (nested braces counted); without a brace, everything up to the next '$'.
 */
import { pyStrip } from '../normalize/python.ts';

export function lastBoxedContent(text: string): string | null {
  const at = text.lastIndexOf('boxed');
  if (at < 0) return null;
  const ans = text.slice(at + 'boxed'.length);
  if (ans.length === 0) return '';
  if (ans[0] === '{') {
    let depth = 1;
    let out = '';
    for (const c of ans.slice(1)) {
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) break;
      }
      out += c;
    }
    return out;
  }
  return pyStrip(ans.split('$')[0]!);
}
