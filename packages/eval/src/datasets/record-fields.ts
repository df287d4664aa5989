/**
 * Field access for ground-truth rules: a missing or mistyped field is a BAD_INPUT that names
 * the benchmark and the field, as parse_ground_truth's KeyError would.
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { pyFloatRepr, pyStr } from '../normalize/python.ts';
import type { RawRecord } from './types.ts';

export function field(record: RawRecord, key: string, dataName: string): unknown {
  if (!(key in record)) {
    throw new RhoError('BAD_INPUT', `${dataName} record has no "${key}" field`, { field: key, expected: key, got: Object.keys(record).join(', ') });
  }
  return record[key];
}

export function textField(record: RawRecord, key: string, dataName: string): string {
  const v = field(record, key, dataName);
  if (typeof v !== 'string')
    throw new RhoError('BAD_INPUT', `${dataName} record field "${key}" is not a string`, { field: key, expected: 'string', got: typeof v });
  return v;
}

/** A JSON number that Python's json.loads would have made a float (these fields always are). */
export function floatStr(v: unknown): string {
  return typeof v === 'number' ? pyFloatRepr(v) : pyStr(v);
}
