import { join } from 'node:path';
import { RhoError, writeFileAtomic } from '@rho/core';
import { selectTokens } from '../select/select.ts';
import { loadTokenizer } from '../shards/tokenizer.ts';
import { categorize, categoryTable, DEFAULT_CATEGORY, type CategoryRow } from './categories.ts';
import { lineChart, renderSvg, shareChart, type CurvePoint, type ShareBar } from './charts.ts';
import { checkpointLosses, concat, loadRun, sampleBatches, spreadCheckpoints, type RunData } from './collect.ts';
import { categoryHtml, escapeHtml, page, shadedText, table, type Section, type ShadedToken } from './html.ts';
import { evalPoints, finalVal, firstReaching } from './summary.ts';

export interface ReportOptions {
  runs: string[];
  out: string;
  /** Training windows analysed for the token view and the category table. */
  sampleWindows: number;
  /** Tokens shown in the shaded text. */
  showTokens: number;
  threshold: number;
  maxCheckpoints: number;
}

export const DEFAULT_REPORT: Omit<ReportOptions, 'runs' | 'out'> = Object.freeze({
  sampleWindows: 16,
  showTokens: 600,
  threshold: DEFAULT_CATEGORY.threshold,
  maxCheckpoints: 6,
});

export interface ReportResult {
  path: string;
  categories: Record<string, CategoryRow[]>;
}

/**
 * Build the HTML report for a set of training runs: validation-loss curves on shared axes, a
 * run summary (with the steps each run needs to reach the clm baseline's final loss), corpus text
 * shaded by excess loss with the selected tokens marked, and the token-category table per run.
 */
export async function buildReport(o: ReportOptions): Promise<ReportResult> {
  if (o.runs.length === 0) throw new RhoError('BAD_CONFIG', 'no run directories given', { hint: 'pnpm slm report <run dir…> --out report.html' });
  const runs = o.runs.map(loadRun);
  const sections: Section[] = [];

  const valPoints: CurvePoint[] = runs.flatMap((r) => evalPoints(r.rows).map((p) => ({ run: r.name, x: p.tokens, y: p.val })));
  const trainPoints: CurvePoint[] = runs.flatMap((r) => r.rows.map((row) => ({ run: r.name, x: row.tokens_seen, y: row.loss_all })));
  sections.push({
    id: 'curves',
    title: 'Loss curves',
    body: `<div class="charts"><figure class="chart" id="val-chart">${await renderSvg(lineChart(valPoints, 'tokens seen', 'validation loss'))}</figure>
<figure class="chart" id="train-chart">${await renderSvg(lineChart(trainPoints, 'tokens seen', 'training loss (all tokens)'))}</figure></div>`,
  });

  // The clm baseline is the clm run on the same corpus as the (first) slm run, when there is one.
  const focus = runs.find((r) => r.options.mode === 'slm') ?? runs[0]!;
  const baseline = runs.find((r) => r.options.mode === 'clm' && sameCorpus(r, focus)) ?? runs.find((r) => r.options.mode === 'clm');
  const target = baseline ? finalVal(baseline.rows) : null;
  sections.push({
    id: 'summary',
    title: 'Runs',
    body: table(
      ['run', 'mode', 'ratio', 'steps', 'tokens seen', 'final val loss', `first step ≤ ${baseline?.name ?? 'clm'} final (${target?.toFixed(4) ?? 'n/a'})`],
      runs.map((r) => {
        const reach = target === null ? null : firstReaching(r.rows, target);
        return [
          r.name,
          r.options.mode,
          r.options.mode === 'slm' ? r.options.select.ratio : null,
          r.rows.at(-1)?.step ?? 0,
          r.rows.at(-1)?.tokens_seen ?? 0,
          finalVal(r.rows),
          reach ? reach.step : null,
        ];
      }),
    ),
  });

  // Token view and categories, on the same sample windows of the focus run's corpus.
  const { batches, corpus } = sampleBatches(focus, o.sampleWindows);
  const categories: Record<string, CategoryRow[]> = {};
  try {
    const valid = concat(batches.map((b) => b.valid));
    const reference = batches.every((b) => b.reference) ? concat(batches.map((b) => b.reference!)) : null;
    const noise = batches.every((b) => b.noise) ? concat(batches.map((b) => Float32Array.from(b.noise!))) : null;
    const last = focus.checkpoints.at(-1);
    let selected: Float32Array | null = null;
    let current: Float32Array | null = null;
    if (last) {
      current = await checkpointLosses(last.dir, batches);
      if (focus.options.mode === 'slm') {
        // Selection per batch, exactly as training would make it with this checkpoint.
        let at = 0;
        selected = new Float32Array(valid.length);
        for (const b of batches) {
          const n = b.valid.length;
          const s = selectTokens(current.subarray(at, at + n), b.reference, b.valid, focus.options.select);
          selected.set(
            s.weights.map((w) => (w >= 0.5 ? 1 : 0)),
            at,
          );
          at += n;
        }
      }
    }
    const tokenizer = (await loadTokenizer(corpus.tokenizerPath ?? 'bytes')).tokenizer;
    const shaded: ShadedToken[] = [];
    let at = 0;
    outer: for (const b of batches) {
      const T1 = b.seqLen - 1;
      for (let r = 0; r < b.batchSize; r++) {
        for (let t = 0; t < T1; t++, at++) {
          if (!valid[at]) continue;
          if (shaded.length >= o.showTokens) break outer;
          const id = b.ids[r * b.seqLen + t + 1]!;
          shaded.push({
            text: tokenizer.decode([id]),
            excess: current && reference ? current[at]! - reference[at]! : null,
            selected: selected ? selected[at]! > 0 : false,
            noise: noise ? noise[at]! > 0 : false,
          });
        }
      }
    }
    const legend = `<p class="legend"><span style="background:rgba(220,38,38,.6)">excess &gt; 0</span><span style="background:rgba(37,99,235,.6)">excess &lt; 0</span><span class="tok sel">selected</span>${noise ? '<span class="tok noise">injected noise</span>' : ''}</p>`;
    sections.push({
      id: 'tokens',
      title: `Tokens by excess loss (${focus.name}${last ? `, step ${last.step}` : ''})`,
      body: `<p class="note">Excess loss = loss of ${escapeHtml(focus.name)}'s last checkpoint − reference loss, per token of the training corpus; selected = top ${focus.options.select.ratio} of each batch by ${escapeHtml(focus.options.select.selectBy)}.</p>${legend}<div class="tokens">${shadedText(shaded)}</div>`,
    });

    const parts: string[] = [];
    for (const run of runs) {
      const cks = spreadCheckpoints(run.checkpoints, o.maxCheckpoints);
      if (cks.length < 2) {
        parts.push(`<h3>${escapeHtml(run.name)}</h3><p class="note">needs at least two checkpoints</p>`);
        continue;
      }
      const own = sameCorpus(run, focus) ? null : sampleBatches(run, o.sampleWindows);
      const losses: Float32Array[] = [];
      try {
        for (const c of cks) losses.push(await checkpointLosses(c.dir, own ? own.batches : batches));
      } finally {
        own?.corpus.dispose();
      }
      const cats = categorize(
        cks.map((c) => c.step),
        losses,
        { threshold: o.threshold },
      );
      const rows = categoryTable(cats, sameCorpus(run, focus) ? selected : null, sameCorpus(run, focus) ? noise : null);
      categories[run.name] = rows;
      const bars: ShareBar[] = rows.flatMap((r) => [
        { category: r.category, group: 'all', share: r.all },
        ...(r.selected !== null ? [{ category: r.category, group: 'selected', share: r.selected }] : []),
        ...(r.noise !== null ? [{ category: r.category, group: 'noise', share: r.noise }] : []),
      ]);
      parts.push(
        `<h3>${escapeHtml(run.name)} (${run.options.mode}, checkpoints ${cks.map((c) => c.step).join(', ')})</h3>${categoryHtml(rows)}<figure class="chart">${await renderSvg(shareChart(bars, run.name))}</figure>`,
      );
    }
    sections.push({
      id: 'categories',
      title: 'Token categories across checkpoints',
      body: `<p class="note">A line fitted to each token's loss over the checkpoints; change &lt; −${o.threshold}: H→L, &gt; +${o.threshold}: L→H, otherwise H→H / L→L by the token's mean loss against the mean of all tokens. Selected tokens: ${escapeHtml(focus.name)}'s selection at its last checkpoint.</p>${parts.join('\n')}`,
    });
  } finally {
    corpus.dispose();
  }

  const html = page(
    'Selective Language Modeling report',
    `Runs: ${runs.map((r) => escapeHtml(r.dir)).join(', ')}. Generated ${new Date().toISOString()}.`,
    sections,
  );
  writeFileAtomic(o.out, html);
  return { path: o.out, categories };
}

const sameCorpus = (a: RunData, b: RunData) => join(a.options.corpus) === join(b.options.corpus) && a.options.seqLen === b.options.seqLen;
