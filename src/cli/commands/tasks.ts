import type { Command } from 'commander';
import { argError } from '../../errors.ts';
import { generateTasks } from '../../tasks/generate.ts';
import { FLAG_RANGES, intFlag } from '../flags.ts';


/**
 * `cocoda tasks sample [--domain math|table] [--depth D] [--split train|test] [--n N] [--seed S] [--json]`:
 * generated tasks with their gold programs. `--json` prints an array of
 * `{"query", "inputs", "program", "answer", "depth", "template", "split"}`.
 */
export function registerTasks(program: Command): void {
  const tasks = program.command('tasks').description('the embedded generated task family');
  tasks
    .command('sample')
    .description('print generated tasks (query, inputs, gold program, answer, depth, template, split)')
    .option('--domain <domain>', 'math or table (default: both, alternating)')
    .option('--depth <D>', 'composition depth 1-6 (calls in the gold program)')
    .option('--split <split>', 'train or test', 'train')
    .option('--n <N>', 'number of tasks', '5')
    .option('--seed <S>', 'generator seed', '0')
    .option('--json', 'print a JSON array')
    .action((o: { domain?: string; depth?: string; split: string; n: string; seed: string; json?: boolean }) => {
      if (o.domain !== undefined && o.domain !== 'math' && o.domain !== 'table') throw argError('range', '--domain', '"math" or "table"', o.domain);
      if (o.split !== 'train' && o.split !== 'test') throw argError('range', '--split', '"train" or "test"', o.split);
      const depth = intFlag('--depth', o.depth, FLAG_RANGES.depth);
      const list = generateTasks({
        seed: intFlag('--seed', o.seed, FLAG_RANGES.seed)!,
        n: intFlag('--n', o.n, FLAG_RANGES.n)!,
        split: o.split,
        ...(o.domain ? { domain: o.domain as 'math' | 'table' } : {}),
        ...(depth !== undefined ? { depth } : {}),
      });
      if (o.json) {
        const out = list.map((t) => ({ query: t.query, inputs: t.inputs, program: t.program, answer: t.answer, depth: t.depth, template: t.template, split: t.split }));
        process.stdout.write(JSON.stringify(out) + '\n');
        return;
      }
      for (const t of list) {
        process.stdout.write(`[${t.template}] depth ${t.depth}\n  ${t.query}\n  program: ${t.program.calls.map((c) => c.tool).join(' → ')}\n  answer: ${JSON.stringify(t.answer)}\n`);
      }
    });
}
