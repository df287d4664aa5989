import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * The CPU and the instruction sets that decide BF16 speed, e.g. `AMD EPYC 9R14, avx512f avx512_bf16,
 * no AMX`: machines differ, and a figure means little without them.
 */
export function cpuIsa(): string {
  let flags = new Set<string>();
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = new Set(/^flags\s*:\s*(.*)$/m.exec(info)?.[1]?.split(/\s+/) ?? []);
  } catch {
    // not Linux: the model name alone
  }
  const has = ['avx2', 'avx512f', 'avx512_bf16', 'amx_bf16'].filter((f) => flags.has(f));
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${model}, ${cpus().length} CPUs, ${has.join(' ') || 'no AVX'}${flags.size && !flags.has('amx_bf16') ? ', no AMX' : ''}`;
}
