/**
 * SVG plots of a co-evolution run (vega-lite compiled and rendered headless, no browser):
 *
 * * `curve.svg` — held-out accuracy and calls per solution vs GRPO step (the curve subset);
 * * `library.svg` — library size (tools, composites) and maximum DAG depth vs step (paper Fig. 2a).
 *
 * @example
 * ```ts
 * const files = await writePlots('runs/a', result.steps, result.warmStats);
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StepMetrics } from './coevolve.ts';

async function render(spec: Record<string, unknown>): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Both panels as SVG strings. */
export async function runPlots(steps: readonly StepMetrics[], start?: { tools: number; composites: number; maxDepth: number }): Promise<{ curve: string; library: string }> {
  const curveRows = steps.flatMap((s) => [
    ...(s.testAccuracy !== null ? [{ step: s.step, value: s.testAccuracy, metric: 'held-out accuracy', panel: 'accuracy' }] : []),
    { step: s.step, value: s.trainAccuracy, metric: 'train rollout accuracy', panel: 'accuracy' },
    ...(s.callsPerSolution !== null ? [{ step: s.step, value: s.callsPerSolution, metric: 'held-out calls per solution', panel: 'calls' }] : []),
    ...(s.trainCallsPerSolution !== null ? [{ step: s.step, value: s.trainCallsPerSolution, metric: 'train calls per solution', panel: 'calls' }] : []),
  ]);
  const curve = await render({
    title: { text: 'Co-evolution: accuracy and calls per solution vs GRPO step', subtitle: 'held-out: greedy decoding on the curve subset of the test split; train: sampled rollouts (T 0.7)' },
    data: { values: curveRows },
    vconcat: [
      {
        width: 520, height: 180, transform: [{ filter: "datum.panel === 'accuracy'" }],
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'GRPO step' },
          y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy (R_res = 1)' },
          color: { field: 'metric', type: 'nominal', title: null },
        },
      },
      {
        width: 520, height: 180, transform: [{ filter: "datum.panel === 'calls'" }],
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'GRPO step' },
          y: { field: 'value', type: 'quantitative', title: 'tool calls per solution' },
          color: { field: 'metric', type: 'nominal', title: null },
        },
      },
    ],
  });
  const libRows = [
    ...(start ? [{ step: 0, tools: start.tools, composites: start.composites, maxDepth: start.maxDepth }] : []),
    ...steps.map((s) => ({ step: s.step, tools: s.tools, composites: s.composites, maxDepth: s.maxDepth })),
  ];
  const library = await render({
    title: { text: 'Library growth vs GRPO step (cf. paper Fig. 2a)', subtitle: 'step 0 = the warm library after stage 1' },
    data: { values: libRows },
    hconcat: [
      {
        width: 300, height: 220,
        transform: [{ fold: ['tools', 'composites'], as: ['series', 'count'] }],
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'GRPO step' },
          y: { field: 'count', type: 'quantitative', title: 'tools in the library' },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        width: 220, height: 220,
        mark: { type: 'line', point: true, interpolate: 'step-after' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'GRPO step' },
          y: { field: 'maxDepth', type: 'quantitative', title: 'max DAG depth', axis: { tickMinStep: 1 } },
        },
      },
    ],
  });
  return { curve, library };
}

/** Writes `curve.svg` and `library.svg` into `DIR/plots`; returns their paths. */
export async function writePlots(runDir: string, steps: readonly StepMetrics[], start?: { tools: number; composites: number; maxDepth: number }): Promise<{ curve: string; library: string }> {
  const out = path.join(runDir, 'plots');
  mkdirSync(out, { recursive: true });
  const svg = await runPlots(steps, start);
  const curve = path.join(out, 'curve.svg');
  const library = path.join(out, 'library.svg');
  writeFileSync(curve, svg.curve);
  writeFileSync(library, svg.library);
  return { curve, library };
}
