// The primitive set of src/primitives plus a looping tool, for trajectory / teacher tests.
import { ToolDag } from '../../src/library/dag.ts';
import type { ToolInput } from '../../src/library/dag.ts';
import { PRIMITIVES } from '../../src/primitives/index.ts';

export const FIXTURE_PRIMITIVES: ToolInput[] = [
  ...PRIMITIVES,
  { name: 'spin', signature: '(int) -> int', body: 'function spin(n) { while (true) {} }', origin: 'primitive' },
];

export function fixtureDag(): ToolDag {
  return ToolDag.empty().add(FIXTURE_PRIMITIVES);
}
