import { Command } from 'commander';
import { z } from 'zod';
import { readTextInput, RhoError } from '@rho/core/base';
import { Interpreter } from '../../interpreter/interpreter.ts';

const Options = z
  .object({
    lang: z.enum(['python', 'javascript']),
    mode: z.enum(['tora', 'pal']),
    timeout: z.coerce.number().positive().max(600),
    isolation: z.enum(['auto', 'bwrap', 'rlimits']),
  })
  .strict();

/**
 * `pnpm eval exec [--lang python|javascript] [--mode tora|pal] [--timeout S] <file | ->`: one
 * program through exactly the path model programs take; prints one JSON object. The program's
 * failure is a result (exit 0); only an interpreter that cannot run exits 1.
 */
export default new Command('exec')
  .description('run one program in the sandbox as the tora/pal loop would; print {output, report, timed_out, exit_code, isolation}')
  .argument('<file>', "the program's source file, or - for stdin")
  .option('--lang <lang>', 'python | javascript', 'python')
  .option('--mode <mode>', 'tora: its stdout is the result; pal: the value of solution()', 'tora')
  .option('--timeout <seconds>', 'wall-clock limit', '5')
  .option('--isolation <level>', 'auto (bubblewrap when it works, else rlimits with a warning) | bwrap (required) | rlimits', process.env.RHO_SANDBOX ?? 'auto')
  .action(async (file: string, raw: Record<string, unknown>) => {
    const parsed = Options.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RhoError('BAD_CONFIG', issue.message, { field: `--${String(issue.path[0] ?? '')}`, got: raw[String(issue.path[0])] });
    }
    const opts = parsed.data;
    let code: string;
    try {
      code = await readTextInput(file);
    } catch (e) {
      throw new RhoError('NOT_FOUND', `cannot read the program: ${(e as Error).message}`, { file }, { cause: e });
    }
    const interpreter = new Interpreter({ concurrency: 1, isolation: opts.isolation });
    try {
      const r = await interpreter.exec({ code, lang: opts.lang }, { mode: opts.mode, timeoutS: opts.timeout });
      process.stdout.write(`${JSON.stringify({ output: r.output, report: r.report, timed_out: r.timedOut, exit_code: r.exitCode, isolation: r.isolation })}\n`);
    } finally {
      await interpreter.dispose();
    }
  });
