// A strict consumer of the installed package: type-checked with `tsc --strict` against the
// package's .d.ts (skipLibCheck off), then run. It touches each subpath export the way a user
// would, including the parts that live outside dist/src (the sandbox runner, the retrieval
// worker, the shipped DepthBench data, the native addon).
import { readFileSync } from 'node:fs';
import { parseSignature, printSignature, type Signature } from 'cocoda/types';
import { ToolDag, depthbenchFile, importSchemasInto, type ToolInput } from 'cocoda/library';
import { Sandbox, runTool, type CallOutcome } from 'cocoda/exec';
import { Corpus, Retriever, BatchRetriever, type RetrievalResult, type PlainResult } from 'cocoda/retrieval';
import { CocodaError } from 'cocoda/errors';
import { backendInfo, VERSION } from 'cocoda';

const sig: Signature = parseSignature('(a: float, b: float) -> float');
const tools: ToolInput[] = [
  { name: 'add', signature: '(a: float, b: float) -> float', description: 'Add two numbers.', body: 'function add(a, b) { return a + b; }', origin: 'primitive' },
  { name: 'mul', signature: '(a: float, b: float) -> float', description: 'Multiply two numbers.', body: 'function mul(a, b) { return a * b; }', origin: 'primitive' },
  {
    name: 'sum_sq',
    signature: '(a: float, b: float) -> float',
    description: 'Sum of the squares of two numbers.',
    body: 'function sum_sq(a, b) { return add(mul(a, a), mul(b, b)); }',
    origin: 'composite',
  },
];
let dag: ToolDag = ToolDag.empty().add(tools);
const specs: unknown = JSON.parse(readFileSync(depthbenchFile('tools.json'), 'utf8'));
dag = importSchemasInto(dag, specs).dag;

const sb = new Sandbox({ timeoutMs: 2000, memoryMb: 128 });
const out: CallOutcome = await runTool(sb, dag, 'sum_sq', [3, 4]);
await sb.close();

const r: RetrievalResult = new Retriever(Corpus.fromDag(dag), { k2: 32 }).retrieve({ signature: sig, intent: 'sum of squares' });
const pool = new BatchRetriever(dag, { threads: 1 });
const batch: PlainResult[] = await pool.retrieveBatch([{ signature: '(a: float, b: float) -> float', intent: 'sum of squares' }]);
await pool.close();

let code = '';
try {
  parseSignature('(a: flot) -> float');
} catch (e) {
  if (e instanceof CocodaError) code = e.code;
}

console.log(
  JSON.stringify({
    version: VERSION,
    backend: backendInfo().backend,
    signature: printSignature(sig),
    tools: dag.size,
    run: out.ok ? out.result : out.error,
    winner: r.winner?.name ?? null,
    batchWinner: batch[0]?.winner?.name ?? null,
    errorCode: code,
  }),
);
