// The task vocabulary's primitives plus a looping tool, for trajectory / teacher tests.
import { ToolDag } from '../../src/library/dag.ts';
import type { ToolInput } from '../../src/library/dag.ts';
import { TASK_PRIMITIVES } from '../../src/tasks/vocabulary.ts';

export const FIXTURE_PRIMITIVES: ToolInput[] = [
  ...TASK_PRIMITIVES,
  { name: 'spin', signature: '(int) -> int', body: 'function spin(n) { while (true) {} }', origin: 'primitive' },
];

export function fixtureDag(): ToolDag {
  return ToolDag.empty().add(FIXTURE_PRIMITIVES);
}
