// The import graph of src/ (static analysis of value imports; `import type` is erased at build):
// concept folders form no cycle, each subpath export loads only what it needs (TensorFlow.js
// only with policy), and nothing outside bench/ and the lazy bench command reaches the benchmarks
// or a dev dependency.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/loader.ts';

const src = path.join(packageRoot, 'src');
const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|cjs)$/.test(e)) out.push(p);
  }
  return out;
}

interface Edges {
  /** Static value imports/re-exports: relative files and bare package names. */
  eager: string[];
  /** `import('…')` with a literal specifier. */
  lazy: string[];
}

/** Strips comments well enough for import scanning (no import text hides in string literals here). */
const stripComments = (s: string): string => s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

function importsOf(file: string): Edges {
  const text = stripComments(readFileSync(file, 'utf8'));
  const eager: string[] = [];
  const lazy: string[] = [];
  const resolve = (spec: string): string => (spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : spec.startsWith('node:') ? spec : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/'));
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    if (m[1]) continue;
    // `import { type A, type B } from` is type-only too.
    const clause = m[0];
    const names = /\{([^}]*)\}/.exec(clause)?.[1];
    if (names && !/\*|^\s*(?:import|export)\s+\w/.test(clause.replace(/\{[^}]*\}/, '')) && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '))) continue;
    eager.push(resolve(m[2]!));
  }
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) lazy.push(resolve(m[1]!));
  for (const m of text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) eager.push(resolve(m[1]!));
  return { eager, lazy };
}

const files = walk(src);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const folderOf = (f: string): string => path.relative(src, f).split(path.sep)[0]!.replace(/\.ts$/, '');
const folders = [...new Set(files.map(folderOf))];

/** Every file and package reached from `entry` through eager imports. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const t of graph.get(f)?.eager ?? []) if (!seen.has(t)) todo.push(t);
  }
  return seen;
}

describe('layering of src/', () => {
  it('the scanner sees the imports it should (sanity)', () => {
    const idx = graph.get(path.join(src, 'index.ts'))!;
    expect(idx.eager).toContain(path.join(src, 'policy', 'index.ts'));
    expect(graph.get(path.join(src, 'cli', 'commands', 'index.ts'))!.eager).toEqual([]);
    expect(closure(path.join(src, 'policy', 'index.ts'))).toContain('@tensorflow/tfjs-core');
  });

  it('concept folders import each other without a cycle', () => {
    const deps = new Map(folders.map((f) => [f, new Set<string>()]));
    for (const [file, { eager, lazy }] of graph) {
      for (const t of [...eager, ...lazy]) {
        if (!t.startsWith(src + path.sep)) continue;
        const a = folderOf(file);
        const b = folderOf(t);
        if (a !== b && a !== 'index' && a !== 'cli') deps.get(a)!.add(b);
      }
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const g of deps.get(f) ?? []) visit(g, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of folders) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('each subpath export loads TensorFlow.js only if it is policy (or depends on it)', () => {
    const subpaths = folders.filter((f) => f !== 'cli' && f !== 'native' && graph.has(path.join(src, f, 'index.ts')));
    expect(subpaths).toEqual(expect.arrayContaining(['types', 'library', 'exec', 'retrieval', 'policy', 'train']));
    const withTf = subpaths.filter((f) => [...closure(path.join(src, f, 'index.ts'))].some((d) => d.startsWith('@tensorflow/')));
    // A folder that needs the policy says so by importing it; nothing else pulls TensorFlow.js in.
    const needsPolicy = subpaths.filter((f) => f === 'policy' || [...closure(path.join(src, f, 'index.ts'))].some((d) => d.startsWith(path.join(src, 'policy') + path.sep)));
    expect(withTf.sort()).toEqual(needsPolicy.sort());
    for (const light of ['types', 'library', 'exec', 'retrieval', 'l1', 'reward', 'tasks', 'trajectory']) expect(withTf).not.toContain(light);
  });

  it('no eager import reaches bench/ or a dev dependency from src/', () => {
    const bad: string[] = [];
    for (const [file, { eager }] of graph) {
      for (const t of eager) {
        if (t.startsWith(path.join(packageRoot, 'bench'))) bad.push(`${path.relative(packageRoot, file)} → ${path.relative(packageRoot, t)}`);
        else if (!t.startsWith('/') && !t.startsWith('node:') && !(t in pkg.dependencies)) bad.push(`${path.relative(packageRoot, file)} → ${t} (not a dependency)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('`cocoda info` loads neither the sandbox, retrieval, TensorFlow.js nor the benchmarks', () => {
    const reached = closure(path.join(src, 'cli', 'main.ts'));
    for (const lazyOnly of ['policy', 'retrieval', 'exec', 'train']) {
      expect([...reached].filter((d) => d.startsWith(path.join(src, lazyOnly) + path.sep))).toEqual([]);
    }
    expect([...reached].filter((d) => d.startsWith('@tensorflow/'))).toEqual([]);
  });
});
