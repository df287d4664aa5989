/**
 * The paper's Figure 1 analysis: how each token's loss moves over training. A line fitted to a
 * token's losses at the checkpoints gives its change from first to last checkpoint; below
 * −threshold it went high→low (learned), above +threshold low→high (forgotten / unlearnable
 * noise), otherwise it stayed high→high or low→low depending on whether its mean loss is above
 * the mean over all tokens.
 */
export const CATEGORIES = ['H→H', 'L→H', 'H→L', 'L→L'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface CategoryOptions {
  /** |change| at or below this counts as flat. */
  threshold: number;
}
export const DEFAULT_CATEGORY: CategoryOptions = Object.freeze({ threshold: 0.2 });

/** Least-squares slope·(x_last − x_first) of y over x = checkpoint steps. */
export function fittedChange(xs: readonly number[], ys: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : (sxy / sxx) * (xs[n - 1]! - xs[0]!);
}

/**
 * `losses[k][i]`: token i's loss at checkpoint k (taken at step `steps[k]`). NaN tokens get no
 * category (null).
 */
export function categorize(steps: readonly number[], losses: readonly ArrayLike<number>[], opts: CategoryOptions = DEFAULT_CATEGORY): Array<Category | null> {
  const K = losses.length;
  const N = K ? losses[0]!.length : 0;
  const means = new Float64Array(N);
  let total = 0;
  let count = 0;
  const ok = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0;
    let finite = true;
    for (let k = 0; k < K; k++) {
      const v = losses[k]![i]!;
      if (!Number.isFinite(v)) finite = false;
      s += v;
    }
    if (!finite) continue;
    ok[i] = 1;
    means[i] = s / K;
    total += s;
    count += K;
  }
  const mean = count ? total / count : 0;
  return Array.from({ length: N }, (_, i) => {
    if (!ok[i]) return null;
    const change = fittedChange(
      steps,
      Array.from({ length: K }, (_, k) => losses[k]![i]!),
    );
    if (change < -opts.threshold) return 'H→L';
    if (change > opts.threshold) return 'L→H';
    return means[i]! > mean ? 'H→H' : 'L→L';
  });
}

export interface CategoryRow {
  category: Category;
  /** Share of all categorized tokens. */
  all: number;
  /** Share of the selected tokens, and of the recorded noise tokens, when known. */
  selected: number | null;
  noise: number | null;
  count: number;
}

export function categoryTable(cats: ReadonlyArray<Category | null>, selected?: ArrayLike<number> | null, noise?: ArrayLike<number> | null): CategoryRow[] {
  const share = (pick: (i: number) => boolean) => {
    const c = new Map<Category, number>(CATEGORIES.map((k) => [k, 0]));
    let n = 0;
    cats.forEach((cat, i) => {
      if (cat && pick(i)) {
        c.set(cat, c.get(cat)! + 1);
        n++;
      }
    });
    return { c, n };
  };
  const all = share(() => true);
  const sel = selected ? share((i) => selected[i]! > 0) : null;
  const noi = noise ? share((i) => noise[i]! > 0) : null;
  return CATEGORIES.map((category) => ({
    category,
    count: all.c.get(category)!,
    all: all.n ? all.c.get(category)! / all.n : 0,
    selected: sel?.n ? sel.c.get(category)! / sel.n : null,
    noise: noi?.n ? noi.c.get(category)! / noi.n : null,
  }));
}
