import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointFingerprint } from './fingerprint.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rho-fingerprint-'));
  dirs.push(d);
  return d;
}

describe('checkpointFingerprint of a single-file (GGUF) checkpoint', () => {
  it('follows the bytes, not the name or the folder', () => {
    const a = tmp();
    const b = tmp();
    const bytes = Buffer.from('GGUF\x03\x00\x00\x00 weights');
    writeFileSync(join(a, 'model.gguf'), bytes);
    writeFileSync(join(b, 'renamed.gguf'), bytes);
    writeFileSync(join(b, 'other.gguf'), Buffer.from('GGUF\x03\x00\x00\x00 weightz'));
    expect(checkpointFingerprint(join(a, 'model.gguf'))).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(checkpointFingerprint(join(b, 'renamed.gguf'))).toBe(checkpointFingerprint(join(a, 'model.gguf')));
    expect(checkpointFingerprint(join(b, 'other.gguf'))).not.toBe(checkpointFingerprint(join(a, 'model.gguf')));
  });
  it('still requires config.json in a directory', () => {
    expect(() => checkpointFingerprint(tmp())).toThrow(/config\.json/);
  });
});
