import { describe, expect, it } from 'vitest';
import { ALL_SCENARIOS, generateTasks, scenarioDepth, scenarios } from '../../src/tasks/generate.ts';
import { evaluateReference } from '../../src/tasks/reference.ts';
import { RANGES } from '../../src/tasks/scenario.ts';

describe('generateTasks', () => {
  it('is deterministic from the seed', () => {
    expect(generateTasks({ seed: 11, n: 20 })).toEqual(generateTasks({ seed: 11, n: 20 }));
    expect(generateTasks({ seed: 11, n: 20 })).not.toEqual(generateTasks({ seed: 12, n: 20 }));
  });

  it('covers depths 1–6 in both domains; depth = calls of the gold program', () => {
    for (const domain of ['math', 'table'] as const) {
      for (let depth = 1; depth <= 6; depth++) {
        expect(scenarios(domain, depth).length, `${domain} depth ${depth}`).toBeGreaterThan(0);
        const ts = generateTasks({ seed: 1, n: 5, domain, depth, split: 'test' });
        expect(ts).toHaveLength(5);
        for (const t of ts) {
          expect(t.depth).toBe(depth);
          expect(t.program.calls).toHaveLength(depth);
          expect(t.domain).toBe(domain);
        }
      }
    }
  });

  it('gold answers are the reference evaluation of the gold program and are finite', () => {
    for (const t of generateTasks({ seed: 5, n: 200 })) {
      expect(evaluateReference(t.program, t.inputs)).toEqual(t.answer);
      const values = typeof t.answer === 'object' && t.answer !== null ? Object.values(t.answer) : [t.answer];
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('train and test use disjoint phrasings and templates', () => {
    const train = generateTasks({ seed: 2, n: 400, split: 'train' });
    const test = generateTasks({ seed: 2, n: 400, split: 'test' });
    const trainTemplates = new Set(train.map((t) => t.template));
    for (const t of test) {
      expect(t.split).toBe('test');
      expect(trainTemplates.has(t.template)).toBe(false);
    }
    for (const s of ALL_SCENARIOS) {
      for (const p of s.phrasings.test) expect(s.phrasings.train).not.toContain(p);
      expect(s.phrasings.train.length).toBeGreaterThanOrEqual(2);
      expect(s.phrasings.test.length).toBeGreaterThanOrEqual(1);
    }
    const trainQueries = new Set(train.map((t) => t.query));
    expect(test.some((t) => trainQueries.has(t.query))).toBe(false);
  });

  it('test parameters come from disjoint, larger ranges', () => {
    const q = (split: 'train' | 'test') =>
      generateTasks({ seed: 3, n: 300, split, domain: 'math' }).flatMap((t) => ('qa' in t.inputs ? [t.inputs.qa as number, t.inputs.qb as number] : []));
    const tr = q('train'), te = q('test');
    expect(tr.length).toBeGreaterThan(10);
    expect(Math.max(...tr)).toBeLessThanOrEqual(RANGES.train.qty[1]);
    expect(Math.min(...te)).toBeGreaterThanOrEqual(RANGES.test.qty[0]);
    const rows = (split: 'train' | 'test') => generateTasks({ seed: 3, n: 50, split, domain: 'table' }).map((t) => (t.inputs.table as unknown[]).length);
    expect(Math.max(...rows('train'))).toBeLessThan(Math.min(...rows('test')));
  });

  it('every numeric input and table column has disjoint train/test value ranges', () => {
    // Exempt: unit constants (same in both splits by nature) and weekly_savings' spend, which is
    // a share of the (disjoint) income rather than a drawn parameter.
    const exempt = new Set(['math/distance_m.m_per_km', 'math/pay_minutes.min_per_hour', 'math/weekly_savings.spend']);
    const ranges = (split: 'train' | 'test') => {
      const m = new Map<string, [number, number]>();
      const see = (key: string, v: number) => {
        const r = m.get(key);
        m.set(key, r ? [Math.min(r[0], v), Math.max(r[1], v)] : [v, v]);
      };
      for (const t of generateTasks({ seed: 4, n: 1500, split })) {
        const scenario = t.template.split('#')[0]!;
        for (const [k, v] of Object.entries(t.inputs)) {
          if (typeof v === 'number') see(`${scenario}.${k}`, v);
          else if (Array.isArray(v)) for (const row of v as Array<Record<string, unknown>>) for (const [c, x] of Object.entries(row)) if (typeof x === 'number') see(`${scenario}.${k}.${c}`, x);
        }
      }
      return m;
    };
    const tr = ranges('train'), te = ranges('test');
    let compared = 0;
    for (const [key, [lo, hi]] of te) {
      const t = tr.get(key);
      if (!t || exempt.has(key)) continue;
      compared++;
      expect(lo > t[1] || hi < t[0], `${key}: train ${t[0]}–${t[1]}, test ${lo}–${hi}`).toBe(true);
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('every scenario has a fixed depth matching its generated tasks', () => {
    for (const s of ALL_SCENARIOS) {
      const d = scenarioDepth(s);
      expect(d).toBeGreaterThanOrEqual(1);
      expect(d).toBeLessThanOrEqual(6);
    }
  });

  it('rejects bad options with named arguments', () => {
    expect(() => generateTasks({ depth: 7 })).toThrow(/"depth" to be an integer from 1 to 6/);
    expect(() => generateTasks({ split: 'dev' as 'train' })).toThrow(/"split"/);
    expect(() => generateTasks({ n: -1 })).toThrow(/"n"/);
    expect(() => generateTasks({ domain: 'code' as 'math' })).toThrow(/"domain"/);
  });
});
