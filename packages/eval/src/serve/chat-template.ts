import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { RhoError } from '@rho/core/base';
import { badRequest } from './api-error.ts';

export interface ChatMessage {
  role: string;
  content: string;
}

type SpecialToken = string | { content?: string } | null | undefined;
const tokenText = (t: SpecialToken): string => (typeof t === 'string' ? t : (t?.content ?? ''));

/**
 * A checkpoint's chat template (tokenizer_config.json's `chat_template`, or chat_template.jinja
 * beside it, as transformers reads them), rendered as transformers renders it: the messages, the
 * generation prompt, the BOS/EOS strings.
 */
export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    private readonly bos: string,
    private readonly eos: string,
  ) {}

  /** The checkpoint's template, or null when it has none. */
  static load(dir: string): ChatTemplate | null {
    const configFile = join(dir, 'tokenizer_config.json');
    let config: { chat_template?: unknown; bos_token?: SpecialToken; eos_token?: SpecialToken } = {};
    if (existsSync(configFile)) {
      try {
        config = JSON.parse(readFileSync(configFile, 'utf8'));
      } catch (e) {
        throw new RhoError('BAD_INPUT', `tokenizer_config.json is not JSON: ${(e as Error).message}`, { file: configFile });
      }
    }
    const jinjaFile = join(dir, 'chat_template.jinja');
    let source: unknown = existsSync(jinjaFile) ? readFileSync(jinjaFile, 'utf8') : config.chat_template;
    // several named templates: the default one
    if (Array.isArray(source)) source = (source as Array<{ name?: string; template?: string }>).find((t) => t.name === 'default')?.template;
    if (source === undefined || source === null) return null;
    if (typeof source !== 'string')
      throw new RhoError('BAD_INPUT', 'chat_template must be a string or a list of {name, template}', { file: configFile, field: 'chat_template' });
    let template: Template;
    try {
      template = new Template(source);
    } catch (e) {
      throw new RhoError('BAD_INPUT', `chat_template does not parse: ${(e as Error).message}`, { file: configFile, field: 'chat_template' });
    }
    return new ChatTemplate(template, tokenText(config.bos_token), tokenText(config.eos_token));
  }

  /** The prompt text for these messages, ending where the assistant's answer begins. */
  render(messages: ChatMessage[]): string {
    try {
      return this.template.render({ messages, add_generation_prompt: true, bos_token: this.bos, eos_token: this.eos });
    } catch (e) {
      // templates refuse conversations they cannot frame (raise_exception), e.g. roles out of turn
      throw badRequest(`the chat template refused the messages: ${(e as Error).message}`, 'messages');
    }
  }
}
