/**
 * Commands that read `-` read standard input to its end, however the writer delivers it: here a
 * Python parent writes a few bytes, pauses, then the rest a few bytes at a time, multi-byte
 * characters split across writes.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { NODE_TS, run } from './cli.ts';

// The read end is made non-blocking, as a Node parent (pnpm itself) leaves an inherited pipe, and
// the writer waits until the reader has taken its first bytes before sending the rest: a reader
// that does not wait for the end of the stream fails here.
const SLOW_WRITER = `
import array, fcntl, os, subprocess, sys, termios, time
data = sys.stdin.buffer.read()

def unread(fd):
    n = array.array('i', [0])
    fcntl.ioctl(fd, termios.FIONREAD, n)
    return n[0]

r, w = os.pipe()
os.set_blocking(r, False)
p = subprocess.Popen(sys.argv[1:], stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
os.close(r)
try:
    os.write(w, data[:5])
    # once the reader has taken the first bytes it is reading: the pipe is then empty for a while
    deadline = time.time() + 60
    while unread(w) > 0 and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    for i in range(5, len(data), 5):
        os.write(w, data[i:i + 5])
        time.sleep(0.003)
except BrokenPipeError:
    pass
os.close(w)
out = p.stdout.read()
err = p.stderr.read()
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(p.wait())
`;

const evalCli = [process.execPath, ...NODE_TS, resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts')];
const slowly = (args: string[], input: string) => run('python3', ['-c', SLOW_WRITER, ...evalCli, ...args], { input });

describe('reading - from a slow writer', { timeout: 300_000 }, () => {
  it('pnpm eval equal - and pnpm eval exec -: 20 runs each, every one complete', async () => {
    const pairs = `${['{"pred": "1/2", "gt": "0.5", "note": "αβγ"}', '{"pred": "\\\\frac{3}{4}", "gt": "0.75"}', '{"pred": "7", "gt": "8"}'].join('\n')}\n`;
    const program = '# ünïcode comment\nx = 6 * 7\nprint(x)\n';
    // five at a time: most of each run is the writer's pause
    const once = async () => {
      const e = await slowly(['equal', '-'], pairs);
      expect(e.status, e.stderr).toBe(0);
      expect(
        e.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).equal),
      ).toEqual([true, true, false]);
      expect(JSON.parse(e.stdout.split('\n')[0]!).note).toBe('αβγ');
      const x = await slowly(['exec', '-', '--isolation', 'rlimits'], program);
      expect(x.status, x.stderr).toBe(0);
      expect(JSON.parse(x.stdout).output).toBe('42');
    };
    for (let i = 0; i < 20; i += 5) await Promise.all(Array.from({ length: 5 }, once));
  });
});
