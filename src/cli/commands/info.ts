import type { Command } from 'commander';
import { backendInfo } from '../../native/loader.ts';

/**
 * `cocoda info [--json]`: which kernel backend is live and why, and which policy backends are live
 * (fastest first), the libtorch addon's status (version, BLAS, threads, CUDA devices) and, when it
 * is not live, why and the command that enables it. `--json` adds
 * `"policy": {"fastest": {"backend", "device"?}, "backends": [{"name", "live", "detail", "enable"?}], "torch": {...}}`.
 */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print which kernel backend (native or ts) and which policy backends (torch, wasm, ...) are live, and why')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const info = backendInfo();
      // Loaded lazily (TensorFlow.js, the torch addon): only this command pays for it.
      const { policyBackends, fastestBackend } = await import('../../policy/backend.ts');
      const { torchStatus } = await import('../../policy/torch/native.ts');
      const backends = await policyBackends();
      const fastest = await fastestBackend();
      const torch = torchStatus();
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...info, policy: { fastest, backends, torch } }) + '\n');
        return;
      }
      const lines = [`backend: ${info.backend} (${info.reason})${info.compiler ? `, ${info.compiler}` : ''}`];
      lines.push(`policy backends (fastest live first; default of cocoda train: ${fastest.backend}${fastest.device ? ` on ${fastest.device}` : ''}):`);
      for (const b of backends) {
        lines.push(`  ${b.name.padEnd(10)} ${b.live ? 'live' : 'off '}  ${b.detail}${b.live || !b.enable ? '' : `\n             enable: ${b.enable}`}`);
      }
      if (torch.live) {
        lines.push(
          `torch: libtorch ${torch.torchVersion}, BLAS ${torch.blas} (${(torch.blasLibraries ?? []).join(', ')})` +
            `${torch.blasThreads ? `, OpenBLAS threads ${torch.blasThreads}` : ''}, libtorch threads ${torch.threads}, CUDA devices ${torch.cudaDevices}`,
        );
        if (torch.blas === 'reference BLAS') {
          lines.push('  warning: libblas.so.3 resolves to the reference BLAS (slower than WASM); install OpenBLAS: apt-get install -y libopenblas0-pthread');
        }
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
