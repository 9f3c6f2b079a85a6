// Builds the optional libtorch policy backend (native-torch/, cmake-js) when libtorch is found.
// Runs from `npm install` after the main addon, and as `npm run build:torch`. It never fails the
// install: without libtorch (or cmake, or when the build breaks) it writes the reason to
// build-torch/status.json, which `cocoda info` shows with the command that enables the backend.
//
//   node scripts/build-torch.mjs            build if libtorch is found, else explain and exit 0
//   node scripts/build-torch.mjs --require  exit 1 when the backend cannot be built (CI)
//
// libtorch is looked up as CMake's find_package(Torch) does: LIBTORCH_DIR, CMAKE_PREFIX_PATH,
// then the system prefixes (Debian's libtorch-dev installs /usr/lib/<triplet>/cmake/Torch).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'build-torch');
const statusFile = path.join(out, 'status.json');
const require_ = process.argv.includes('--require');
const enable = 'apt-get install -y libtorch-dev libopenblas0-pthread cmake && npm run build:torch';

function finish(ok, reason) {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(statusFile, JSON.stringify({ ok, reason, at: new Date().toISOString() }) + '\n');
  if (ok) console.log(`[cocoda] torch backend built: ${reason}`);
  else {
    console.warn(`[cocoda] torch backend not built: ${reason}`);
    console.warn(`[cocoda] The policy runs on the WASM backend. To enable libtorch: ${enable}`);
  }
  process.exit(ok || !require_ ? 0 : 1);
}

if (process.env.COCODA_NO_TORCH === '1') finish(false, 'COCODA_NO_TORCH=1');

function torchConfigDirs() {
  const prefixes = [
    ...(process.env.LIBTORCH_DIR ? [process.env.LIBTORCH_DIR] : []),
    ...(process.env.CMAKE_PREFIX_PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr', '/usr/local', '/opt/libtorch',
  ];
  const found = [];
  for (const p of prefixes) {
    const candidates = [path.join(p, 'share/cmake/Torch'), path.join(p, 'lib/cmake/Torch')];
    const libDir = path.join(p, 'lib');
    if (fs.existsSync(libDir)) {
      for (const d of fs.readdirSync(libDir)) if (d.endsWith('-linux-gnu')) candidates.push(path.join(libDir, d, 'cmake/Torch'));
    }
    for (const c of candidates) if (fs.existsSync(path.join(c, 'TorchConfig.cmake'))) found.push(c);
  }
  return found;
}

const dirs = torchConfigDirs();
if (dirs.length === 0) finish(false, 'libtorch not found (no TorchConfig.cmake under LIBTORCH_DIR, CMAKE_PREFIX_PATH, /usr, /usr/local, /opt/libtorch)');
if (spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status !== 0) finish(false, `libtorch found (${dirs[0]}) but cmake is not installed`);

let cmakeJs;
try {
  cmakeJs = path.join(path.dirname(fileURLToPath(import.meta.resolve('cmake-js/package.json'))), 'bin', 'cmake-js');
} catch {
  finish(false, 'the cmake-js package is not installed (npm install)');
}
const t0 = Date.now();
const args = [cmakeJs, 'compile', '-d', 'native-torch', '-O', 'build-torch', '--parallel', '2', '--log-level', 'warn',
  `--CDCMAKE_PREFIX_PATH=${dirs.map((d) => path.resolve(d, '../../..')).concat(dirs).join(';')}`];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const secs = ((Date.now() - t0) / 1000).toFixed(0);
if (r.status !== 0 || !fs.existsSync(path.join(out, 'Release', 'cocoda_torch.node'))) {
  finish(false, `the cmake-js build against ${dirs[0]} failed (exit ${r.status}); see the output above`);
}
finish(true, `build-torch/Release/cocoda_torch.node against ${dirs[0]} in ${secs} s`);
