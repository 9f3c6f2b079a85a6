/**
 * `cocoda library …`: the tool library on disk (a library directory, see src/library/store.ts).
 *
 *   cocoda library import DIR SPECS.json [--json] [--tag TAG]…   JSON-Schema specs → tools
 *   cocoda library show DIR NAME [--json]                        one tool: all layers + DAG data
 *   cocoda library stats DIR [--json]                            counts, depth, version
 *
 * Exit codes (src/cli/main.ts): 0 success; 1 failure — for `import`, 1 also when some specs
 * failed (the others are still imported and saved); 2 usage error.
 *
 * Other concepts add subcommands with a one-line edit of {@link librarySubcommands}.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CocodaError } from '../../errors.ts';
import type { ToolDag, ToolNode } from '../../library/dag.ts';
import { importSchemasInto } from '../../library/import-schema.ts';
import { openLibrary, openOrInitLibrary, updateLibrary, type OpenedLibrary } from '../../library/store.ts';
import { decodeUtf8, escapeLine, safeJson } from '../text.ts';
import { registerLibraryWrite } from './library-write.ts';
import { registerImportMcp } from './mcp.ts';

/** Subcommand registrars for `cocoda library`; each adds its subcommand(s) to the group. */
export const librarySubcommands: Array<(library: Command) => void> = [registerImport, registerShow, registerStats, registerLibraryWrite, registerImportMcp];

export function registerLibrary(program: Command): void {
  const library = program.command('library').description('create, inspect and change a tool library directory');
  for (const add of librarySubcommands) add(library);
}

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
};

/** Prints a warning for every snapshot that failed to load before one did. */
export function warnFallbacks(opened: OpenedLibrary): void {
  for (const f of opened.fallbacks) {
    process.stderr.write(`cocoda: warning: skipped ${escapeLine(f.error.message)} [${f.error.code}]\n`);
  }
  if (opened.fallbacks.length > 0) process.stderr.write(`cocoda: warning: loaded version ${opened.dag.version} from "${escapeLine(opened.file)}" instead\n`);
}

/** Opens a library for reading, with fallback warnings on stderr. */
export function openForCli(dir: string): ToolDag {
  const opened = openLibrary(dir);
  warnFallbacks(opened);
  return opened.dag;
}

function readSpecs(file: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CocodaError(`cannot read "${file}": ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'ERR_SPECS_READ', { file });
  }
  const text = decodeUtf8(bytes, file); // refused with the byte offset when not UTF-8
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CocodaError(`"${file}" is not valid JSON: ${(e as Error).message}`, 'ERR_SPECS_PARSE', { file });
  }
}

function registerImport(library: Command): void {
  library
    .command('import')
    .description('import JSON-Schema tool specs (an array, or an object keyed by name) into DIR, creating the library if needed')
    .argument('<dir>', 'library directory')
    .argument('<specs>', 'JSON file of OpenAI/BFCL-style tool specs')
    .option('--json', 'print {"imported": n, "failed": [{"tool", "error"}]}')
    .option('--tag <tag>', 'add a tag to every imported tool (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .action(async (dir: string, specsFile: string, opts: { json?: boolean; tag: string[] }) => {
      const specs = readSpecs(specsFile);
      if (typeof specs !== 'object' || specs === null) {
        throw new CocodaError(`"${specsFile}" must hold an array of tool specs or an object keyed by tool name`, 'ERR_SPECS_PARSE', { file: specsFile });
      }
      const created = openOrInitLibrary(dir);
      // Read HEAD → import → commit under the write protocol (re-run on a HEAD another writer moved).
      const { value: res, commit } = await updateLibrary(
        dir,
        (head) => {
          const r = importSchemasInto(head, specs, { tags: opts.tag });
          return { dag: r.imported.length > 0 ? r.dag : head, value: r };
        },
        { onOpen: (opened, attempt) => attempt === 1 && warnFallbacks(created.created ? { ...opened, fallbacks: [] } : opened) },
      );
      const failed = res.failed.map((f) => ({ tool: f.tool, error: f.error.message }));
      if (opts.json) {
        out(safeJson({ imported: res.imported.length, failed }));
      } else {
        out(`imported ${res.imported.length} tool${res.imported.length === 1 ? '' : 's'} into ${escapeLine(dir)} (library version ${commit.version}, ${commit.dag.size} tools)`);
        if (failed.length > 0) {
          out(`${failed.length} failed:`);
          for (const f of failed) out(`  ${escapeLine(f.error)}`);
        }
      }
      if (failed.length > 0) process.exitCode = 1;
    });
}

/** The JSON shape of `library show --json`. */
export function nodeJson(node: ToolNode): Record<string, unknown> {
  const r = node.record;
  return {
    name: node.name,
    signature: r.signature,
    description: r.description,
    depth: node.depth,
    flat: node.flat,
    phi: node.phi,
    children: [...node.children],
    tags: [...r.tags],
    pre: r.pre,
    post: r.post,
    conditions: r.conditions,
    complexity: r.complexity,
    examples: r.examples,
    body: r.body ?? null,
    origin: r.origin,
    ...(r.remote ? { remote: r.remote } : {}),
  };
}

function fmtValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** Human-readable card of a tool. */
export function formatNode(dag: ToolDag, node: ToolNode): string {
  const r = node.record;
  const kind = node.children.length > 0 ? 'composite' : 'primitive';
  const lines = [`${node.name}  (${kind}, origin ${r.origin}, library version ${dag.version})`];
  lines.push(`  L1  ${r.signature}`);
  lines.push(`  L2  ${r.description || '(no description)'}`);
  if (r.tags.length) lines.push(`      tags: ${r.tags.join(', ')}`);
  const l3 = [
    r.pre && `pre: ${r.pre}`,
    r.post && `post: ${r.post}`,
    r.conditions && `conditions: ${r.conditions}`,
    r.complexity && `complexity: ${r.complexity}`,
  ].filter(Boolean);
  if (l3.length === 0) lines.push('  L3  (none)');
  l3.forEach((x, i) => lines.push(`${i === 0 ? '  L3  ' : '      '}${x}`));
  if (r.examples.length === 0) lines.push('  L4  (no examples)');
  r.examples.forEach((e, i) => lines.push(`${i === 0 ? '  L4  ' : '      '}(${e.args.map(fmtValue).join(', ')}) -> ${fmtValue(e.result)}`));
  lines.push(`  DAG depth ${node.depth}, flat ${node.flat}, Φ ${node.phi}`);
  lines.push(`      children: ${node.children.length ? node.children.join(', ') : '(none)'}`);
  const parents = dag.parents(node.name);
  if (parents.length) lines.push(`      called by: ${parents.join(', ')}`);
  if (r.body !== undefined) {
    lines.push('  body:');
    for (const l of r.body.split('\n')) lines.push(`    ${l}`);
  } else if (r.remote) {
    lines.push(`  remote: MCP tool "${r.remote.tool}" on ${r.remote.url ?? [r.remote.command, ...(r.remote.args ?? [])].join(' ')}`);
  } else lines.push('  body: (none: schema-only tool)');
  // Every field is untrusted text: control characters print escaped (src/cli/text.ts).
  return lines.map(escapeLine).join('\n');
}

function registerShow(library: Command): void {
  library
    .command('show')
    .description('show one tool: signature, description, depth/flat/Φ, children and the other layers')
    .argument('<dir>', 'library directory')
    .argument('<name>', 'tool name')
    .option('--json', 'print JSON')
    .action((dir: string, name: string, opts: { json?: boolean }) => {
      const dag = openForCli(dir);
      const node = dag.node(name);
      if (!node) {
        const q = name.toLowerCase();
        const near = dag.names().filter((n) => n.toLowerCase().includes(q) || q.includes(n.toLowerCase())).slice(0, 5);
        throw new CocodaError(`no tool ${JSON.stringify(name)} in ${dir}${near.length ? ` (did you mean ${near.map((n) => `"${n}"`).join(', ')}?)` : ''}`, 'ERR_UNKNOWN_TOOL', { tool: name });
      }
      // Non-finite numbers (e.g. an example whose result is Infinity) print as the strings "NaN",
      // "Infinity", "-Infinity", as `cocoda run` prints them; plain JSON would turn them into null.
      out(opts.json ? safeJson(nodeJson(node), (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)) : formatNode(dag, node));
    });
}

/** Human-readable stats. */
export function formatStats(dag: ToolDag, dir: string): string {
  const s = dag.stats();
  return [
    `library ${dir}, version ${s.version}`,
    `  tools       ${s.tools}  (${s.primitives} primitives, ${s.composites} composites)`,
    `  edges       ${s.edges}  (${dag.callSites} call sites)`,
    `  depth       max ${s.maxDepth}, mean ${s.meanDepth.toFixed(3)}`,
  ].join('\n');
}

function registerStats(library: Command): void {
  library
    .command('stats')
    .description('print library counts: tools, primitives, composites, edges, depth, version')
    .argument('<dir>', 'library directory')
    .option('--json', 'print {"tools","primitives","composites","edges","maxDepth","meanDepth","version"}')
    .action((dir: string, opts: { json?: boolean }) => {
      const dag = openForCli(dir);
      out(opts.json ? JSON.stringify(dag.stats()) : formatStats(dag, dir));
    });
}
