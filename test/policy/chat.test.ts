import { describe, expect, it } from 'vitest';
import { chatStopIds, encodeChat, fitTokenizer, renderChat, stripChatEnd } from '../../src/policy/index.ts';

describe('chat template (Qwen3 style)', () => {
  it('renders messages with im_start/im_end markers and the generation prompt', () => {
    const s = renderChat([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ]);
    expect(s).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(renderChat([{ role: 'user', content: 'x' }], { addGenerationPrompt: false })).toBe('<|im_start|>user\nx<|im_end|>\n');
    expect(renderChat([{ role: 'developer', content: 'd' }], { emptyThink: true })).toBe('<|im_start|>system\nd<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  });

  it('names the bad field', () => {
    expect(() => renderChat([])).toThrow(/"messages"/);
    expect(() => renderChat([{ role: 'robot', content: 'x' } as never])).toThrow(/"messages\[0\]\.role"/);
    expect(() => renderChat([{ role: 'user', content: 'a' }, { role: 'user', content: 3 } as never])).toThrow(/"messages\[1\]\.content"/);
  });

  it('encodes the markers as single special ids and stops on <|im_end|>', () => {
    const tok = fitTokenizer(['hello world'], { vocabSize: 300 });
    const ids = encodeChat(tok, [{ role: 'user', content: 'hello' }]);
    expect(ids[0]).toBe(tok.tokenId('<|im_start|>'));
    expect(ids.filter((i) => i === tok.tokenId('<|im_end|>'))).toHaveLength(1);
    expect(tok.decode(ids)).toBe(renderChat([{ role: 'user', content: 'hello' }]));
    expect(chatStopIds(tok).sort()).toEqual([tok.eosId, tok.tokenId('<|im_end|>')!].sort());
    expect(stripChatEnd('answer<|im_end|>')).toBe('answer');
  });
});
