/**
 * `cocoda library init|add`: create a library holding the primitive set, and insert one tool
 * through InsertTool (docs/sandbox.md "Writing a tool file").
 *
 *   cocoda library init DIR [--json]
 *   cocoda library add DIR FILE [--json] [--timeout MS] [--llm-base-url URL --llm-model NAME]
 *     prints ADD|MERGE|REJECT: reason; with an endpoint, InsertTool asks it for semantic dedup
 *     (prompt D.8) before an ADD (a failed call is a REJECT ERR_DEDUP_FAILED: nothing written)
 *
 * Exit codes: 0 on ADD/MERGE (and init), 3 on REJECT, 1 when the file cannot be read or loaded,
 * 2 on usage errors. A REJECT (bad record, failing example, cycle …) never changes the library.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { CocodaError, argError } from '../../errors.ts';
import { Sandbox } from '../../exec/sandbox.ts';
import { insertTool, type InsertDecision } from '../../library/insert.ts';
import { initLibrary, isLibraryDir, updateLibrary } from '../../library/store.ts';
import { seedRecords } from '../../primitives/index.ts';
import { openForCli, warnFallbacks } from './library.ts';
import { decodeUtf8, escapeLine, safeJson } from '../text.ts';
import { FLAG_RANGES, intFlag } from '../flags.ts';
import { addLlmOptions, llmFromOptions, type LlmCliOptions } from '../llm-options.ts';

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};

/** Fields a tool file must have (`conditions` and `origin` are optional). */
export const TOOL_FILE_FIELDS = ['name', 'signature', 'description', 'tags', 'pre', 'post', 'complexity', 'examples', 'body'] as const;

/**
 * Reads a tool file: a JSON object, or a JavaScript module whose default export (or `tool`
 * export) is the record. In a module, `body` may also be the function itself (its source text is
 * used). Loading a module runs it in this process, like any script you run; only the tool's body
 * is sandboxed.
 * @throws CocodaError `ERR_TOOL_FILE` when the file cannot be read, parsed or loaded
 */
export async function readToolFile(file: string): Promise<Record<string, unknown>> {
  const abs = path.resolve(file);
  const ext = path.extname(abs).toLowerCase();
  let value: unknown;
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CocodaError(`cannot read tool file "${file}": ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'ERR_TOOL_FILE', { file });
  }
  // Tool files are UTF-8: anything else is refused with the byte offset, never read as U+FFFD.
  const text = decodeUtf8(bytes, file);
  if (['.js', '.mjs', '.cjs', '.ts', '.mts'].includes(ext)) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CocodaError(`cannot load tool module "${file}": ${code === 'ERR_MODULE_NOT_FOUND' ? 'no such file' : (e as Error).message}`, 'ERR_TOOL_FILE', { file });
    }
    value = mod.default ?? mod.tool;
    // CommonJS `module.exports = {...}` arrives as the default export.
    if (value === undefined) throw new CocodaError(`tool module "${file}" must export the record as its default export (or as \`tool\`)`, 'ERR_TOOL_FILE', { file });
  } else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CocodaError(`tool file "${file}" is not valid JSON: ${(e as Error).message}`, 'ERR_TOOL_FILE', { file });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CocodaError(`tool file "${file}" must hold one tool record (an object with ${TOOL_FILE_FIELDS.join(', ')})`, 'ERR_TOOL_FILE', { file });
  }
  const rec = { ...(value as Record<string, unknown>) };
  if (typeof rec.body === 'function') rec.body = Function.prototype.toString.call(rec.body);
  return rec;
}

/** The first required field a tool file lacks, as a REJECT reason naming the tool and the field. */
export function missingField(rec: Record<string, unknown>): { field: string; message: string } | undefined {
  const name = typeof rec.name === 'string' && rec.name ? rec.name : undefined;
  for (const f of TOOL_FILE_FIELDS) {
    if (!(f in rec) || rec[f] === undefined || rec[f] === null) {
      return { field: f, message: `${name ? `tool "${name}"` : 'tool file'}: field "${f}" is missing (a tool file has ${TOOL_FILE_FIELDS.join(', ')})` };
    }
  }
  const kinds: Record<string, string> = { name: 'string', signature: 'string', description: 'string', pre: 'string', post: 'string', complexity: 'string', body: 'string' };
  for (const [f, k] of Object.entries(kinds)) {
    if (typeof rec[f] !== k) return { field: f, message: `tool "${name ?? '?'}": field "${f}" must be a ${k}${f === 'body' ? ' holding the source of one function named as the tool' : ''}` };
  }
  if (!Array.isArray(rec.tags) || !rec.tags.every((t) => typeof t === 'string')) return { field: 'tags', message: `tool "${name}": field "tags" must be an array of strings` };
  if (!Array.isArray(rec.examples)) return { field: 'examples', message: `tool "${name}": field "examples" must be an array of {"args": [...], "result": ...}` };
  return undefined;
}

/** The JSON shape printed by `library add --json`. */
export function decisionJson(d: InsertDecision): Record<string, unknown> {
  const o: Record<string, unknown> = { action: d.action, code: d.code, reason: d.reason, tool: d.tool, version: d.version.version };
  if (d.mergedInto !== undefined) o.mergedInto = d.mergedInto;
  if (d.depth !== undefined) o.depth = d.depth;
  if (d.children !== undefined) o.children = d.children;
  return o;
}

function registerInit(library: Command): void {
  library
    .command('init')
    .description('create a library directory holding the primitive set (and the seed composites)')
    .argument('<dir>', 'new or empty directory')
    .option('--json', 'print {"dir","version","tools","primitives","composites"}')
    .action((dir: string, opts: { json?: boolean }) => {
      // One atomic step: a crash leaves no library or a complete one, never an empty version.
      const { dag } = initLibrary(dir, { records: seedRecords() });
      const s = dag.stats();
      if (opts.json) out(JSON.stringify({ dir, version: s.version, tools: s.tools, primitives: s.primitives, composites: s.composites }));
      else out(`initialised ${dir}: ${s.tools} tools (${s.primitives} primitives, ${s.composites} composite${s.composites === 1 ? '' : 's'}), library version ${s.version}`);
    });
}

function registerAdd(library: Command): void {
  const cmd = library
    .command('add')
    .description('insert one tool from a JSON file or JS module through InsertTool: prints ADD|MERGE|REJECT: reason (exit 0 on ADD/MERGE, 3 on REJECT)')
    .argument('<dir>', 'library directory')
    .argument('<file>', 'tool file: JSON, or a JS module exporting the record (docs/sandbox.md "Writing a tool file")')
    .option('--json', 'print the decision as JSON {"action","code","reason","tool","version",…}')
    .option('--timeout <ms>', 'wall-time limit per example call', '2000');
  addLlmOptions(cmd, ['dedup'], ['dedup'])
    .action(async (dir: string, file: string, opts: { json?: boolean; timeout: string } & LlmCliOptions) => {
      const timeoutMs = intFlag('--timeout', opts.timeout, FLAG_RANGES.timeout)!;
      if (!isLibraryDir(dir)) openForCli(dir); // ERR_NOT_A_LIBRARY before reading the file
      const rec = await readToolFile(file);
      const missing = missingField(rec);
      const sandbox = missing ? undefined : new Sandbox({ timeoutMs });
      const endpoint = await llmFromOptions(opts, ['dedup'], ['dedup']);
      const dedup = endpoint ? (await import('../../llm/library.ts')).llmDedup(endpoint.llm) : undefined;
      let d: InsertDecision;
      let committed: number;
      try {
        // Read HEAD → InsertTool → commit, under the write protocol: if another writer commits
        // meanwhile, InsertTool runs again on the new HEAD, so the decision printed is the one saved.
        let commit;
        ({ value: d, commit } = await updateLibrary(
          dir,
          async (head) => {
            let dec: InsertDecision;
            if (missing) {
              const name = typeof rec.name === 'string' ? rec.name : '';
              dec = { action: 'REJECT', code: 'ERR_RECORD', reason: `REJECT: ${missing.message}`, tool: name, version: head, dag: head, details: { field: missing.field } };
            } else {
              dec = await insertTool(head, { origin: 'user', ...rec }, { sandbox: sandbox!, ...(dedup ? { dedup } : {}) });
            }
            return { dag: dec.action === 'REJECT' ? head : dec.version, value: dec };
          },
          { onOpen: (opened, attempt) => attempt === 1 && warnFallbacks(opened) },
        ));
        committed = commit.version;
      } finally {
        await sandbox?.close();
      }
      out(opts.json ? safeJson({ ...decisionJson(d), version: committed }) : escapeLine(d.reason));
      if (d.action === 'REJECT') process.exitCode = 3;
    });
}

/** Registers `library init` and `library add` (see `librarySubcommands` in ./library.ts). */
export function registerLibraryWrite(library: Command): void {
  registerInit(library);
  registerAdd(library);
}
