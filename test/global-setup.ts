// Before the suite: bring dist/ up to date with src/ (a no-op when it is), so the tests that spawn
// `cocoda` run the compiled CLI (≈ 0.15 s to start) rather than the sources through tsx (≈ 1 s).
// If the build fails, bin/cocoda.mjs still runs the current sources, and the suite says why.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--if-stale'], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`test setup: dist/ could not be rebuilt, spawned CLIs run the sources through tsx:\n${r.stdout}${r.stderr}\n`);
  }
}
