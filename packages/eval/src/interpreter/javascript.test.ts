import { describe, expect, it } from 'vitest';
import { runJavascript } from './javascript.ts';

describe('runJavascript (vm2)', () => {
  it('returns console output for tora and solution() for pal', () => {
    expect(runJavascript('console.log(6 * 7)\nconsole.log("x", [1, 2])', 'tora', 1)).toMatchObject({
      output: '42\nx [ 1, 2 ]',
      report: 'Done',
      isolation: 'vm2',
    });
    expect(runJavascript('function solution() { return 7 / 2 }', 'pal', 1)).toMatchObject({ output: '3.5', result: '3.5', report: 'Done' });
  });
  it('reports errors as "Name: message" and drops the output, as the Python harness does', () => {
    expect(runJavascript('console.log(1); x.y', 'tora', 1)).toMatchObject({ output: 'ReferenceError: x is not defined', result: '' });
  });
  it('gives no host access', () => {
    for (const code of ['require("fs")', 'process.exit(1)', 'import("fs")', 'this.constructor.constructor("return process")().exit(1)']) {
      const r = runJavascript(code, 'tora', 1);
      expect(r.report, code).not.toBe('Done');
    }
  });
  it('stops an infinite loop at the limit and caps output', () => {
    expect(runJavascript('while (true) {}', 'tora', 0.2)).toMatchObject({ report: 'Timeout Error', timedOut: true });
    expect(runJavascript('for (;;) console.log("x".repeat(10000))', 'tora', 5).report).toMatch(/^OutputLimitError/);
  });
});
