/** Code blocks in tool-integrated and program-aided completions. */

/** The last ```python block (the program the harness would run). */
export function extractProgram(text: string): string {
  let program = '';
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```python')) {
      program = '';
      inside = true;
    } else if (line.startsWith('```')) {
      inside = false;
    } else if (inside) {
      program += `${line}\n`;
    }
  }
  return program;
}

/** The body of the last "```output\n...\n```" block, or "" when there is none. */
export function extractProgramOutput(text: string): string {
  const re = /```output\n([\s\S]*?)\n```/g;
  let last = '';
  for (const m of text.matchAll(re)) last = m[1]!;
  return last;
}
