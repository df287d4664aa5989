import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DATA_DIR, nonNegativeInt, positiveInt, progressBar, RhoError } from '@rho/core/base';
import { ARITH_DEFAULTS, writeArith } from '../datasets/arith/generate.ts';
import { DEFAULT_MANIFEST, loadManifest, manifestGroups } from './manifest.ts';
import { failureError, fetchData, verifyData } from './fetch.ts';

function list(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError('expected NAME[,NAME...]');
  return names;
}

/** `pnpm data fetch|verify`: the benchmark files of the data directory. */
export function dataProgram(): Command {
  const program = new Command('data')
    .description('Get and check the benchmark files (datasets, few-shot prompts, corpus, reference outputs)')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('fetch')
    .description(
      'Download the files listed in the manifest from their public sources into the data directory, ' +
        'checking each sha256; files already there and intact are kept',
    )
    .option('--from <dir>', 'copy from a local folder laid out like the data directory instead of downloading')
    .option('--out <dir>', 'data directory to fill', DEFAULT_DATA_DIR)
    .option('--only <names>', 'only these groups (dataset names, prompts, corpus, reference-outputs) or paths', list)
    .option('--manifest <file>', 'manifest to follow', DEFAULT_MANIFEST)
    .option('--mirror <url>', 'fetch https://HOST/PATH from <url>/HOST/PATH instead')
    .option('--timeout <s>', 'seconds per download attempt', positiveInt('--timeout'), 120)
    .option('--retries <n>', 'attempts per download', positiveInt('--retries'), 3)
    .option('--force', 'fetch again even when a file is present and intact')
    .action(
      async (o: { from?: string; out: string; only?: string[]; manifest: string; mirror?: string; timeout: number; retries: number; force?: boolean }) => {
        const manifest = loadManifest(resolve(o.manifest));
        const out = resolve(o.out);
        const total = o.only ? manifest.files.filter((f) => o.only!.includes(f.group) || o.only!.includes(f.path)).length : manifest.files.length;
        const bar = progressBar('fetch', total);
        let done = 0;
        const summary = await fetchData({
          manifest,
          out,
          from: o.from === undefined ? undefined : resolve(o.from),
          mirror: o.mirror,
          only: o.only,
          force: o.force,
          download: { timeoutMs: o.timeout * 1000, attempts: o.retries },
          onFile: (entry) => {
            bar.update(++done, entry.path);
          },
        });
        bar.stop();
        console.log(`data fetch: ${summary.fetched.length} fetched, ${summary.present.length} already present, ` + `${summary.failed.length} failed -> ${out}`);
        if (summary.failed.length > 0) throw failureError(summary.failed);
      },
    );

  program
    .command('verify')
    .description('Check that the data directory holds every manifest file with its sha256')
    .option('--dir <dir>', 'data directory to check', DEFAULT_DATA_DIR)
    .option('--only <names>', 'only these groups or paths', list)
    .option('--manifest <file>', 'manifest to follow', DEFAULT_MANIFEST)
    .action((o: { dir: string; only?: string[]; manifest: string }) => {
      const manifest = loadManifest(resolve(o.manifest));
      const dir = resolve(o.dir);
      const results = verifyData(dir, manifest, o.only);
      const bad = results.filter((r) => r.status !== 'ok');
      for (const r of bad) console.log(`${r.status.padEnd(8)} ${r.path}`);
      console.log(`data verify: ${results.length - bad.length}/${results.length} ok in ${dir}`);
      if (bad.length > 0) {
        const named =
          bad
            .slice(0, 3)
            .map((b) => b.path)
            .join(', ') + (bad.length > 3 ? ', ...' : '');
        throw new RhoError('BAD_INPUT', `${bad.length} file(s) missing or not matching the manifest (${named})`, {
          file: dir,
          hint: 'run `pnpm data fetch` (add --from DIR without network)',
        });
      }
    });

  program
    .command('groups')
    .description('List the names --only accepts')
    .option('--manifest <file>', 'manifest to follow', DEFAULT_MANIFEST)
    .action((o: { manifest: string }) => {
      console.log(manifestGroups(loadManifest(resolve(o.manifest))).join('\n'));
    });

  program
    .command('arith')
    .description(
      'Write the built-in arith benchmark in the data directory layout (data/arith/{test,train}.jsonl, ' +
        'prompts/{cot,pal,tora}/arith.md). Without these files `--data arith` uses the same default set generated in memory.',
    )
    .option('--data-dir <dir>', `data directory to write into (default: $RHO_DATA_DIR, else ${DEFAULT_DATA_DIR})`)
    .option('--seed <n>', 'generator seed', nonNegativeInt('--seed'), ARITH_DEFAULTS.seed)
    .option('--test <n>', 'test problems', positiveInt('--test'), ARITH_DEFAULTS.test)
    .option('--train <n>', 'training problems (never repeating a test or demo question)', positiveInt('--train'), ARITH_DEFAULTS.train)
    .action((o: { dataDir?: string; seed: number; test: number; train: number }) => {
      // a new directory is fine here: this command is how one gets made
      const dir = resolve(o.dataDir ?? process.env.RHO_DATA_DIR ?? DEFAULT_DATA_DIR);
      for (const f of writeArith(dir, { seed: o.seed, test: o.test, train: o.train })) console.log(f);
    });

  return program;
}
