/**
 * Our safetensors files against an independent implementation: Python's struct module (its 'e'
 * format is IEEE half precision with round-to-nearest-even) reading what we write and writing
 * what we read, with real python3.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors, type SafeTensor } from '@rho/core';

const tmp = mkdtempSync(join(tmpdir(), 'st-py-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PY_READ = `
import json, struct, sys
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
out = {}
for name, e in h.items():
    if name == '__metadata__':
        out[name] = e
        continue
    a, z = e['data_offsets']
    raw = b[8 + n + a: 8 + n + z]
    if e['dtype'] == 'F32':
        vals = list(struct.unpack('<%df' % (len(raw) // 4), raw))
    elif e['dtype'] == 'F16':
        vals = list(struct.unpack('<%de' % (len(raw) // 2), raw))
    else:  # BF16: the high half of a float32
        vals = [struct.unpack('<f', struct.pack('<I', u << 16))[0] for u in struct.unpack('<%dH' % (len(raw) // 2), raw)]
    out[name] = {'dtype': e['dtype'], 'shape': e['shape'], 'values': vals}
print(json.dumps(out))
`;

const PY_WRITE = `
import json, struct, sys
vals = json.loads(sys.argv[2])
f32 = struct.pack('<%df' % len(vals), *vals)
f16 = struct.pack('<%de' % len(vals), *vals)
header = {'a': {'dtype': 'F32', 'shape': [len(vals)], 'data_offsets': [0, len(f32)]},
          'b': {'dtype': 'F16', 'shape': [1, len(vals)], 'data_offsets': [len(f32), len(f32) + len(f16)]}}
hb = json.dumps(header).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(hb)) + hb + f32 + f16)
`;

async function python(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return stdout;
}

// values with bits below half precision, so rounding matters
const values = Float32Array.from({ length: 200 }, (_, i) => Math.fround((Math.sin(i * 12.9898) * 43758.5453) % 7) * (i % 3 ? 1 : 1e-3));

describe('safetensors against Python struct', () => {
  it('Python reads what we write, in every dtype', async () => {
    const p = join(tmp, 'ours.safetensors');
    const tensors = new Map<string, SafeTensor>([
      ['x.f32', { dtype: 'F32', shape: [10, 20], data: values }],
      ['x.f16', { dtype: 'F16', shape: [200], data: values }],
      ['x.bf16', { dtype: 'BF16', shape: [2, 100], data: values }],
    ]);
    writeSafetensors(p, tensors, { format: 'pt' });
    const py = JSON.parse(await python(PY_READ, p)) as Record<string, { dtype: string; shape: number[]; values: number[] }>;
    expect(py.__metadata__).toEqual({ format: 'pt' });
    const ours = readSafetensors(p);
    for (const [name, t] of tensors) {
      expect(py[name]!.shape).toEqual(t.shape);
      expect(py[name]!.values).toEqual([...ours.get(name)!.data]);
    }
    expect(py['x.f32']!.values).toEqual([...values]);
    // F16 keeps 11 significant bits: what we wrote is within half an ulp of the input
    py['x.f16']!.values.forEach((v, i) => expect(Math.abs(v - values[i]!)).toBeLessThanOrEqual(Math.abs(values[i]!) * 2 ** -11 + 2 ** -25));
  });

  it('we read what Python writes; our F16 rounding equals that of Python', async () => {
    const p = join(tmp, 'theirs.safetensors');
    await python(PY_WRITE, p, JSON.stringify([...values]));
    const t = readSafetensors(p);
    expect([...t.get('a')!.data]).toEqual([...values]);
    expect(t.get('b')!.shape).toEqual([1, 200]);
    // re-encode our F32 values as F16 with our writer: same bytes as Python's struct 'e'
    const mine = join(tmp, 'mine.safetensors');
    writeSafetensors(mine, new Map([['b', { dtype: 'F16', shape: [1, 200], data: values }]]));
    expect([...readSafetensors(mine).get('b')!.data]).toEqual([...t.get('b')!.data]);
  });
});
