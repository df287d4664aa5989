/** The harness's post-processing of results and reports: strip, then keep 200 + "..." + 200 characters. */
export function truncate(s: string, maxLength = 400): string {
  const half = Math.floor(maxLength / 2);
  return s.length > maxLength ? `${s.slice(0, half)}...${s.slice(-half)}` : s;
}
