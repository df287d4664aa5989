import { basename, dirname } from 'node:path';

/**
 * The Python harness's output layout: `<out>/<data>/test_<prompt>_<n>_seed<s>_t<temp>_s<start>_e<end>.jsonl`,
 * with metrics beside it as `<stem>_<prompt>_metrics.json`.
 */
export interface OutputName {
  split: string;
  promptType: string;
  numTestSample: number;
  seed: number;
  temperature: string;
  start: number;
  end: number;
}

// The prompt type may itself hold underscores (e.g. `wizard_zs`), so everything after it is anchored.
const NAME_RE = /^([a-z0-9]+)_(.+?)_(-?\d+)_seed(\d+)_t([\d.]+)_s(\d+)_e(-?\d+)\.jsonl$/;

export function parseOutputName(fileName: string): OutputName | undefined {
  const m = NAME_RE.exec(fileName);
  if (!m) return undefined;
  return {
    split: m[1]!,
    promptType: m[2]!,
    numTestSample: Number(m[3]),
    seed: Number(m[4]),
    temperature: m[5]!,
    start: Number(m[6]),
    end: Number(m[7]),
  };
}

export function formatOutputName(n: OutputName): string {
  return `${n.split}_${n.promptType}_${n.numTestSample}_seed${n.seed}_t${n.temperature}_s${n.start}_e${n.end}.jsonl`;
}

/** `<stem>_<prompt>_metrics.json` beside the outputs file. */
export function metricsPathFor(outputsPath: string, promptType: string): string {
  const stem = basename(outputsPath).replace(/\.jsonl$/, '');
  return `${dirname(outputsPath)}/${stem}_${promptType}_metrics.json`;
}

/** Dataset and prompt type as the layout implies them; either may be missing. */
export function inferFromPath(path: string): { data?: string; promptType?: string } {
  const parsed = parseOutputName(basename(path));
  return { data: parsed ? basename(dirname(path)) : undefined, promptType: parsed?.promptType };
}
