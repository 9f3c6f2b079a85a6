/**
 * `cocoda retrieve DIR --sig SIG --intent TEXT [--k2 N] [--m N] [--unordered] [--args JSON] [--json]`:
 * Typed DAG Retrieval over the current version of a library directory, for one typed sub-goal. Prints the winner (with d(v),
 * Ch(v), flat(v)), every stage's survivors, tokens and time, and the flat baseline's cost.
 *
 * `--json`: `{"winner": name|null, "stages": [{"stage","survivors","tokens","ms"}], "tokens",
 * "flatTokens"}` plus `depth`, `children`, `flat` of the winner, `ranked` (S3 in L4 order), `rejected`.
 *
 * `--args` gives argument values (a JSON array, or an object by parameter name): candidates with a
 * body are then run on them in the exec sandbox (contracts at L3, result fit at L4).
 *
 * `--llm-base-url URL --llm-model NAME [--llm-roles l2,l3,l4,embed]`: those stages go to an
 * OpenAI-compatible endpoint (prompts D.4–D.6, embeddings; src/llm); `--json` then adds
 * `llmUsage` (server-reported tokens per role). A role whose calls fail falls back to its embedded stage.
 *
 * `--batch FILE.jsonl` (or `-` for stdin): many sub-goals in one process, one JSON object per input
 * line (`{"signature" | "sig", "intent", "args"?}`), one `--json` result per output line in input
 * order (plus `"line"`); a bad line gives `{"line", "error": {"message", "code"?}}` on its line and
 * the exit code 1 after all lines are answered.
 *
 * The first call on a library version persists what the version derives (card token counts, the
 * L1 and lexical indexes) beside its snapshot (src/retrieval/cache.ts); later calls read it and
 * need not load the tokenizer. `--no-cache` neither reads nor writes it.
 *
 * Exit codes: 0 (also when no tool serves the sub-goal: `winner` is null), 1 bad input or library,
 * 2 usage (neither --sig/--intent nor --batch, or both).
 */
import type { Command } from 'commander';
import { checkPositiveInt, argError } from '../../errors.ts';
import { openLibrary } from '../../library/store.ts';
import { Corpus } from '../../retrieval/corpus.ts';
import { Retriever, type RetrievalResult } from '../../retrieval/cascade.ts';
import { loadRetrievalCache, saveRetrievalCache } from '../../retrieval/cache.ts';
import type { ToolDag } from '../../library/dag.ts';
import { readFileSync } from 'node:fs';
import { warnFallbacks } from './library.ts';
import type { Sandbox } from '../../exec/sandbox.ts';
import { escapeLine, safeJson } from '../text.ts';
import { addLlmOptions, llmFromOptions, type LlmCliOptions } from '../llm-options.ts';

const RETRIEVE_ROLES = ['l2', 'l3', 'l4', 'embed'];

export function registerRetrieve(program: Command): void {
  const cmd = program
    .command('retrieve')
    .description('retrieve the tool that serves a typed sub-goal (L1 types → L2 descriptions → L3 contracts → L4 examples)')
    .argument('<dir>', 'library directory')
    .option('--sig <signature>', 'sub-goal signature, e.g. "(float, float) -> float"')
    .option('--intent <text>', 'what the step should do')
    .option('--batch <file>', 'JSONL of sub-goals ({"signature", "intent", "args"?} per line; "-" = stdin): one JSON result per line')
    .option('--k2 <n>', 'shortlist size after L2', '32')
    .option('--m <n>', 'L2 cards shown at most (the pre-ranker cap)')
    .option('--unordered', 'positional inputs match parameters in any order')
    .option('--no-semantic', 'no WordNet expansion of the intent')
    .option('--no-cache', 'neither read nor write the persisted per-version retrieval data')
    .option('--args <json>', 'argument values: a JSON array, or an object by parameter name (runs candidates in the sandbox)')
    .option('--json', 'print JSON');
  addLlmOptions(cmd, RETRIEVE_ROLES, ['l2', 'l3', 'l4'])
    .action(async function (this: Command, dir: string, o: RetrieveCliOptions & LlmCliOptions) {
      if (o.batch !== undefined && (o.sig !== undefined || o.intent !== undefined || o.args !== undefined)) this.error('error: --batch takes the sub-goals from its file: drop --sig, --intent and --args', { exitCode: 2 });
      if (o.batch === undefined && o.sig === undefined) this.error("error: required option '--sig <signature>' not specified", { exitCode: 2 });
      if (o.batch === undefined && o.intent === undefined) this.error("error: required option '--intent <text>' not specified", { exitCode: 2 });
      if (!/^\s*\d+\s*$/.test(o.k2)) throw argError('type', 'k2', 'a positive integer', o.k2);
      const k2 = checkPositiveInt('k2', Number(o.k2));
      if (o.m !== undefined && !/^\s*\d+\s*$/.test(o.m)) throw argError('type', 'm', 'a positive integer', o.m);
      const m = o.m === undefined ? undefined : checkPositiveInt('m', Number(o.m));
      let args: unknown;
      if (o.args !== undefined) {
        try {
          args = JSON.parse(o.args);
        } catch (e) {
          throw argError('type', 'args', `JSON (${(e as Error).message})`, o.args);
        }
        if (typeof args !== 'object' || args === null) throw argError('type', 'args', 'a JSON array or object', args);
      }
      const opened = openLibrary(dir);
      warnFallbacks(opened);
      const corpus = Corpus.fromDag(opened.dag);
      const cached = o.cache !== false && loadRetrievalCache(corpus, opened.file);
      const endpoint = await llmFromOptions(o, RETRIEVE_ROLES, ['l2', 'l3', 'l4']);
      let stages = {};
      if (endpoint) {
        const { llmStages } = await import('../../llm/retrieval.ts');
        stages = llmStages(endpoint.llm, endpoint.roles as never);
      }
      const retriever = new Retriever(corpus, { k2, ...(m ? { m } : {}), unorderedInputs: o.unordered === true, semantic: o.semantic !== false, ...stages });
      const persist = (): void => {
        if (cached || o.cache === false) return;
        try {
          saveRetrievalCache(corpus, opened.file);
        } catch {
          // a read-only library just stays uncached
        }
      };
      const plain = (r: RetrievalResult) => {
        const w = r.winner;
        return {
          winner: w ? w.name : null,
          stages: r.stages.map((s) => ({ stage: s.stage, survivors: s.survivors, tokens: s.tokens, ms: Number(s.ms.toFixed(3)) })),
          tokens: r.tokens,
          flatTokens: r.flatTokens,
          depth: w ? w.depth : null,
          children: w ? w.children : null,
          flat: w ? w.flat : null,
          typeMatch: w ? w.typeMatch : null,
          ranked: Array.from(r.ranked, (v) => corpus.records[v]!.name),
          rejected: r.rejected,
          l1: r.l1,
          version: opened.dag.version,
        };
      };
      if (o.batch !== undefined) {
        const failed = await runBatch(o.batch, retriever, opened.dag, (r) => plain(r));
        persist();
        if (failed > 0) {
          process.stderr.write(`cocoda: ${failed} sub-goal line${failed === 1 ? '' : 's'} failed (see their "error")\n`);
          process.exitCode = 1;
        }
        return;
      }
      let r;
      if (args === undefined) r = await retriever.retrieveAsync({ signature: o.sig!, intent: o.intent! });
      else {
        const { Sandbox } = await import('../../exec/sandbox.ts');
        const sandbox = new Sandbox();
        try {
          r = await retriever.retrieveAsync({ signature: o.sig!, intent: o.intent!, args: args as unknown[] }, { sandbox, dag: opened.dag });
        } finally {
          await sandbox.close();
        }
      }
      const w = r.winner;
      if (o.json) {
        process.stdout.write(safeJson({ ...plain(r), ...(endpoint ? { llmUsage: endpoint.llm.usage.toJSON() } : {}) }) + '\n');
        persist();
        return;
      }
      const lines: string[] = [];
      lines.push(
        w
          ? `winner: ${w.name}  (depth ${w.depth}${w.children.length ? `, calls ${w.children.join(', ')}` : ', primitive'}, flat ${w.flat})`
          : 'winner: none (no tool serves this sub-goal)',
      );
      if (w && w.typeClass > 0) lines.push(`  (types: ${w.typeMatch}${r.l1.fallback === 'incompatible' ? ' — no tool fits the types; chosen by the intent alone' : ''})`);
      lines.push('stage  survivors  tokens        ms');
      for (const s of r.stages) lines.push(`${s.stage.padEnd(5)}  ${String(s.survivors).padStart(9)}  ${String(s.tokens).padStart(6)}  ${s.ms.toFixed(2).padStart(8)}`);
      const ratio = r.tokens > 0 ? ` (${(r.flatTokens / r.tokens).toFixed(1)}× the cascade)` : '';
      lines.push(`tokens: ${r.tokens}   flat retrieval would cost ${r.flatTokens}${ratio}   [library version ${opened.dag.version}, Qwen3 tokens]`);
      for (const x of r.rejected) lines.push(`  L3 rejected ${x.tool}: ${x.reason}`);
      if (endpoint) {
        const u = endpoint.llm.usage.toJSON();
        const per = Object.entries(u.roles).map(([k, v]) => `${k} ${v.requests} req ${v.promptTokens}+${v.completionTokens} tok${v.failures ? ` (${v.failures} failed → embedded)` : ''}`);
        lines.push(`LLM (${endpoint.llm.config.model} at ${endpoint.llm.config.baseURL}): ${per.join('; ')}   [server-reported tokens]`);
      }
      process.stdout.write(lines.map(escapeLine).join('\n') + '\n');
      persist();
    });
}

interface RetrieveCliOptions {
  sig?: string;
  intent?: string;
  batch?: string;
  k2: string;
  m?: string;
  unordered?: boolean;
  semantic?: boolean;
  cache?: boolean;
  args?: string;
  json?: boolean;
}

/**
 * Answers every line of a JSONL file (or stdin for `-`) in one process; writes one JSON result per
 * line, in order. Returns the number of lines that failed.
 */
async function runBatch(file: string, retriever: Retriever, dag: ToolDag, plain: (r: RetrievalResult) => Record<string, unknown>): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw argError('type', 'batch', `a readable JSONL file (${(e as Error).message})`, file);
  }
  let failed = 0;
  let sandbox: Sandbox | null = null;
  const out: string[] = [];
  const flush = (): void => {
    if (out.length > 0) process.stdout.write(out.join(''));
    out.length = 0;
  };
  try {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (raw === '') continue;
      const line = i + 1;
      try {
        let g: Record<string, unknown>;
        try {
          g = JSON.parse(raw) as Record<string, unknown>;
        } catch (e) {
          throw argError('type', `line ${line}`, `a JSON object (${(e as Error).message})`);
        }
        if (typeof g !== 'object' || g === null || Array.isArray(g)) throw argError('type', `line ${line}`, 'a JSON object {"signature", "intent", "args"?}', g);
        const sub = { signature: (g.signature ?? g.sig) as string, intent: g.intent as string, ...(g.args !== undefined ? { args: g.args as unknown[] } : {}) };
        let r: RetrievalResult;
        if (sub.args !== undefined) {
          sandbox ??= new (await import('../../exec/sandbox.ts')).Sandbox();
          r = await retriever.retrieveAsync(sub, { sandbox, dag });
        } else r = await retriever.retrieveAsync(sub);
        out.push(safeJson({ line, ...plain(r) }) + '\n');
      } catch (e) {
        failed++;
        const err = e as Error & { code?: string };
        out.push(safeJson({ line, error: { message: err.message, ...(err.code ? { code: err.code } : {}) } }) + '\n');
      }
      if (out.length >= 256) flush();
    }
    flush();
  } finally {
    if (sandbox) await sandbox.close();
  }
  return failed;
}
