import { createHash } from 'node:crypto';

/**
 * The random stream of a sample is named by what the sample is, never by when or beside what it
 * ran: (run seed, dataset, problem idx, sample number), and for the tool loop's later model calls
 * the call number too. A resumed, re-batched or differently parallel run therefore samples every
 * completion exactly as an uninterrupted one does.
 */
function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

export function sampleSeed(seed: number, data: string, idx: number, sample: number): number {
  return hash32(`rho-sample\0${seed}\0${data}\0${idx}\0${sample}`);
}

/** The seed of a sample's `call`-th model call (0: the sample's own seed). */
export function callSeed(sample: number, call: number): number {
  return call === 0 ? sample : hash32(`rho-call\0${sample}\0${call}`);
}
