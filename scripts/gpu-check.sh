#!/usr/bin/env bash
# GPU check of the torch policy backend (issue 14). NOT RUN in this repository's CI or on its
# development machines, which have no GPU: run it by hand on a machine with an NVIDIA GPU.
#
#   LIBTORCH_DIR=/opt/libtorch-cu121 scripts/gpu-check.sh [cuda|cuda:N]
#
# Needs: an unpacked CUDA build of libtorch (≥ 1.13; the cxx11-ABI "shared-with-deps" archive),
# the CUDA toolkit it was built for (its CMake config looks for nvcc / CUDA::toolkit), cmake, a
# C++17 compiler, and `npm ci` done. It rebuilds build-torch/ against that libtorch, checks that
# libtorch sees the GPU, runs the torch parity tests with every torch policy on the GPU (logits,
# KV cache, SFT/GRPO step, sampler, checkpoints: same tolerances as on the CPU), then the bench
# side by side with WASM.
set -euo pipefail
cd "$(dirname "$0")/.."
device="${1:-cuda}"
: "${LIBTORCH_DIR:?set LIBTORCH_DIR to an unpacked CUDA libtorch (its share/cmake/Torch must exist)}"
if [ ! -f "$LIBTORCH_DIR/share/cmake/Torch/TorchConfig.cmake" ]; then
  echo "gpu-check: $LIBTORCH_DIR/share/cmake/Torch/TorchConfig.cmake not found" >&2
  exit 1
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
rm -rf build-torch
t0=$SECONDS
LIBTORCH_DIR="$LIBTORCH_DIR" node scripts/build-torch.mjs --require
echo "gpu-check: torch addon built in $((SECONDS - t0)) s"
export LD_LIBRARY_PATH="$LIBTORCH_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
node bin/cocoda.mjs info
node bin/cocoda.mjs info --json | node -e '
  const s = JSON.parse(require("fs").readFileSync(0, "utf8")).policy.torch;
  if (!s.live || !(s.cudaDevices > 0)) { console.error("gpu-check: libtorch sees no CUDA device:", JSON.stringify(s)); process.exit(1); }
  console.log(`gpu-check: libtorch ${s.torchVersion} sees ${s.cudaDevices} CUDA device(s)`);
'
COCODA_EXPECT_TORCH=1 COCODA_TORCH_DEVICE="$device" npx vitest run test/policy/torch.test.ts
node bin/cocoda.mjs policy bench --backend torch,wasm --device "$device"
