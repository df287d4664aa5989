import { Command } from 'commander';
import { nonNegativeInt, RhoError, resolveDataDir } from '@rho/core/base';
import { DATASET_NAMES, getDataset, loadExamples } from '../../datasets/index.ts';
import { constructPrompt, isPromptType, PROMPT_TYPES, STOP_WORDS } from '../../prompts/index.ts';

interface PromptOptions {
  promptType: string;
  idx: number;
  dataDir?: string;
  json?: boolean;
}

export default new Command('prompt')
  .description('show the exact prompt (and stop words) the harness sends for one problem of a dataset')
  .argument('<data>', `dataset name (${DATASET_NAMES.join(', ')})`)
  .option('--prompt-type <type>', `${PROMPT_TYPES.join(' | ')}`, 'cot')
  .option('--idx <n>', 'problem idx', nonNegativeInt('--idx'), 0)
  .option('--data-dir <dir>', 'data directory (default: $RHO_DATA_DIR, else data/upstream)')
  .option('--json', 'print {idx, question, prompt, stop} as one JSON line')
  .action((data: string, opts: PromptOptions) => {
    if (!isPromptType(opts.promptType)) {
      throw new RhoError('BAD_CONFIG', `unknown prompt type "${opts.promptType}"; known: ${PROMPT_TYPES.join(', ')}`, { field: '--prompt-type' });
    }
    const spec = getDataset(data);
    const dataDir = resolveDataDir(opts.dataDir, process.env, { mayBeMissing: spec.builtin !== undefined });
    const example = loadExamples(spec.name, dataDir).find((e) => e.idx === opts.idx);
    if (!example) throw new RhoError('NOT_FOUND', `${spec.name} has no problem with idx ${opts.idx}`, { field: '--idx' });
    const prompt = constructPrompt(example, opts.promptType, dataDir);
    const stop = STOP_WORDS[opts.promptType];
    if (opts.json) console.log(JSON.stringify({ idx: example.idx, question: example.question, prompt, stop }));
    else process.stdout.write(`${prompt}\n\n--- stop words: ${JSON.stringify(stop)}\n`);
  });
