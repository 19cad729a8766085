#!/usr/bin/env bash
# The WebGPU figures are part of the one GPU check now (webgpu, wasm and PyTorch cuDNN side by side).
exec bash "$(dirname "$0")/gpu-check.sh" "$@"
