/**
 * `cocoda run DIR NAME ARGS_JSON [--trace] [--json] [--no-contracts] [--timeout MS]`: run one tool
 * of a library in the sandbox and print its result (docs/sandbox.md "Running tools").
 *
 * Output: the result as JSON (non-finite numbers as the strings "NaN", "Infinity", "-Infinity");
 * `--trace` adds the nested call tree; `--json` prints `{"result", "trace"}` (or `{"error",
 * "trace"}`). A failure prints its reason on stderr (and the JSON on stdout with `--json`) and
 * exits 1; so does a bad ARGS_JSON or `--timeout` (the argument is named); a missing argument or
 * an unknown option is a usage error (exit 2).
 */
import type { Command } from 'commander';
import { CocodaError, argError } from '../../errors.ts';
import { runTool } from '../../exec/library.ts';
import { Sandbox, type TraceNode } from '../../exec/sandbox.ts';
import { showValue } from '../../exec/values.ts';
import { openForCli } from './library.ts';
import { FLAG_RANGES, intFlag } from '../flags.ts';
import { escapeLine, safeJson } from '../text.ts';

const json = (v: unknown): string =>
  safeJson(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

/** The call tree, one call per line, indented by depth. */
export function formatTrace(node: TraceNode, indent = ''): string {
  const args = node.args.map((a) => showValue(a, 60)).join(', ');
  const outcome = node.error ? `threw ${node.error.code}: ${node.error.message}` : `-> ${showValue(node.result, 80)}`;
  const ms = Number.isFinite(node.ms) ? `  [${node.ms < 0.01 ? node.ms.toFixed(4) : node.ms.toFixed(3)} ms]` : '';
  const lines = [`${indent}${escapeLine(`${node.tool}(${args}) ${outcome}`)}${ms}`];
  for (const c of node.calls) lines.push(formatTrace(c, indent + '  '));
  return lines.join('\n');
}

export function registerExec(program: Command): void {
  program
    .command('run')
    .description('run one tool of a library in the sandbox and print its result')
    .argument('<dir>', 'library directory')
    .argument('<name>', 'tool name')
    .argument('<args>', 'arguments as a JSON array, e.g. \'[1, -3, 2, 2]\'')
    .option('--trace', 'print the nested call trace')
    .option('--json', 'print {"result", "trace"} as JSON')
    .option('--no-contracts', 'do not check pre/post-conditions')
    .option('--timeout <ms>', 'wall-time limit of the call', '2000')
    .action(async (dir: string, name: string, argsText: string, opts: { trace?: boolean; json?: boolean; contracts: boolean; timeout: string }) => {
      const timeoutMs = intFlag('--timeout', opts.timeout, FLAG_RANGES.timeout)!;
      let args: unknown;
      try {
        args = JSON.parse(argsText);
      } catch (e) {
        throw argError('type', 'ARGS_JSON', `a JSON array of arguments such as '[1, 2]' (${(e as Error).message})`, argsText);
      }
      if (!Array.isArray(args)) throw argError('type', 'ARGS_JSON', "a JSON array of arguments such as '[1, 2]'", args);
      const dag = openForCli(dir);
      if (!dag.has(name)) {
        throw new CocodaError(`no tool "${name}" in ${dir} (library version ${dag.version})`, 'ERR_UNKNOWN_TOOL', { tool: name });
      }
      const remote = dag.record(name)!.remote;
      if (remote) {
        // A remote tool (library import-mcp): one call through its MCP server.
        const { callRemoteTool } = await import('../../serve/mcp-client.ts');
        const r = await callRemoteTool(remote, args, dag.record(name)!.signature, { timeoutMs, keepAlive: false });
        if (opts.json) process.stdout.write(json(r.ok ? { result: r.result, trace: null } : { error: r.error, trace: null }) + '\n');
        else if (r.ok) process.stdout.write(json(r.result) + '\n');
        if (!r.ok) {
          process.stderr.write(`cocoda: run ${escapeLine(name)} failed: ${escapeLine(r.error!.message)} [${escapeLine(r.error!.code)}]\n`);
          process.exitCode = 1;
        }
        return;
      }
      const sandbox = new Sandbox({ timeoutMs });
      let o;
      try {
        o = await runTool(sandbox, dag, name, args, { trace: Boolean(opts.trace || opts.json), contracts: opts.contracts });
      } finally {
        await sandbox.close();
      }
      for (const v of o.violations) {
        if (o.ok) process.stderr.write(`cocoda: warning: ${escapeLine(v.message)} (caught inside ${escapeLine(name)})\n`);
      }
      if (opts.json) {
        process.stdout.write(json(o.ok ? { result: o.result, trace: o.trace ?? null } : { error: o.error, trace: o.trace ?? null }) + '\n');
      } else if (o.ok) {
        process.stdout.write(json(o.result) + '\n');
        if (opts.trace && o.trace) process.stdout.write(formatTrace(o.trace) + '\n');
      } else if (opts.trace && o.trace) {
        process.stdout.write(formatTrace(o.trace) + '\n');
      }
      if (!o.ok) {
        process.stderr.write(`cocoda: run ${escapeLine(name)} failed: ${escapeLine(o.error!.message)} [${escapeLine(o.error!.code)}]\n`);
        process.exitCode = 1;
      }
    });
}
