/** What a task family contributes: a program skeleton with phrasings per split. */
import type { Rng } from './rng.ts';
import type { Trajectory } from '../trajectory/ir.ts';

export type Split = 'train' | 'test';
export type Domain = 'math' | 'table';

export interface Instance {
  inputs: Record<string, unknown>;
  program: Trajectory;
  /** Values substituted into the phrasing: `{name}` → slots.name. */
  slots: Record<string, string>;
}

export interface Scenario {
  /** Stable id, e.g. `purchase2`. */
  id: string;
  domain: Domain;
  /** Draws parameters from the split's ranges and builds the gold program. */
  make(rng: Rng, split: Split): Instance;
  /** Phrasings with `{slot}` holes; test phrasings never appear in training. */
  phrasings: Record<Split, readonly string[]>;
}

/** Parameter ranges: the test split uses larger, disjoint ranges. */
export const RANGES = {
  train: { qty: [2, 9], price: [0.5, 20], priceStep: 0.5, pct: [5, 30], pctStep: 5, people: [2, 5], hours: [1, 5], speed: [8, 25], minutes: [30, 180], weeks: [2, 8] },
  test: { qty: [11, 40], price: [21, 120], priceStep: 0.25, pct: [32, 48], pctStep: 1, people: [6, 12], hours: [6, 12], speed: [30, 90], minutes: [200, 600], weeks: [10, 30] },
} as const;

export function money(x: number): string {
  return Number.isInteger(x) ? `$${x}` : `$${x.toFixed(2)}`;
}

export function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = slots[k];
    if (v === undefined) throw new Error(`template slot {${k}} has no value`);
    return v;
  });
}
