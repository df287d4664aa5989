/** The harness's post-processing of results and reports: strip, then keep 200 + "..." + 200 characters. */
export function truncate(s: string, maxLength = 400): string {
  const half = Math.floor(maxLength / 2);
  return s.length > maxLength ? `${s.slice(0, half)}...${s.slice(-half)}` : s;
}

/** Python's str.strip() with no argument: ASCII and Unicode whitespace. */
export function pyStrip(s: string): string {
  return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, '');
}

/** Python's str.rstrip() with no argument. */
export function pyRstrip(s: string): string {
  return s.replace(/[\s\x1c-\x1f\x85]+$/u, '');
}
