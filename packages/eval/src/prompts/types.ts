/**
 * Prompt modes. `direct` and `cot` prompt a base model with few-shot demos and differ only in
 * what the demos are (none for direct); `pal` asks for a program; `tora` is the tool-integrated
 * chat form of the harness's SFT models (Rho-Math-Interpreter).
 */
export const PROMPT_TYPES = ['direct', 'cot', 'pal', 'tora'] as const;
export type PromptType = (typeof PROMPT_TYPES)[number];

export function isPromptType(s: string): s is PromptType {
  return (PROMPT_TYPES as readonly string[]).includes(s);
}
