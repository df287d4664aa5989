import { describe, expect, it } from 'vitest';
import { lineChart, renderSvg } from './charts.ts';
import { escapeHtml, page, shadedText } from './html.ts';
import { firstReaching } from './summary.ts';
import type { StepRow } from '../trainer/metrics.ts';

describe('report pieces', () => {
  it('shades tokens by excess loss, marks selected and noise tokens, and escapes text', () => {
    const html = shadedText([
      { text: '<b>', excess: 2, selected: true, noise: false },
      { text: 'x&y', excess: -1, selected: false, noise: true },
      { text: 'z', excess: null, selected: false, noise: false },
    ]);
    expect(html).toContain('<span class="tok sel" style="background:rgba(220,38,38,1.000)"');
    expect(html).toContain('&lt;b&gt;');
    expect(html).toContain('<span class="tok noise" style="background:rgba(37,99,235,0.500)"');
    expect(html).toContain('x&amp;y');
    expect(html).toContain('rgba(220,38,38,0.000)');
    expect(escapeHtml('"a"<')).toBe('&quot;a&quot;&lt;');
    expect(page('t', 'i', [{ id: 's', title: 'S', body: '<p>b</p>' }])).toMatch(/<section id="s"><h2>S<\/h2>\n<p>b<\/p>/);
  });

  it('renders a line chart to SVG with one path per run', async () => {
    const svg = await renderSvg(
      lineChart(
        [
          { run: 'a', x: 1, y: 2 },
          { run: 'a', x: 2, y: 1 },
          { run: 'b', x: 1, y: 3 },
          { run: 'b', x: 2, y: 2.5 },
        ],
        'tokens',
        'loss',
      ),
    );
    expect(svg.startsWith('<svg')).toBe(true);
    // One line mark per run, each a non-empty path.
    expect(svg.match(/<g class="mark-line role-mark/g)).toHaveLength(2);
    expect(svg).toMatch(/<g class="mark-line role-mark[^>]*>\s*<path[^>]* d="M[^"]+"/);
    expect(svg).toContain('tokens');
    expect(svg).toContain('loss');
  });

  it('finds the first evaluation reaching a target loss', () => {
    const rows = [3, 2.5, 2.2, 2.3].map((v, i) => ({ step: (i + 1) * 10, tokens_seen: (i + 1) * 100, val_loss: v }) as unknown as StepRow);
    expect(firstReaching(rows, 2.5)).toEqual({ step: 20, tokens: 200, val: 2.5 });
    expect(firstReaching(rows, 2)).toBeNull();
  });
});
