import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { CONFIG_FILE } from '../checkpoint/load.ts';
import { readConfigFile } from '../config/llama-config.ts';
import { weightFiles } from '../safetensors/sharded.ts';
import { checkConfigFitsInMemory } from './checkpoint-plan.ts';
import { isGgufFile } from '../gguf/reader.ts';
import { llamaCppUnavailable, LLAMA_CPP_INSTALL_HINT, openLlamaCppLm } from './llama-cpp/llama-cpp-lm.ts';
import { nativeEngineUnavailable, openNativeLm } from './native-lm.ts';
import { openTfjsLm } from './tfjs-lm.ts';
import type { EngineChoice, EngineName, OpenedCheckpoint, OpenOptions, Precision } from './types.ts';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'tfjs', 'llama.cpp'];
export const PRECISION_CHOICES: readonly Precision[] = ['auto', 'bf16', 'fp32'];

/** The engine a run gets and, when `auto` fell back to tfjs, why native was not taken. */
export interface EngineDecision {
  engine: EngineName;
  fallbackReason?: string;
}

/**
 * Resolve an engine choice: an explicit one wins, else RHO_ENGINE, else auto. `auto` is native
 * unless `nativeWhyNot` gives a reason; asking for native where it cannot run is an error
 * naming that reason, since silently running a 1.1B model on tfjs would exhaust memory.
 */
export function chooseEngine(choice: EngineChoice | undefined, env: NodeJS.ProcessEnv, nativeWhyNot: () => string | null): EngineDecision {
  const fromEnv = env.RHO_ENGINE?.trim() || undefined;
  if (choice === undefined && fromEnv !== undefined && !ENGINE_CHOICES.includes(fromEnv as EngineChoice)) {
    throw new RhoError('BAD_CONFIG', `RHO_ENGINE must be one of ${ENGINE_CHOICES.join(', ')}, got '${fromEnv}'`, {
      field: 'RHO_ENGINE',
      expected: ENGINE_CHOICES,
      got: fromEnv,
    });
  }
  const want = choice ?? (fromEnv as EngineChoice | undefined) ?? 'auto';
  if (!ENGINE_CHOICES.includes(want))
    throw new RhoError('BAD_CONFIG', `engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${want}'`, {
      field: 'engine',
      expected: ENGINE_CHOICES,
      got: want,
    });
  if (want === 'tfjs' || want === 'llama.cpp') return { engine: want };
  const why = nativeWhyNot();
  if (why === null) return { engine: 'native' };
  if (want === 'native') {
    throw new RhoError('UNSUPPORTED', `the native engine cannot run: ${why}`, {
      field: 'engine',
      hint: 'use --engine tfjs (small checkpoints only) or --engine auto',
    });
  }
  return { engine: 'tfjs', fallbackReason: why };
}

export type CheckEngine = 'auto' | 'both' | 'native' | 'tfjs' | 'llama.cpp';
export const CHECK_ENGINES: readonly CheckEngine[] = ['auto', 'both', 'native', 'tfjs', 'llama.cpp'];

/**
 * The engines `pnpm core check` runs on. `auto` checks the project's own engines that can run here:
 * both, or tfjs alone (with the reason) where the native engine is unavailable; llama.cpp (an
 * optional dependency) is checked when asked for. RHO_ENGINE is the default.
 */
export function enginesToCheck(
  choice: string | undefined,
  env: NodeJS.ProcessEnv,
  nativeWhyNot: () => string | null,
): { engines: EngineName[]; skipped?: string } {
  const want = choice ?? (env.RHO_ENGINE?.trim() || 'auto');
  if (!CHECK_ENGINES.includes(want as CheckEngine)) {
    throw new RhoError('BAD_CONFIG', `engine must be one of ${CHECK_ENGINES.join(', ')}, got '${want}'`, {
      field: choice === undefined ? 'RHO_ENGINE' : 'engine',
      expected: CHECK_ENGINES,
      got: want,
    });
  }
  if (want === 'tfjs') return { engines: ['tfjs'] };
  if (want === 'native') return { engines: ['native'] };
  if (want === 'llama.cpp') return { engines: ['llama.cpp'] };
  if (want === 'both') return { engines: ['tfjs', 'native'] };
  const why = nativeWhyNot();
  return why === null ? { engines: ['tfjs', 'native'] } : { engines: ['tfjs'], skipped: why };
}

/**
 * Open a checkpoint (a Hugging Face directory, or a GGUF file) on the engine the options ask for.
 * A GGUF file runs on llama.cpp (what `auto` picks for it); a directory on any engine (llama.cpp
 * converts it first). The cheap checks (directory, config.json, every shard present; a GGUF file's
 * header) come first, so bad input fails before any long work.
 */
export async function openCausalLm(dir: string, opts: OpenOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<OpenedCheckpoint> {
  if (!existsSync(dir)) {
    throw new RhoError('NOT_FOUND', 'checkpoint does not exist', {
      file: dir,
      hint: 'give a checkpoint directory (create one with `pnpm core init` or download a Hugging Face Llama checkpoint) or a .gguf file',
    });
  }
  if (opts.precision !== undefined && !PRECISION_CHOICES.includes(opts.precision)) {
    throw new RhoError('BAD_CONFIG', `precision must be one of ${PRECISION_CHOICES.join(', ')}, got '${opts.precision}'`, {
      field: 'precision',
      expected: PRECISION_CHOICES,
      got: opts.precision,
    });
  }
  if (!statSync(dir).isDirectory()) {
    if (!isGgufFile(dir) && !dir.endsWith('.gguf')) {
      throw new RhoError('BAD_INPUT', 'checkpoint is neither a directory nor a GGUF file', {
        file: dir,
        hint: 'give a Hugging Face checkpoint directory or a .gguf file (`pnpm core convert <dir> --to gguf` writes one)',
      });
    }
    const want = opts.engine ?? 'auto';
    if (want !== 'auto' && want !== 'llama.cpp') {
      throw new RhoError('UNSUPPORTED', `a GGUF file runs on the llama.cpp engine, not on --engine ${want}`, {
        file: dir,
        field: 'engine',
        hint: 'use --engine llama.cpp (or auto), or give the Hugging Face checkpoint directory it was converted from',
      });
    }
    return openLlamaCppLm(dir, opts, env);
  }
  const configFile = join(dir, CONFIG_FILE);
  checkConfigFitsInMemory(readConfigFile(configFile), configFile);
  weightFiles(dir);
  const decision = chooseEngine(opts.engine, env, () => nativeEngineUnavailable(env));
  if (decision.engine === 'llama.cpp') return openLlamaCppLm(dir, opts, env);
  if (decision.engine === 'native') return openNativeLm(dir, opts);
  // the fallback's reason belongs in every log and metrics line that names the engine
  return openTfjsLm(dir, opts, decision.fallbackReason ? `native engine unavailable: ${decision.fallbackReason}` : undefined);
}

export { llamaCppUnavailable, LLAMA_CPP_INSTALL_HINT };
