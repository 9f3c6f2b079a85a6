// The fingerprint of the addon's sources: SHA-256 over the names and bytes of native/*.cc and
// native/*.h, sorted by name. binding.gyp compiles it into the addon (sourceHash); the loader
// (src/native/loader.ts, sourceFingerprint) computes it from the sources beside the package and
// refuses an addon built from other sources. The two implementations are checked equal by a test.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'native');
const h = createHash('sha256');
for (const f of readdirSync(dir).filter((f) => f.endsWith('.cc') || f.endsWith('.h')).sort()) {
  h.update(f);
  h.update('\0');
  h.update(readFileSync(path.join(dir, f)));
  h.update('\0');
}
process.stdout.write(h.digest('hex').slice(0, 16));
