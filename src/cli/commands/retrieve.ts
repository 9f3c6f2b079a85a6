/**
 * `cocoda retrieve DIR --sig SIG --intent TEXT [--k2 N] [--args JSON] [--json]`: Typed DAG Retrieval over the
 * current version of a library directory, for one typed sub-goal. Prints the winner (with d(v),
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
 * Exit codes: 0 (also when no tool serves the sub-goal: `winner` is null), 1 bad input or library.
 */
import type { Command } from 'commander';
import { checkPositiveInt, argError } from '../../errors.ts';
import { openLibrary } from '../../library/store.ts';
import { Corpus } from '../../retrieval/corpus.ts';
import { Retriever } from '../../retrieval/cascade.ts';
import { warnFallbacks } from './library.ts';
import { Sandbox } from '../../exec/sandbox.ts';
import { escapeLine, safeJson } from '../text.ts';
import { addLlmOptions, llmFromOptions, type LlmCliOptions } from '../llm-options.ts';

const RETRIEVE_ROLES = ['l2', 'l3', 'l4', 'embed'];

export function registerRetrieve(program: Command): void {
  const cmd = program
    .command('retrieve')
    .description('retrieve the tool that serves a typed sub-goal (L1 types → L2 descriptions → L3 contracts → L4 examples)')
    .argument('<dir>', 'library directory')
    .requiredOption('--sig <signature>', 'sub-goal signature, e.g. "(float, float) -> float"')
    .requiredOption('--intent <text>', 'what the step should do')
    .option('--k2 <n>', 'shortlist size after L2', '32')
    .option('--args <json>', 'argument values: a JSON array, or an object by parameter name (runs candidates in the sandbox)')
    .option('--json', 'print JSON');
  addLlmOptions(cmd, RETRIEVE_ROLES, ['l2', 'l3', 'l4'])
    .action(async (dir: string, o: { sig: string; intent: string; k2: string; args?: string; json?: boolean } & LlmCliOptions) => {
      if (!/^\s*\d+\s*$/.test(o.k2)) throw argError('type', 'k2', 'a positive integer', o.k2);
      const k2 = checkPositiveInt('k2', Number(o.k2));
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
      const endpoint = await llmFromOptions(o, RETRIEVE_ROLES, ['l2', 'l3', 'l4']);
      let stages = {};
      if (endpoint) {
        const { llmStages } = await import('../../llm/retrieval.ts');
        stages = llmStages(endpoint.llm, endpoint.roles as never);
      }
      const retriever = new Retriever(corpus, { k2, ...stages });
      let r;
      if (args === undefined) r = await retriever.retrieveAsync({ signature: o.sig, intent: o.intent });
      else {
        const sandbox = new Sandbox();
        try {
          r = await retriever.retrieveAsync({ signature: o.sig, intent: o.intent, args: args as unknown[] }, { sandbox, dag: opened.dag });
        } finally {
          await sandbox.close();
        }
      }
      const w = r.winner;
      if (o.json) {
        process.stdout.write(
          safeJson({
            winner: w ? w.name : null,
            stages: r.stages.map((s) => ({ stage: s.stage, survivors: s.survivors, tokens: s.tokens, ms: Number(s.ms.toFixed(3)) })),
            tokens: r.tokens,
            flatTokens: r.flatTokens,
            depth: w ? w.depth : null,
            children: w ? w.children : null,
            flat: w ? w.flat : null,
            ranked: Array.from(r.ranked, (v) => corpus.records[v]!.name),
            rejected: r.rejected,
            version: opened.dag.version,
            ...(endpoint ? { llmUsage: endpoint.llm.usage.toJSON() } : {}),
          }) + '\n',
        );
        return;
      }
      const lines: string[] = [];
      lines.push(
        w
          ? `winner: ${w.name}  (depth ${w.depth}${w.children.length ? `, calls ${w.children.join(', ')}` : ', primitive'}, flat ${w.flat})`
          : 'winner: none (no tool serves this sub-goal)',
      );
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
    });
}
