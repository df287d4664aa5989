/** Shared output of every benchmark: a table for people, then one JSON line with --json. */
export function printBenchResult(title: string, rows: Array<[string, string | number]>, json: Record<string, unknown>, asJson: boolean): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  console.log('-'.repeat(Math.max(title.length, w + 16)));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${typeof v === 'number' ? fmt(v) : v}`);
  if (asJson) console.log(JSON.stringify(json));
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}
