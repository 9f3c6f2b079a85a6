/**
 * GSM8K-like word problems: purchases, shares, discounts, rates, unit conversions, savings, tips.
 * Several scenarios share sub-programs (two-item cost, percentage off / on top) so that composites
 * abstracted from one scenario pay off on others.
 */
import { ProgramBuilder } from '../trajectory/ir.ts';
import { RANGES, money, type Instance, type Scenario, type Split } from './scenario.ts';
import type { Rng } from './rng.ts';

const NAMES = { train: ['Lena', 'Omar', 'Priya', 'Jonas', 'Mei', 'Carlos'], test: ['Aiko', 'Bruno', 'Fatima', 'Goran', 'Ines', 'Kwame'] };
const ITEMS: Record<Split, ReadonlyArray<readonly [string, string]>> = {
  train: [['notebooks', 'pens'], ['apples', 'pears'], ['tickets', 'snacks'], ['shirts', 'socks']],
  test: [['lamps', 'bulbs'], ['books', 'bookmarks'], ['chairs', 'cushions'], ['kites', 'spools']],
};
const THINGS = { train: ['pencils', 'marbles', 'cookies'], test: ['screws', 'stamps', 'beads'] };

function r(split: Split) {
  return RANGES[split];
}
function qty(rng: Rng, s: Split): number {
  return rng.int(r(s).qty[0], r(s).qty[1]);
}
function price(rng: Rng, s: Split): number {
  return rng.step(r(s).price[0], r(s).price[1], r(s).priceStep);
}
function pct(rng: Rng, s: Split): number {
  return rng.step(r(s).pct[0], r(s).pct[1], r(s).pctStep);
}
function people(rng: Rng, s: Split): number {
  return rng.int(r(s).people[0], r(s).people[1]);
}

/** Two items at unit prices: inputs qa, pa, qb, pb; builds mul, mul, add and returns its ref. */
function twoItems(rng: Rng, s: Split, b: ProgramBuilder, inputs: Record<string, unknown>, slots: Record<string, string>) {
  const [ia, ib] = rng.pick(ITEMS[s]);
  const qa = qty(rng, s), pa = price(rng, s), qb = qty(rng, s), pb = price(rng, s);
  Object.assign(inputs, { qa, pa, qb, pb });
  Object.assign(slots, { name: rng.pick(NAMES[s]), qa: String(qa), pa: money(pa), qb: String(qb), pb: money(pb), ia, ib });
  const ca = b.call('mul', b.input('qa'), b.input('pa'));
  const cb = b.call('mul', b.input('qb'), b.input('pb'));
  return b.call('add', ca, cb);
}

function inst(b: ProgramBuilder, answer: { ref: number }, inputs: Record<string, unknown>, slots: Record<string, string>): Instance {
  return { inputs, program: b.finish(answer), slots };
}

export const MATH_SCENARIOS: readonly Scenario[] = [
  {
    id: 'groups',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const a = qty(rng, s) + 1, n = qty(rng, s);
      const out = b.call('mul', b.input('per_group'), b.input('groups'));
      return inst(b, out, { per_group: a, groups: n }, { a: String(a), n: String(n), thing: rng.pick(THINGS[s]), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['Each box holds {a} {thing}. How many {thing} are in {n} boxes?', '{name} packs {a} {thing} into each of {n} bags. How many {thing} does {name} pack?'],
      test: ['There are {n} shelves with {a} {thing} on every shelf. Count the {thing} altogether.'],
    },
  },
  {
    id: 'share',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const p = people(rng, s), each = price(rng, s);
      const total = Math.round(p * each * 100) / 100;
      const out = b.call('div', b.input('total'), b.input('people'));
      return inst(b, out, { total, people: p }, { total: money(total), p: String(p), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['{p} friends split a bill of {total} equally. How much does each friend pay?', '{name} shares {total} equally among {p} cousins. How much does each cousin get?'],
      test: ['A prize of {total} is divided evenly between {p} winners; what is one winner\'s share?'],
    },
  },
  {
    id: 'discount',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const p = price(rng, s) * 4, d = pct(rng, s);
      const off = b.call('percent_of', b.input('pct'), b.input('price'));
      const out = b.call('sub', b.input('price'), off);
      return inst(b, out, { price: p, pct: d }, { price: money(p), d: String(d), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['A jacket costs {price}. It is on sale for {d}% off. What is the sale price?', '{name} buys a game listed at {price} with a {d}% discount. How much does {name} pay?'],
      test: ['After a markdown of {d} percent, what does a {price} bicycle cost?'],
    },
  },
  {
    id: 'distance_m',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const v = rng.int(r(s).speed[0], r(s).speed[1]), h = rng.int(r(s).hours[0], r(s).hours[1]);
      const km = b.call('mul', b.input('speed_kmh'), b.input('hours'));
      const out = b.call('mul', km, b.input('m_per_km'));
      return inst(b, out, { speed_kmh: v, hours: h, m_per_km: 1000 }, { v: String(v), h: String(h), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['{name} cycles at {v} km per hour for {h} hours. How many meters does {name} travel?', 'A train moves at {v} km/h for {h} hours. How far does it go, in meters?'],
      test: ['Driving {h} hours at a steady {v} kilometres an hour covers how many metres?'],
    },
  },
  {
    id: 'weekly_savings',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inc = price(rng, s) * 5, spend = Math.round(inc * rng.step(0.2, 0.8, 0.1) * 100) / 100, w = rng.int(r(s).weeks[0], r(s).weeks[1]);
      const left = b.call('sub', b.input('income'), b.input('spend'));
      const out = b.call('mul', left, b.input('weeks'));
      return inst(b, out, { income: inc, spend, weeks: w }, { inc: money(inc), spend: money(spend), w: String(w), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['{name} earns {inc} a week and spends {spend} of it. How much does {name} save in {w} weeks?', 'Every week {name} gets {inc} and uses {spend}. What is saved after {w} weeks?'],
      test: ['With weekly pay of {inc} and weekly costs of {spend}, how much money piles up over {w} weeks?'],
    },
  },
  {
    id: 'purchase2',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inputs = {}, slots = {};
      const total = twoItems(rng, s, b, inputs, slots);
      return inst(b, total, inputs, slots);
    },
    phrasings: {
      train: ['{name} buys {qa} {ia} at {pa} each and {qb} {ib} at {pb} each. How much does {name} spend in total?', 'A shop sells {ia} for {pa} and {ib} for {pb}. {name} takes {qa} {ia} and {qb} {ib}. What is the bill?'],
      test: ['What is the total for an order of {qa} {ia} priced {pa} apiece plus {qb} {ib} priced {pb} apiece?'],
    },
  },
  {
    id: 'pay_minutes',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const m = rng.step(r(s).minutes[0], r(s).minutes[1], 30), rate = price(rng, s) * 2, bonus = price(rng, s);
      const hours = b.call('div', b.input('minutes'), b.input('min_per_hour'));
      const base = b.call('mul', hours, b.input('rate'));
      const out = b.call('add', base, b.input('bonus'));
      return inst(b, out, { minutes: m, min_per_hour: 60, rate, bonus }, { m: String(m), rate: money(rate), bonus: money(bonus), name: rng.pick(NAMES[s]) });
    },
    phrasings: {
      train: ['{name} works {m} minutes at {rate} per hour and gets a {bonus} bonus. How much does {name} earn?', 'A tutor is paid {rate} an hour. After a {m}-minute lesson the tutor also gets a {bonus} tip. What is the total pay?'],
      test: ['Billing {rate} per hour for {m} minutes of work, plus a flat fee of {bonus}: what is the invoice total?'],
    },
  },
  {
    id: 'split_bill',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inputs: Record<string, unknown> = {}, slots: Record<string, string> = {};
      const total = twoItems(rng, s, b, inputs, slots);
      const p = people(rng, s);
      inputs.people = p;
      slots.p = String(p);
      const out = b.call('div', total, b.input('people'));
      return inst(b, out, inputs, slots);
    },
    phrasings: {
      train: ['{p} friends order {qa} {ia} at {pa} each and {qb} {ib} at {pb} each, and split the cost equally. How much does each pay?', '{name} and friends, {p} people in all, buy {qa} {ia} ({pa} each) and {qb} {ib} ({pb} each). What is each person\'s share?'],
      test: ['A club of {p} members shares evenly the cost of {qa} {ia} at {pa} per unit and {qb} {ib} at {pb} per unit. Find one member\'s part.'],
    },
  },
  {
    id: 'change',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inputs: Record<string, unknown> = {}, slots: Record<string, string> = {};
      const total = twoItems(rng, s, b, inputs, slots);
      const paid = Math.ceil(((inputs.qa as number) * (inputs.pa as number) + (inputs.qb as number) * (inputs.pb as number)) / 50) * 50 + 50;
      inputs.paid = paid;
      slots.paid = money(paid);
      const out = b.call('sub', b.input('paid'), total);
      return inst(b, out, inputs, slots);
    },
    phrasings: {
      train: ['{name} buys {qa} {ia} at {pa} each and {qb} {ib} at {pb} each and pays with {paid}. How much change does {name} get?', 'Paying {paid} for {qa} {ia} ({pa} each) and {qb} {ib} ({pb} each), what change comes back?'],
      test: ['How much is returned from {paid} after purchasing {qa} {ia} costing {pa} apiece and {qb} {ib} costing {pb} apiece?'],
    },
  },
  {
    id: 'purchase2_discount',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inputs: Record<string, unknown> = {}, slots: Record<string, string> = {};
      const total = twoItems(rng, s, b, inputs, slots);
      const d = pct(rng, s);
      inputs.pct = d;
      slots.d = String(d);
      const off = b.call('percent_of', b.input('pct'), total);
      const out = b.call('sub', total, off);
      return inst(b, out, inputs, slots);
    },
    phrasings: {
      train: ['{name} buys {qa} {ia} at {pa} each and {qb} {ib} at {pb} each with a {d}% coupon on the total. How much does {name} pay?', 'With {d}% off the whole order, what do {qa} {ia} at {pa} and {qb} {ib} at {pb} cost?'],
      test: ['An order of {qa} {ia} ({pa} apiece) and {qb} {ib} ({pb} apiece) gets a {d} percent rebate on the sum. What is paid?'],
    },
  },
  {
    id: 'split_with_tip',
    domain: 'math',
    make(rng, s) {
      const b = new ProgramBuilder();
      const inputs: Record<string, unknown> = {}, slots: Record<string, string> = {};
      const total = twoItems(rng, s, b, inputs, slots);
      const t = pct(rng, s), p = people(rng, s);
      Object.assign(inputs, { tip_pct: t, people: p });
      Object.assign(slots, { t: String(t), p: String(p) });
      const tip = b.call('percent_of', b.input('tip_pct'), total);
      const withTip = b.call('add', total, tip);
      const out = b.call('div', withTip, b.input('people'));
      return inst(b, out, inputs, slots);
    },
    phrasings: {
      train: ['{p} friends order {qa} {ia} at {pa} each and {qb} {ib} at {pb} each, add a {t}% tip, and split the bill equally. How much does each pay?', 'A table of {p} has {qa} {ia} ({pa} each) and {qb} {ib} ({pb} each), tips {t}% and shares the bill evenly. What is one share?'],
      test: ['Dinner for {p}: {qa} {ia} at {pa} apiece, {qb} {ib} at {pb} apiece, plus {t} percent gratuity, divided evenly. Each diner owes how much?'],
    },
  },
];
