import { readFile } from 'node:fs/promises';

/**
 * The whole text of a file, or of standard input for `-`. Standard input is read as a stream to its
 * end: a synchronous read of fd 0 fails with EAGAIN when the writer is a non-blocking pipe that has
 * not written everything yet, which is how most programs that spawn this one feed it.
 */
export async function readTextInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  // decoded once, so a character split across two chunks is not broken
  return Buffer.concat(chunks).toString('utf8');
}
