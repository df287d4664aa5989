import { Command, type Option } from 'commander';
import { nonNegativeInt, resolveDataDir } from '@rho/core/base';
import { collectOutputFiles } from '../../score/collect.ts';
import { scoreFile } from '../../score/score-file.ts';
import { listDisagreements, type Disagreement } from '../../score/disagreements.ts';
import { graderOptions, parseGraderOptions, type GraderFlags } from '../grader-options.ts';

interface DisagreementOptions extends GraderFlags {
  data?: string;
  promptType?: string;
  dataDir?: string;
  limit?: string;
  json?: boolean;
}

const clip = (s: string | null, n = 70): string => {
  const t = (s ?? 'None').replace(/\s+/g, ' ');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

const cmd = new Command('disagreements')
  .description('the samples on which the harness grader and the strict (Math-Verify) grader part, with what each read as the prediction and the gold answer')
  .argument('<outputs>', 'an outputs .jsonl file, or a directory searched for test_<prompt>_..._e<end>.jsonl files')
  .option('--data <name>', 'dataset (default: the folder holding the file)')
  .option('--prompt-type <type>', 'cot | tora | pal | direct (default: from the file name)')
  .option('--limit <n>', 'list at most N samples per file (the counts are always complete)')
  .option('--json', 'print every disagreement as one JSON object (last line)')
  .option('--data-dir <dir>', 'data directory (default: $RHO_DATA_DIR, else data/upstream)');
// --grader is always both here; the strict grader's own options apply
for (const o of graderOptions().filter((o: Option) => o.long !== '--grader')) cmd.addOption(o);

export default cmd.action(async (input: string, opts: DisagreementOptions) => {
  const { strict } = parseGraderOptions({ ...opts, grader: 'both' });
  const limit = opts.limit === undefined ? Infinity : nonNegativeInt('--limit')(opts.limit);
  const dataDir = resolveDataDir(opts.dataDir, process.env, { mayBeMissing: true });
  const { files } = collectOutputFiles(input);
  const all: Array<{ file: string; data: string; promptType: string; samples: number; harnessAcc: number; strictAcc: number; disagreements: Disagreement[] }> =
    [];
  for (const f of files) {
    const s = await scoreFile({ file: f.path, dataDir, data: opts.data, promptType: opts.promptType, grader: 'both', strict });
    const list = listDisagreements(s.records);
    all.push({
      file: f.rel,
      data: s.data,
      promptType: s.promptType,
      samples: s.metrics.num_samples,
      harnessAcc: s.metrics.acc,
      strictAcc: s.metrics.strict_acc ?? 0,
      disagreements: list,
    });
    console.log(
      `\n${f.rel}: ${list.length} of ${s.metrics.num_samples} samples differ (harness ${s.metrics.acc.toFixed(1)}, strict ${(s.metrics.strict_acc ?? 0).toFixed(1)})`,
    );
    for (const d of list.slice(0, limit)) {
      const mark = (b: boolean) => (b ? 'right' : 'wrong');
      console.log(`  idx ${d.idx}: harness ${mark(d.harness)}, strict ${mark(d.strict)}`);
      console.log(`    gold     harness ${clip(d.gt)}   strict ${clip(d.strictGt)}`);
      console.log(`    pred     harness ${clip(d.pred)}   strict ${clip(d.strictPred)}`);
    }
    if (list.length > limit) console.log(`  ... ${list.length - limit} more (--limit)`);
  }
  if (opts.json) console.log(JSON.stringify({ files: all }));
});
