#!/usr/bin/env bash
# The GPU check of SeqLab's WebGPU backend, for a machine with a GPU (any vendor with a Vulkan,
# Metal or D3D12 driver Dawn accepts): a 2×1024 LSTM language model at batch 128, T 64, a few
# steps on webgpu and on wasm (this machine's CPU), tokens/s and the ratio. With an NVIDIA GPU and
# python3-torch with CUDA, the PyTorch engine's GPU check (bench/gpu-check.sh) gives the cuDNN
# figure beside it. Run from the repository root after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build >/dev/null && npm run -s compile >/dev/null
STEPS=${STEPS:-5}
gpu=$(node out/bench/webgpuChild.js webgpu 1024 2 128 64 "$STEPS" | tail -1); echo "webgpu: $gpu"
cpu=$(node out/bench/webgpuChild.js wasm 1024 2 128 64 "$STEPS" | tail -1); echo "wasm:   $cpu"
node -e 'const [g, c] = process.argv.slice(1).map(JSON.parse); if (g.tokens_per_s) console.log(`webgpu / wasm: ${(g.tokens_per_s / c.tokens_per_s).toFixed(1)}x on ${g.adapter}`); else console.log(`no webgpu adapter: ${g.reason}`)' "$gpu" "$cpu"
