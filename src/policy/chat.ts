/**
 * The chat template of the planner policy: Qwen3 style (ChatML markers), the same text for the
 * embedded tokenizer (whose specials include `<|im_start|>` / `<|im_end|>`) and the real Qwen3
 * vocabulary. One message renders as
 *
 * ```text
 * <|im_start|>{role}\n{content}<|im_end|>\n
 * ```
 *
 * and the generation prompt is `<|im_start|>assistant\n`. With `emptyThink`, the prompt is followed
 * by Qwen3's empty reasoning block `<think>\n\n</think>\n\n` (what Qwen3's own template emits with
 * `enable_thinking=false`). Generation stops at `<|im_end|>` ({@link chatStopIds}).
 *
 * Used by `cocoda serve` (OpenAI chat completions), the LLM-backed roles' prompts and the planner.
 *
 * @example
 * ```ts
 * const text = renderChat([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
 * // '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'
 * const ids = encodeChat(policy.tokenizer!, [{ role: 'user', content: 'Hi' }]);
 * const out = await policy.generate([ids], { eosId: chatStopIds(policy.tokenizer!) });
 * ```
 */
import { argError } from '../errors.ts';
import type { PolicyTokenizer } from './tokenizer.ts';

/** Roles the template knows (OpenAI's `developer` is rendered as `system`). */
export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatTemplateOptions {
  /** Append `<|im_start|>assistant\n` so the model continues as the assistant (default true). */
  addGenerationPrompt?: boolean;
  /** After the generation prompt, add Qwen3's empty `<think>` block (default false). */
  emptyThink?: boolean;
}

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

/**
 * Checks `messages` (a non-empty array of `{role, content}` with a known role and string content)
 * and throws TypeError/RangeError naming the bad field, e.g. `messages[1].role`.
 */
export function checkMessages(messages: unknown): ChatMessage[] {
  if (!Array.isArray(messages) || messages.length === 0) throw argError('type', 'messages', 'a non-empty array of {role, content}', messages);
  messages.forEach((m: unknown, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw argError('type', `messages[${i}]`, 'an object {role, content}', m);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(role)) {
      throw argError('range', `messages[${i}].role`, `one of ${CHAT_ROLES.join(', ')}`, role);
    }
    if (typeof content !== 'string') throw argError('type', `messages[${i}].content`, 'a string', content);
  });
  return messages as ChatMessage[];
}

/** Renders messages with the Qwen3 chat template (see the module comment). */
export function renderChat(messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  checkMessages(messages);
  let s = '';
  for (const m of messages) {
    const role = m.role === 'developer' ? 'system' : m.role;
    s += `${IM_START}${role}\n${m.content}${IM_END}\n`;
  }
  if (opts.addGenerationPrompt ?? true) {
    s += `${IM_START}assistant\n`;
    if (opts.emptyThink) s += '<think>\n\n</think>\n\n';
  }
  return s;
}

/** Token ids of {@link renderChat}'s text under `tokenizer` (special markers become their ids). */
export function encodeChat(tokenizer: PolicyTokenizer, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
  return tokenizer.encode(renderChat(messages, opts));
}

/** Ids that end an assistant turn: `<|im_end|>` (when the vocabulary has it) and the tokenizer's end-of-sequence id. */
export function chatStopIds(tokenizer: PolicyTokenizer): number[] {
  const ids = new Set<number>([tokenizer.eosId]);
  const imEnd = tokenizer.tokenId(IM_END);
  if (imEnd !== undefined) ids.add(imEnd);
  return [...ids];
}

/** Removes a trailing `<|im_end|>` / end-of-text marker from a decoded completion. */
export function stripChatEnd(text: string): string {
  return text.replace(/(?:<\|im_end\|>|<\|endoftext\|>)\s*$/, '');
}
