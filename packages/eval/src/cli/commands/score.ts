import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { progressBar, resolveDataDir, toJsonl, writeFileAtomic, writeJsonAtomic } from '@rho/core/base';
import { metricsPathFor } from '../../outputs/layout.ts';
import { metricsFile, runFactsBeside, type RunFacts } from '../../outputs/metrics-file.ts';
import { collectOutputFiles } from '../../score/collect.ts';
import { scoreFile, type ScoredFile } from '../../score/score-file.ts';
import { graderOptions, parseGraderOptions, type GraderFlags } from '../grader-options.ts';
import type { Dedupe } from '../../score/score-input.ts';

interface ScoreOptions extends GraderFlags {
  data?: string;
  promptType?: string;
  out?: string;
  dataDir?: string;
  dedupe?: Dedupe;
}

const cmd = new Command('score')
  .description(
    're-score model outputs as the Python harness does: predictions from `code`, ground truth from the dataset (stored pred/gt/score ignored); ' +
      "the run's own figures (time, tokens, model) are kept from the metrics file beside each input",
  )
  .argument('<outputs>', 'an outputs .jsonl file, or a directory searched for test_<prompt>_..._e<end>.jsonl files')
  .option('--data <name>', 'dataset (default: the folder holding the file)')
  .option('--prompt-type <type>', 'cot | tora | pal | direct (default: from the file name)')
  .option('--out <dir>', 'where re-scored files go, with the same relative layout (default: a rescored/ folder beside the input)')
  .option('--data-dir <dir>', 'data directory (default: $RHO_DATA_DIR, else data/upstream)')
  .addOption(
    new Option('--dedupe <which>', 'accept an idx on several lines, keeping its first or last sample (default: an error naming the lines)').choices([
      'first',
      'last',
    ]),
  );
for (const o of graderOptions()) cmd.addOption(o);

export default cmd.action(async (input: string, opts: ScoreOptions) => {
  const { grader, strict } = parseGraderOptions(opts);
  // a file of a built-in benchmark scores without any data directory; others fail naming their file
  const dataDir = resolveDataDir(opts.dataDir, process.env, { mayBeMissing: true });
  const { files, defaultOut } = collectOutputFiles(input);
  const outRoot = resolve(opts.out ?? defaultOut);

  // Score everything before writing anything, so bad input leaves no partial output behind.
  const scored: Array<ScoredFile & { rel: string; run: RunFacts }> = [];
  for (const f of files) {
    let bar: ReturnType<typeof progressBar> | undefined;
    const res = await scoreFile({
      file: f.path,
      dataDir,
      data: opts.data,
      promptType: opts.promptType,
      grader,
      strict,
      dedupe: opts.dedupe,
      onRecord: (done, total) => (bar ??= progressBar(f.rel, total, { minTotal: 200 })).update(done),
    });
    bar?.stop();
    scored.push({ ...res, rel: f.rel, run: runFactsBeside(f.path, res.promptType) });
  }
  for (const s of scored) {
    const outPath = join(outRoot, s.rel);
    writeFileAtomic(outPath, toJsonl(s.records));
    writeJsonAtomic(metricsPathFor(outPath, s.promptType), metricsFile(s.metrics, s.run));
    const m = s.metrics;
    const accs =
      grader === 'both'
        ? `harness ${m.acc.toFixed(1).padStart(5)}  strict ${(m.strict_acc ?? 0).toFixed(1).padStart(5)}  disagreements ${m.disagreements}`
        : `acc ${m.acc.toFixed(1).padStart(5)}${grader === 'strict' ? ' (strict)' : ''}`;
    console.log(
      `${s.data.padEnd(13)} ${s.promptType.padEnd(5)} ${accs}  samples ${m.num_samples}  empty ${m.empty_samples}  timeouts ${m.timeout_samples}  -> ${outPath}`,
    );
  }
});
