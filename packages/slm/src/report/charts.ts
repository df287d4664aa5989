import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Render a vega-lite spec to an SVG string in Node (no browser, no network). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface CurvePoint {
  run: string;
  x: number;
  y: number;
}

/** Lines of y against x, one colour per run, on shared axes. */
export function lineChart(points: readonly CurvePoint[], xTitle: string, yTitle: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 280,
    background: 'white',
    data: { values: points as CurvePoint[] },
    mark: { type: 'line', point: points.length < 200 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run' },
    },
  };
}

export interface ShareBar {
  category: string;
  group: string;
  share: number;
}

/** Grouped bars: share of each token category among all / selected / noise tokens. */
export function shareChart(bars: readonly ShareBar[], title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 260,
    height: 180,
    background: 'white',
    data: { values: bars as ShareBar[] },
    mark: 'bar',
    encoding: {
      x: { field: 'category', type: 'nominal', title: null, sort: ['H→H', 'L→H', 'H→L', 'L→L'] },
      xOffset: { field: 'group' },
      y: { field: 'share', type: 'quantitative', title: 'share', axis: { format: '%' } },
      color: { field: 'group', type: 'nominal', title: 'tokens' },
    },
  };
}
