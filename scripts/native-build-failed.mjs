// Runs only when `node-gyp rebuild` failed during `npm install`: the package still works on
// its TypeScript twins, so the install succeeds, but we say so loudly.
console.warn('\n[cocoda] native addon could not be built; the pure-TypeScript twins will be used.');
console.warn('[cocoda] Check that python3, make and a C++17 compiler are installed, then run `npm run build:native`.\n');
