#!/usr/bin/env bash
# The GPU check (one script), for a machine with an NVIDIA GPU: tokens/s of a 2×1024 LSTM language
# model, batch 128, T 64, on SeqLab's webgpu backend, on the PyTorch engine (cuDNN) on the GPU and
# on the built-in engine on the CPU (wasm), with the ratios webgpu / wasm (goal ≥ 30×) and
# webgpu / PyTorch cuDNN. Needs Node 20+, `npm ci`, the GPU's Vulkan driver (WebGPU runs on Dawn's
# Vulkan backend) and Python with a CUDA build of torch (SEQLAB_PYTHON=/path/to/python if it is not
# /usr/bin/python3). It stops, saying what is missing, before the long runs. From the repository root:
#   bash bench/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "gpu-check: $*" >&2; exit 1; }
[ -d node_modules/@tensorflow/tfjs-backend-webgpu ] && [ -d node_modules/webgpu ] || fail "node_modules lacks the webgpu packages: run npm ci first"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || fail "Node 20 or later is needed (this is $(node -v))"
command -v nvidia-smi >/dev/null || fail "nvidia-smi not found: this check needs an NVIDIA GPU and its driver"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ -n "${VK_ICD_FILENAMES:-}" ]; then echo "gpu-check: VK_ICD_FILENAMES=$VK_ICD_FILENAMES (a software driver there fails the check)" >&2; fi
npm run -s build
npm run -s compile
node out/bench/gpuCheck.js
