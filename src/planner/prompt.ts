/**
 * The planner's prompts (CoDA: planner and executor roles on one backbone). One episode is four
 * segments of a Qwen3-style chat; only the two the policy writes carry loss:
 *
 * ```text
 * [prompt, mask 0]   <|im_start|>system\n{PLANNER_SYSTEM}<|im_end|>\n
 *                    <|im_start|>user\nQuery: …\nInputs: …<|im_end|>\n<|im_start|>assistant\n
 * [decomposition, 1] [{"signature":"(int, float) -> float","intent":"…"}, …]<|im_end|>
 * [cards, mask 0]    \n<|im_start|>user\n<tool_response>\n{one card per line}\n</tool_response><|im_end|>\n
 *                    <|im_start|>assistant\n
 * [program, 1]       {"calls":[…],"answer":{"ref":k}}<|im_end|>
 * ```
 *
 * The text is the chat template of `src/policy/chat.ts` (tool results as a user turn wrapped in
 * `<tool_response>`, as Qwen3's own template renders them), so a real Qwen3 checkpoint can run
 * the same prompts. Segments are encoded one by one and concatenated, in training and at
 * inference alike, so the token boundaries (and the loss mask) are identical in both.
 *
 * @example
 * ```ts
 * const ids = encodeSegments(tokenizer, episodeSegments(task, decompositionJson, cards, programJson));
 * ```
 */
import { IM_END, IM_START } from '../policy/chat.ts';
import type { PolicyTokenizer } from '../policy/tokenizer.ts';

/** The planner's system prompt: what the two assistant turns must contain. */
export const PLANNER_SYSTEM = 'Write typed sub-goals as JSON, then a JSON program over the tool cards.';

/** The query the planner sees: its text and named inputs (values stay with the runtime). */
export interface PlannerQuery {
  query: string;
  inputs: Record<string, unknown>;
}

function typeName(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
      const cols: string[] = [];
      for (const row of v as Array<Record<string, unknown>>) for (const k of Object.keys(row)) if (!cols.includes(k)) cols.push(k);
      return `DataFrame[${cols.join(', ')}]`;
    }
    const inner = [...new Set(v.map(typeName))];
    return `list[${inner.length === 1 ? inner[0] : 'any'}]`;
  }
  return 'dict';
}

/** `name: type` per input, in insertion order; tables show their columns (`DataFrame[a, b]`). */
export function renderInputs(inputs: Record<string, unknown>): string {
  const parts = Object.entries(inputs).map(([k, v]) => `${k}: ${typeName(v)}`);
  return parts.length === 0 ? '(none)' : parts.join(', ');
}

/** The user turn of an episode. */
export function userMessage(q: PlannerQuery): string {
  return `Query: ${q.query.replace(/\s+/g, ' ').trim()}\nInputs: ${renderInputs(q.inputs)}`;
}

/** The cards turn: one card per line inside `<tool_response>`. */
export function cardsMessage(cards: readonly string[]): string {
  return `<tool_response>\n${cards.length === 0 ? '(no tools found)' : cards.join('\n')}\n</tool_response>`;
}

/** Segment 0: system + user turn + the assistant generation prompt. */
export function promptSegment(q: PlannerQuery): string {
  return `${IM_START}system\n${PLANNER_SYSTEM}${IM_END}\n${IM_START}user\n${userMessage(q)}${IM_END}\n${IM_START}assistant\n`;
}

/** Segment 2: closes the decomposition turn's line, the cards turn, and the next generation prompt. */
export function cardsSegment(cards: readonly string[]): string {
  return `\n${IM_START}user\n${cardsMessage(cards)}${IM_END}\n${IM_START}assistant\n`;
}

/** An assistant turn's text as written by the policy (its end marker included). */
export function assistantSegment(content: string): string {
  return `${content}${IM_END}`;
}

export interface Segment {
  text: string;
  /** 1: written by the policy (carries loss); 0: prompt, cards, executor output. */
  loss: 0 | 1;
}

/** The four segments of an episode. */
export function episodeSegments(q: PlannerQuery, decomposition: string, cards: readonly string[], program: string): Segment[] {
  return [
    { text: promptSegment(q), loss: 0 },
    { text: assistantSegment(decomposition), loss: 1 },
    { text: cardsSegment(cards), loss: 0 },
    { text: assistantSegment(program), loss: 1 },
  ];
}

/** Token ids and the 0/1 loss mask of segments encoded one by one. */
export function encodeSegments(tokenizer: PolicyTokenizer, segments: readonly Segment[]): { ids: number[]; mask: number[] } {
  const ids: number[] = [];
  const mask: number[] = [];
  for (const s of segments) {
    const t = tokenizer.encode(s.text);
    for (const id of t) {
      ids.push(id);
      mask.push(s.loss);
    }
  }
  return { ids, mask };
}
