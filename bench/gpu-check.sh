#!/usr/bin/env bash
# The PyTorch engine on an NVIDIA GPU against the built-in engine on the CPU: tokens/s of a
# 2×1024 LSTM, batch 128, T 64. Needs Node 20+, `npm ci`, and Python with a CUDA build of torch
# (SEQLAB_PYTHON=/path/to/python if it is not /usr/bin/python3). Run from the repository root:
#   bash bench/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu-check: nvidia-smi not found" >&2
npm run -s build
npm run -s compile
node out/bench/gpuCheck.js
