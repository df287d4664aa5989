import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyChecksums, writeChecksums } from './checksums.ts';

describe('checkpoint checksums', () => {
  it('accept the files as written and name a changed, missing or extra file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sums-'));
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'model.safetensors'), 'weights');
    writeChecksums(dir);
    expect(() => verifyChecksums(dir)).not.toThrow();
    writeFileSync(join(dir, 'model.safetensors'), 'weightz');
    expect(() => verifyChecksums(dir)).toThrow(/does not match its checksum/);
    writeChecksums(dir);
    writeFileSync(join(dir, 'stray.json'), '{}');
    expect(() => verifyChecksums(dir)).toThrow(/not in its checksums/);
  });
});
