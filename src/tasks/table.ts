/**
 * Small-table questions (WikiTableQuestions / FinQA-like): filters, column sums, means, extremes,
 * ranges, shares and ratios over a generated sales table. Tables are arrays of row objects; a
 * predicate is `{col, op, value}` data, passed as a literal.
 */
import { ProgramBuilder } from '../trajectory/ir.ts';
import type { Instance, Scenario, Split } from './scenario.ts';
import type { Rng } from './rng.ts';
import type { Predicate, Row } from './reference.ts';

const REGIONS = { train: ['North', 'South', 'East', 'West'], test: ['Alpine', 'Coastal', 'Delta', 'Prairie', 'Tundra'] };
const PRODUCTS = { train: ['tea', 'coffee', 'cocoa'], test: ['juice', 'water', 'soda', 'milk'] };
const QUARTERS = ['Q1', 'Q2', 'Q3', 'Q4'];
const NUMERIC = { amount: 'sales amount', units: 'units sold' } as const;

/** Train tables: 6–10 rows, units 1–40, amounts 10–500; test tables: 12–20 rows, units 41–400, amounts 1,000–9,000. */
function makeTable(rng: Rng, s: Split): Row[] {
  const n = s === 'train' ? rng.int(6, 10) : rng.int(12, 20);
  const [lo, hi] = s === 'train' ? [10, 500] : [1000, 9000];
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    rows.push({
      region: rng.pick(REGIONS[s]),
      product: rng.pick(PRODUCTS[s]),
      quarter: rng.pick(QUARTERS),
      units: rng.int(s === 'train' ? 1 : 41, s === 'train' ? 40 : 400),
      amount: rng.int(lo, hi),
    });
  }
  return rows;
}

/** A predicate that selects at least one row (picks an existing value). */
function predicate(rng: Rng, t: Row[]): Predicate {
  const col = rng.pick(['region', 'product', 'quarter'] as const);
  return { col, op: '==', value: rng.pick(t)[col]! };
}

function setup(rng: Rng, s: Split) {
  const table = makeTable(rng, s);
  const col = rng.pick(Object.keys(NUMERIC) as Array<keyof typeof NUMERIC>);
  const pred = predicate(rng, table);
  const slots = { col: NUMERIC[col], key: String(pred.value), keycol: pred.col };
  return { table, col, pred, slots, b: new ProgramBuilder() };
}

function inst(b: ProgramBuilder, answer: { ref: number }, inputs: Record<string, unknown>, slots: Record<string, string>): Instance {
  return { inputs, program: b.finish(answer), slots };
}

export const TABLE_SCENARIOS: readonly Scenario[] = [
  {
    id: 'count_rows',
    domain: 'table',
    make(rng, s) {
      const { table, slots, b } = setup(rng, s);
      return inst(b, b.call('count_rows', b.input('table')), { table }, slots);
    },
    phrasings: {
      train: ['How many rows does the sales table have?', 'How many sales records are listed?'],
      test: ['Count the entries in this ledger.'],
    },
  },
  {
    id: 'group_totals',
    domain: 'table',
    make(rng, s) {
      const { table, col, slots, b } = setup(rng, s);
      const key = rng.pick(['region', 'product', 'quarter'] as const);
      return inst(b, b.call('group_sum', b.input('table'), key, col), { table }, { ...slots, groupcol: key });
    },
    phrasings: {
      train: ['What is the total {col} for each {groupcol}?', 'Group the rows by {groupcol} and sum the {col} of each group.'],
      test: ['Break the ledger\'s {col} down by {groupcol}: one sum per {groupcol}.'],
    },
  },
  {
    id: 'group_totals_where',
    domain: 'table',
    make(rng, s) {
      const { table, col, pred, slots, b } = setup(rng, s);
      const key = pred.col === 'region' ? 'product' : 'region';
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      return inst(b, b.call('group_sum', f, key, col), { table }, { ...slots, groupcol: key });
    },
    phrasings: {
      train: ['Among rows with {keycol} {key}, what is the total {col} for each {groupcol}?', 'Keep the rows whose {keycol} is {key}, then sum the {col} per {groupcol}.'],
      test: ['For the {keycol} = {key} ledger lines, give the {col} subtotal of every {groupcol}.'],
    },
  },
  {
    id: 'column_total',
    domain: 'table',
    make(rng, s) {
      const { table, col, slots, b } = setup(rng, s);
      const c = b.call('select_column', b.input('table'), col);
      return inst(b, b.call('sum_list', c), { table }, slots);
    },
    phrasings: {
      train: ['What is the total {col} in the table?', 'Add up the {col} over all rows.'],
      test: ['Across every line of the ledger, what does the {col} sum to?'],
    },
  },
  {
    id: 'count_where',
    domain: 'table',
    make(rng, s) {
      const { table, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      return inst(b, b.call('count_rows', f), { table }, slots);
    },
    phrasings: {
      train: ['How many rows have {keycol} {key}?', 'How many sales records are for {keycol} {key}?'],
      test: ['In how many ledger lines is the {keycol} equal to {key}?'],
    },
  },
  {
    id: 'sum_where',
    domain: 'table',
    make(rng, s) {
      const { table, col, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const c = b.call('select_column', f, col);
      return inst(b, b.call('sum_list', c), { table }, slots);
    },
    phrasings: {
      train: ['What is the total {col} for {keycol} {key}?', 'Sum the {col} of the rows whose {keycol} is {key}.'],
      test: ['Restricting the ledger to {keycol} = {key}, how large is the combined {col}?'],
    },
  },
  {
    id: 'mean_where',
    domain: 'table',
    make(rng, s) {
      const { table, col, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const c = b.call('select_column', f, col);
      return inst(b, b.call('mean', c), { table }, slots);
    },
    phrasings: {
      train: ['What is the average {col} for {keycol} {key}?', 'Among rows with {keycol} {key}, what is the mean {col}?'],
      test: ['Typical {col} per ledger line when {keycol} is {key}, as an arithmetic mean?'],
    },
  },
  {
    id: 'max_where',
    domain: 'table',
    make(rng, s) {
      const { table, col, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const c = b.call('select_column', f, col);
      return inst(b, b.call('max_list', c), { table }, slots);
    },
    phrasings: {
      train: ['What is the largest {col} for {keycol} {key}?', 'Among rows with {keycol} {key}, what is the highest {col}?'],
      test: ['Peak {col} recorded on any ledger line whose {keycol} is {key}?'],
    },
  },
  {
    id: 'column_range',
    domain: 'table',
    make(rng, s) {
      const { table, col, slots, b } = setup(rng, s);
      const c = b.call('select_column', b.input('table'), col);
      const hi = b.call('max_list', c);
      const lo = b.call('min_list', c);
      return inst(b, b.call('sub', hi, lo), { table }, slots);
    },
    phrasings: {
      train: ['What is the difference between the largest and the smallest {col}?', 'By how much does the highest {col} exceed the lowest?'],
      test: ['Spread of the {col} column (maximum minus minimum)?'],
    },
  },
  {
    id: 'sum_where_tax',
    domain: 'table',
    make(rng, s) {
      const { table, pred, slots, b } = setup(rng, s);
      const tax = s === 'train' ? rng.step(5, 25, 5) : rng.int(26, 40);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const c = b.call('select_column', f, 'amount');
      const sum = b.call('sum_list', c);
      const t = b.call('percent_of', b.input('tax_pct'), sum);
      return inst(b, b.call('add', sum, t), { table, tax_pct: tax }, { ...slots, tax: String(tax) });
    },
    phrasings: {
      train: ['What is the total sales amount for {keycol} {key} after adding {tax}% tax?', 'Sum the sales amount of rows with {keycol} {key} and add a {tax}% surcharge. What is the result?'],
      test: ['Grossing up the {keycol} = {key} ledger lines by {tax} percent levy, what is their combined amount?'],
    },
  },
  {
    id: 'share_where',
    domain: 'table',
    make(rng, s) {
      const { table, col, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const part = b.call('sum_list', b.call('select_column', f, col));
      const all = b.call('sum_list', b.call('select_column', b.input('table'), col));
      return inst(b, b.call('div', part, all), { table }, slots);
    },
    phrasings: {
      train: ['What fraction of the total {col} comes from {keycol} {key}?', 'What share of all {col} belongs to rows with {keycol} {key}?'],
      test: ['Proportion of the ledger\'s {col} attributable to {keycol} = {key}?'],
    },
  },
  {
    id: 'price_per_unit_where',
    domain: 'table',
    make(rng, s) {
      const { table, pred, slots, b } = setup(rng, s);
      const f = b.call('filter_rows', b.input('table'), { lit: pred });
      const amount = b.call('sum_list', b.call('select_column', f, 'amount'));
      const units = b.call('sum_list', b.call('select_column', f, 'units'));
      return inst(b, b.call('div', amount, units), { table }, slots);
    },
    phrasings: {
      train: ['What is the average price per unit for {keycol} {key} (total amount divided by total units)?', 'For rows with {keycol} {key}, divide the summed sales amount by the summed units sold.'],
      test: ['Revenue per unit across the {keycol} = {key} ledger lines (sum of amounts over sum of units)?'],
    },
  },
];
