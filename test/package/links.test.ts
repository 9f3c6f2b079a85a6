// Every relative link in README.md and docs/*.md resolves: the file exists and, for a link to a
// heading (`file.md#anchor` or `#anchor`), the heading exists there (GitHub's anchor rules).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/loader.ts';

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  const seen = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const a = anchorOf(m[1]!);
    const n = seen.get(a) ?? 0;
    out.add(n ? `${a}-${n}` : a);
    seen.set(a, n + 1);
  }
  return out;
}

function links(file: string): Array<{ target: string; line: number }> {
  const out: Array<{ target: string; line: number }> = [];
  let fence = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.startsWith('```')) fence = !fence;
      if (fence) return;
      const text = line.replace(/`[^`]*`/g, '');
      for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ target: m[1]!, line: i + 1 });
    });
  return out;
}

const docs = [path.join(packageRoot, 'README.md'), ...readdirSync(path.join(packageRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(packageRoot, 'docs', f))];

describe('documentation links', () => {
  it('README.md and every docs/*.md link to files and headings that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of docs) {
      for (const { target, line } of links(file)) {
        if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto: not checked offline
        checked++;
        const [p, hash] = target.split('#') as [string, string | undefined];
        const dest = p === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(p));
        const where = `${path.relative(packageRoot, file)}:${line} → ${target}`;
        if (!existsSync(dest)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (hash !== undefined && dest.endsWith('.md') && statSync(dest).isFile() && !anchors(dest).has(hash)) broken.push(`${where} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('README.md is the first screen and a map: at most two screens (≈ 120 lines)', () => {
    const lines = readFileSync(path.join(packageRoot, 'README.md'), 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(120);
  });
});
