/**
 * Checkpoints of a co-evolution run: `DIR/checkpoints/step-NNNNNN/` holds the policy
 * (`model.safetensors`, `tokenizer.json`, `config.json`), the AdamW state
 * (`trainer.safetensors`: moments `m.<weight>` / `v.<weight>`, step count in the metadata) and
 * `state.json` (step, library version, the abstractor's memory, metrics so far, seeds), plus
 * `manifest.json` with the SHA-256 of every file, written last. A checkpoint is built in a temp
 * directory and renamed into place, then `DIR/checkpoints/LATEST` names it (atomic write): a
 * crash leaves the previous checkpoint intact. Loading verifies the manifest; a corrupt or
 * truncated checkpoint is reported naming the file, and the caller may fall back to the previous.
 *
 * @example
 * ```ts
 * const dir = await writeCheckpoint(runDir, step, { policy, trainer, state });
 * const ck = await readCheckpoint(dir); // throws ERR_CHECKPOINT_CORRUPT naming the bad file
 * ```
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CocodaError } from '../errors.ts';
import { writeFileAtomic } from '../library/snapshot/index.ts';
import type { Policy } from '../policy/policy.ts';
import { encodeSafetensors, readSafetensors, toFloat32 } from '../policy/safetensors.ts';
import type { Trainer, TrainerState } from '../policy/trainer.ts';

export const CHECKPOINTS = 'checkpoints';
export const LATEST = 'LATEST';
const TRAINER_FILE = 'trainer.safetensors';
const STATE_FILE = 'state.json';
const MANIFEST = 'manifest.json';

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Encodes a trainer state as safetensors (moments as flat F32 tensors). */
export function encodeTrainerState(s: TrainerState): Uint8Array {
  const tensors = s.names.flatMap((name, i) => [
    { name: `m.${name}`, shape: [s.m[i]!.length], data: s.m[i]! },
    { name: `v.${name}`, shape: [s.v[i]!.length], data: s.v[i]! },
  ]);
  return encodeSafetensors(tensors, { t: String(s.t), skipped: String(s.skipped), names: JSON.stringify(s.names) });
}

/** Decodes {@link encodeTrainerState}'s bytes; errors name `source`. */
export function decodeTrainerState(buf: Uint8Array, source: string): TrainerState {
  const f = readSafetensors(buf, source);
  let names: string[];
  try {
    names = JSON.parse(f.metadata.names ?? '');
  } catch {
    throw new CocodaError(`${source}: metadata "names" is missing or not JSON`, 'ERR_CHECKPOINT_CORRUPT', { file: source });
  }
  const t = Number(f.metadata.t);
  const skipped = Number(f.metadata.skipped ?? 0);
  if (!Number.isInteger(t) || t < 0) throw new CocodaError(`${source}: metadata "t" is not a step count`, 'ERR_CHECKPOINT_CORRUPT', { file: source });
  const get = (k: string) => {
    const x = f.tensors.get(k);
    if (!x) throw new CocodaError(`${source}: missing tensor ${k}`, 'ERR_CHECKPOINT_CORRUPT', { file: source, tensor: k });
    return toFloat32(x, k);
  };
  return { t, skipped, names, m: names.map((n) => get(`m.${n}`)), v: names.map((n) => get(`v.${n}`)) };
}

export interface CheckpointContents<S> {
  policy: Policy;
  trainer: Trainer;
  state: S;
}

/** Writes checkpoint `step` under `runDir` (see the module comment); returns its directory. Keeps the newest `keep`. */
export async function writeCheckpoint<S>(runDir: string, step: number, c: CheckpointContents<S>, keep = 3): Promise<string> {
  const root = path.join(runDir, CHECKPOINTS);
  mkdirSync(root, { recursive: true });
  const name = checkpointName(step);
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await c.policy.save(tmp);
  writeFileAtomic(path.join(tmp, TRAINER_FILE), encodeTrainerState(await c.trainer.exportState()));
  writeFileAtomic(path.join(tmp, STATE_FILE), Buffer.from(JSON.stringify(c.state)));
  const files: Record<string, string> = {};
  for (const f of readdirSync(tmp).sort()) if (!f.startsWith('.')) files[f] = sha256(readFileSync(path.join(tmp, f)));
  writeFileAtomic(path.join(tmp, MANIFEST), Buffer.from(JSON.stringify({ format: 'cocoda-train-checkpoint', version: 1, step, files }, null, 2)));
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileAtomic(path.join(root, LATEST), Buffer.from(name + '\n'));
  // Prune old checkpoints (never the one just written).
  const all = listCheckpoints(runDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) if (old.name !== name) rmSync(old.dir, { recursive: true, force: true });
  return final;
}

/** Checkpoints on disk, oldest first. */
export function listCheckpoints(runDir: string): Array<{ name: string; step: number; dir: string }> {
  const root = path.join(runDir, CHECKPOINTS);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => /^step-(\d{6,})$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[0], step: Number(m[1]), dir: path.join(root, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * Verifies a checkpoint directory against its manifest and returns the parsed state and trainer
 * state (the policy files are loaded by the caller). Throws `ERR_CHECKPOINT_CORRUPT` naming the
 * file that is missing, truncated or altered.
 */
export function readCheckpoint<S>(dir: string): { step: number; state: S; trainer: TrainerState } {
  const manPath = path.join(dir, MANIFEST);
  let man: { format?: string; step?: number; files?: Record<string, string> };
  try {
    man = JSON.parse(readFileSync(manPath, 'utf8'));
  } catch (e) {
    throw new CocodaError(`checkpoint ${manPath}: ${(e as Error).message}`, 'ERR_CHECKPOINT_CORRUPT', { file: manPath });
  }
  if (man.format !== 'cocoda-train-checkpoint' || !man.files || !Number.isInteger(man.step)) {
    throw new CocodaError(`checkpoint ${manPath} is not a cocoda training checkpoint manifest`, 'ERR_CHECKPOINT_CORRUPT', { file: manPath });
  }
  for (const [f, want] of Object.entries(man.files)) {
    const p = path.join(dir, f);
    let bytes: Buffer;
    try {
      bytes = readFileSync(p);
    } catch (e) {
      throw new CocodaError(`checkpoint file ${p} cannot be read: ${(e as Error).message}`, 'ERR_CHECKPOINT_CORRUPT', { file: p });
    }
    if (sha256(bytes) !== want) throw new CocodaError(`checkpoint file ${p} is corrupt or truncated (SHA-256 differs from ${MANIFEST})`, 'ERR_CHECKPOINT_CORRUPT', { file: p });
  }
  const statePath = path.join(dir, STATE_FILE);
  const trainerPath = path.join(dir, TRAINER_FILE);
  return {
    step: man.step!,
    state: JSON.parse(readFileSync(statePath, 'utf8')) as S,
    trainer: decodeTrainerState(readFileSync(trainerPath), trainerPath),
  };
}

/** The checkpoint LATEST names, else the newest on disk, else undefined. */
export function latestCheckpoint(runDir: string): string | undefined {
  const root = path.join(runDir, CHECKPOINTS);
  try {
    const name = readFileSync(path.join(root, LATEST), 'utf8').trim();
    if (/^step-\d{6,}$/.test(name) && existsSync(path.join(root, name))) return path.join(root, name);
  } catch {
    /* fall through */
  }
  const all = listCheckpoints(runDir);
  return all.length ? all[all.length - 1]!.dir : undefined;
}
