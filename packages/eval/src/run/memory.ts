/** The process's peak resident memory so far, in bytes (the kernel counts maxRSS in KiB on Linux). */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Bytes as people read them in a log line: `2.71 GB`, `512.0 MB`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e3).toFixed(1)} kB`;
}
