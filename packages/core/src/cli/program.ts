import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { runMain } from './report.ts';

/**
 * A package CLI (`pnpm core|eval|slm <command>`): every file in `commandsDir` that default-exports
 * a commander Command is one subcommand, so commands are added without touching a central list.
 */
export function runPackageCli(opts: { name: string; description: string; commandsUrl: string }): void {
  runMain(async () => {
    const dir = fileURLToPath(opts.commandsUrl);
    const program = new Command(opts.name).description(opts.description).showHelpAfterError().exitOverride();
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .sort();
    for (const f of files) {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: unknown };
      if (mod.default instanceof Command) program.addCommand(mod.default);
    }
    if (process.argv.length <= 2) {
      program.outputHelp();
      return;
    }
    try {
      await program.parseAsync(process.argv);
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
      throw e;
    }
  }, opts.name);
}

export const here = (url: string) => dirname(fileURLToPath(url));
