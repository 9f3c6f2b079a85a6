import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPolicy } from '../../src/policy/policy.ts';
import { loadPolicy, loadWeightsInto, encodeWeights, decodeWeights } from '../../src/policy/checkpoint.ts';
import { encodeSafetensors, readSafetensors, toFloat32, writeSafetensors } from '../../src/policy/safetensors.ts';
import { resolveConfig } from '../../src/policy/config.ts';
import { fitTokenizer } from '../../src/policy/tokenizer.ts';
import { CocodaError } from '../../src/errors.ts';

const config = { vocabSize: 300, hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 24, maxSeqLen: 32 };
const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'cocoda-policy-'));

function expectCode(fn: () => unknown, code: string, msg: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CocodaError);
    expect((e as CocodaError).code).toBe(code);
    expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error('expected an error');
}

describe('safetensors', () => {
  it('round-trips float32 tensors with metadata and 8-byte aligned data', () => {
    const buf = encodeSafetensors(
      [
        { name: 'a', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        { name: 'b', shape: [1], data: Float32Array.of(-0.5) },
      ],
      { format: 'pt' },
    );
    const n = Number(new DataView(buf.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const f = readSafetensors(buf);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(toFloat32(f.tensors.get('a')!))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.tensors.get('a')!.shape).toEqual([2, 3]);
    expect(Array.from(toFloat32(f.tensors.get('b')!))).toEqual([-0.5]);
  });

  it('reads F16 and BF16 (as written by PyTorch)', () => {
    // hand-built file: F16 [1.0, -2.0], BF16 [0.5]
    const header = JSON.stringify({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, g: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const hb = new TextEncoder().encode(header);
    const buf = new Uint8Array(8 + hb.length + 6);
    const dv = new DataView(buf.buffer);
    dv.setBigUint64(0, BigInt(hb.length), true);
    buf.set(hb, 8);
    dv.setUint16(8 + hb.length, 0x3c00, true);
    dv.setUint16(8 + hb.length + 2, 0xc000, true);
    dv.setUint16(8 + hb.length + 4, 0x3f00, true);
    const f = readSafetensors(buf);
    expect(Array.from(toFloat32(f.tensors.get('h')!))).toEqual([1, -2]);
    expect(Array.from(toFloat32(f.tensors.get('g')!))).toEqual([0.5]);
  });

  it('refuses truncated and corrupt files with clear errors', () => {
    const good = encodeSafetensors([{ name: 'w', shape: [4], data: Float32Array.of(1, 2, 3, 4) }]);
    expectCode(() => readSafetensors(good.subarray(0, 5)), 'ERR_SAFETENSORS_TRUNCATED', /fewer than the 8-byte header/);
    expectCode(() => readSafetensors(good.subarray(0, 20)), 'ERR_SAFETENSORS_TRUNCATED', /header declares/);
    expectCode(() => readSafetensors(good.subarray(0, good.length - 3)), 'ERR_SAFETENSORS_TRUNCATED', /tensor w needs data bytes up to 16/);
    const bad = good.slice();
    bad[9] = 0x7b; // break the JSON
    bad[8] = 0x5b;
    expectCode(() => readSafetensors(bad), 'ERR_SAFETENSORS_CORRUPT', /unreadable JSON header/);
    const mk = (h: object) => {
      const hb = new TextEncoder().encode(JSON.stringify(h));
      const b = new Uint8Array(8 + hb.length + 16);
      new DataView(b.buffer).setBigUint64(0, BigInt(hb.length), true);
      b.set(hb, 8);
      return b;
    };
    expectCode(() => readSafetensors(mk({ w: { dtype: 'F99', shape: [4], data_offsets: [0, 16] } })), 'ERR_SAFETENSORS_CORRUPT', /tensor w: unknown dtype/);
    expectCode(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [5], data_offsets: [0, 16] } })), 'ERR_SAFETENSORS_CORRUPT', /tensor w: 16 bytes for shape \[5\]/);
    expectCode(() => readSafetensors(mk({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 16] } })), 'ERR_SAFETENSORS_CORRUPT', /tensor w: shape/);
  });

  it('writes atomically: a failed write leaves the previous file and no temp file', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'w.safetensors');
    await writeSafetensors(file, [{ name: 'w', shape: [2], data: Float32Array.of(1, 2) }]);
    const before = await fs.readFile(file);
    await expect(writeSafetensors(file, [{ name: 'w', shape: [3], data: Float32Array.of(1, 2) }])).rejects.toThrow(/3 values/);
    expect(await fs.readFile(file)).toEqual(before);
    expect(await fs.readdir(dir)).toEqual(['w.safetensors']);
    await fs.rm(dir, { recursive: true });
  });
});

describe('policy checkpoints', () => {
  it('save → load reproduces logits, config and tokenizer; the file uses HF names and [out, in] layouts', async () => {
    const tok = fitTokenizer(['{"tool":"add","args":[1,2]}', 'compute 12 + 7 then double it'], { vocabSize: 280 });
    const policy = await createPolicy({ config, seed: 9, tokenizer: tok });
    const dir = await tmp();
    await policy.save(dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const file = readSafetensors(await fs.readFile(path.join(dir, 'model.safetensors')));
    expect(file.tensors.get('model.layers.0.self_attn.q_proj.weight')!.shape).toEqual([16, 16]);
    expect(file.tensors.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([8, 16]);
    expect(file.tensors.get('model.layers.1.mlp.down_proj.weight')!.shape).toEqual([16, 24]);
    expect(JSON.parse(file.metadata.cocoda_config!)).toEqual(policy.config);
    const loaded = await loadPolicy(dir);
    expect(loaded.config).toEqual(policy.config);
    expect(loaded.tokenizer!.encode('add 12')).toEqual(tok.encode('add 12'));
    const seqs = [[1, 5, 9, 200, 4]];
    expect(loaded.logProbs(seqs)).toEqual(policy.logProbs(seqs));
    const g1 = await policy.generate([[1, 2, 3]], { maxNewTokens: 5, seed: 2 });
    const g2 = await loaded.generate([[1, 2, 3]], { maxNewTokens: 5, seed: 2 });
    expect(g2.tokens).toEqual(g1.tokens);
    loaded.dispose();
    policy.dispose();
    await fs.rm(dir, { recursive: true });
  });

  it('refuses weights that do not match the config, naming the tensor', async () => {
    const cfg = resolveConfig(config);
    const policy = await createPolicy({ config, seed: 1 });
    const buf = encodeWeights(cfg, await policy.model.readWeights());
    expectCode(() => decodeWeights(resolveConfig({ ...config, intermediateSize: 32 }), buf), 'ERR_POLICY_WEIGHTS_MISMATCH',
      /tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[24,16\] but the config expects \[32,16\]/);
    expectCode(() => decodeWeights(resolveConfig({ ...config, numLayers: 3 }), buf), 'ERR_POLICY_WEIGHTS_MISMATCH', /missing tensor model\.layers\.2\.input_layernorm\.weight/);
    expectCode(() => decodeWeights(resolveConfig({ ...config, numLayers: 1 }), buf), 'ERR_POLICY_WEIGHTS_MISMATCH', /unexpected tensor model\.layers\.1\./);
    expectCode(() => decodeWeights(resolveConfig({ ...config, tieEmbeddings: false }), buf), 'ERR_POLICY_WEIGHTS_MISMATCH', /missing tensor lm_head\.weight/);
    // a tied checkpoint that also stores lm_head.weight loads (as in Hugging Face), with a warning
    const untied = resolveConfig({ ...config, tieEmbeddings: false });
    const w = await policy.model.readWeights();
    const withHead = new Map(w);
    withHead.set('lm_head.weight', new Float32Array(untied.hiddenSize * untied.vocabSize).fill(0.5));
    const tiedPlusHead = encodeWeights(untied, withHead);
    const warnings: string[] = [];
    const onWarn = (e: Error) => warnings.push(e.message);
    process.on('warning', onWarn);
    const decoded = decodeWeights(cfg, tiedPlusHead);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarn);
    expect(decoded.has('lm_head.weight')).toBe(false);
    expect(decoded.get('model.embed_tokens.weight')).toEqual(w.get('model.embed_tokens.weight'));
    expect(warnings.some((m) => /ignoring lm_head\.weight/.test(m))).toBe(true);
    // a non-float dtype
    const f = readSafetensors(buf);
    const hb = new TextEncoder().encode(JSON.stringify(Object.fromEntries([...f.tensors].map(([n, t], i, all) => {
      const start = all.slice(0, i).reduce((s, [, x]) => s + x.bytes.length, 0);
      return [n, { dtype: n === 'model.norm.weight' ? 'I32' : t.dtype, shape: t.shape, data_offsets: [start, start + t.bytes.length] }];
    }))));
    const total = [...f.tensors.values()].reduce((s, t) => s + t.bytes.length, 0);
    const out = new Uint8Array(8 + hb.length + total);
    new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
    out.set(hb, 8);
    let o = 8 + hb.length;
    for (const t of f.tensors.values()) { out.set(t.bytes, o); o += t.bytes.length; }
    expectCode(() => decodeWeights(cfg, out), 'ERR_POLICY_WEIGHTS_MISMATCH', /tensor model\.norm\.weight has dtype I32/);
    // a truncated weights file on disk: loading fails, the policy keeps its weights
    const dir = await tmp();
    await policy.save(dir);
    const wfile = path.join(dir, 'model.safetensors');
    const full = await fs.readFile(wfile);
    await fs.writeFile(wfile, full.subarray(0, full.length - 100));
    const before = policy.logProbs([[1, 2, 3]]);
    await expect(loadWeightsInto(policy, wfile)).rejects.toThrow(/is truncated: tensor model\.\S+ needs data bytes/);
    await expect(loadPolicy(dir)).rejects.toThrow(/truncated/);
    expect(policy.logProbs([[1, 2, 3]])).toEqual(before);
    await fs.writeFile(path.join(dir, 'config.json'), '{"format":"cocoda-policy","version":1,"config":{"hiddenSize":-1}}');
    await expect(loadPolicy(dir)).rejects.toThrow(/invalid config.*hiddenSize/);
    await expect(loadPolicy(path.join(dir, 'nope'))).rejects.toThrow(/cannot read/);
    policy.dispose();
    await fs.rm(dir, { recursive: true });
  });
});
