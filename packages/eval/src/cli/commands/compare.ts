import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import chalk from 'chalk';
import { Command } from 'commander';
import { num, resolveDataDir, RhoError } from '@rho/core/base';
import { compareWithPublished, type ComparisonRow, type OurResult } from '../../compare/compare.ts';
import { listPublished, loadPublished, type PublishedTable } from '../../compare/published.ts';
import { metricsPathFor } from '../../outputs/layout.ts';
import { collectOutputFiles } from '../../score/collect.ts';
import { scoreFile } from '../../score/score-file.ts';
import { graderOptions, parseGraderOptions, type GraderFlags } from '../grader-options.ts';

interface CompareOptions extends GraderFlags {
  published?: string;
  tolerance: string;
  dataDir?: string;
  json?: boolean;
  strict?: boolean;
}

function reportedAcc(file: string, promptType: string): number | undefined {
  const p = metricsPathFor(file, promptType);
  if (!existsSync(p)) return undefined;
  const acc = (JSON.parse(readFileSync(p, 'utf8')) as { acc?: unknown }).acc;
  return typeof acc === 'number' ? acc : undefined;
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(1));

function printTable(title: string, rows: ComparisonRow[], grader: string): void {
  console.log(chalk.bold(`\n${title}`));
  const both = grader === 'both';
  const header = [
    'dataset',
    'prompt',
    'published',
    "outputs' metrics",
    grader === 'strict' ? 'ours (strict)' : both ? 'ours (harness)' : 'ours (re-scored)',
    'delta',
    ...(both ? ['strict', 'disagreements'] : []),
  ];
  const body = rows.map((r) => [
    r.data + (r.differentSet ? ` (vs ${r.publishedKey})*` : ''),
    r.promptType,
    fmt(r.published),
    fmt(r.reportedAcc),
    fmt(r.acc),
    r.delta === undefined ? '-' : `${r.delta > 0 ? '+' : ''}${r.delta.toFixed(1)}${r.beyondTolerance ? ' !' : ''}`,
    ...(both ? [fmt(r.strictAcc), String(r.disagreements ?? '-')] : []),
  ]);
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  body.push(['avg', '', '', '', fmt(avg(rows.map((r) => r.acc))), '', ...(both ? [fmt(avg(rows.map((r) => r.strictAcc ?? 0))), ''] : [])]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(chalk.dim(line(header)));
  body.forEach((cells, i) => {
    const row = rows[i];
    const text = line(cells);
    console.log(row?.beyondTolerance ? chalk.red(text) : i === body.length - 1 ? chalk.bold(text) : text);
  });
  if (rows.some((r) => r.differentSet))
    console.log(chalk.dim('* minerva_math is the 500-problem MATH subset; the table reports the 5000-problem MATH test set.'));
  const sources = [...new Set(rows.map((r) => r.source).filter(Boolean))];
  if (sources.length) console.log(chalk.dim(`published: ${sources.join(', ')}`));
}

const cmd = new Command('compare')
  .description('our re-scored accuracies next to a published table, with deltas; rows beyond the tolerance are marked')
  .argument('<outputs>', 'a directory of outputs in the harness layout (<model>/<data>/test_<prompt>_...jsonl), or one file')
  .option(
    '--published <name>',
    `published table (data/published/<name>.json or a path); default: the one named like each model folder. Known: ${listPublished().join(', ')}`,
  )
  .option('--tolerance <points>', 'mark rows whose |delta| exceeds this many accuracy points', '0.5')
  .option('--strict', 'exit non-zero when any row is beyond the tolerance')
  .option('--json', 'print the rows as one JSON object (last line)')
  .option('--data-dir <dir>', 'data directory (default: $RHO_DATA_DIR, else data/upstream)');
for (const o of graderOptions()) cmd.addOption(o);

export default cmd.action(async (input: string, opts: CompareOptions) => {
  const { grader, strict } = parseGraderOptions(opts);
  const tolerance = num('--tolerance', { min: 0 })(opts.tolerance);
  const fixed = opts.published ? loadPublished(opts.published) : undefined;
  const dataDir = resolveDataDir(opts.dataDir);
  const { files } = collectOutputFiles(input);
  const byModel = new Map<string, OurResult[]>();
  for (const f of files) {
    const s = await scoreFile({ file: f.path, dataDir, grader, strict });
    const model = basename(dirname(dirname(f.path)));
    const list = byModel.get(model) ?? [];
    const m = s.metrics;
    list.push({
      model,
      data: s.data,
      promptType: s.promptType,
      acc: m.acc,
      reportedAcc: reportedAcc(f.path, s.promptType),
      ...(grader === 'both' ? { strictAcc: m.strict_acc, disagreements: m.disagreements } : {}),
    });
    byModel.set(model, list);
  }
  const all: ComparisonRow[] = [];
  for (const [model, ours] of byModel) {
    let table: PublishedTable | undefined = fixed;
    if (!table && listPublished().includes(model)) table = loadPublished(model);
    const rows = compareWithPublished(ours, table, tolerance);
    if (rows.length === 0) continue;
    all.push(...rows);
    printTable(`${model}${table ? `  vs published ${table.model} (${table.prompt_type})` : '  (no published table)'}`, rows, grader);
  }
  if (all.length === 0) throw new RhoError('NOT_FOUND', `no outputs of prompt type "${fixed?.prompt_type}" to compare with ${fixed?.model}`, { file: input });
  if (opts.json) console.log(JSON.stringify({ tolerance, ...(grader !== 'harness' ? { grader } : {}), rows: all }));
  if (opts.strict && all.some((r) => r.beyondTolerance)) process.exitCode = 1;
});
