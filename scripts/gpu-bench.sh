#!/usr/bin/env bash
# One prepared GPU measurement for a lent machine with no node, no Vulkan loader and no registry.
# Needs .gpu/ (ignored) holding: node.xz, modules.tar.xz (pruned node_modules), Debian Vulkan/GL loader .debs.
# Prepare them on a networked box with scripts/gpu-prepare.sh. Run from the repo root; results go to $OUT (or bench/results).
set -u
OUT=${OUT:-bench/results}
for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig
mkdir -p /tmp/node-bin && xz -dc .gpu/node.xz > /tmp/node-bin/node && chmod +x /tmp/node-bin/node
export PATH=/tmp/node-bin:$PATH
[ -d node_modules/@tensorflow ] || tar -xJf .gpu/modules.tar.xz
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
echo "== correctness: webgpu vs cpu"
timeout 120 node --import tsx scripts/bench-gpu-check.ts webgpu 2>&1 | grep -v '^$'
echo "== test: the whole Llama-3 model trained on this GPU vs cpu"
IOTA_REQUIRE_WEBGPU=1 timeout 120 node --import tsx --test test/training/webgpu.test.ts 2>&1 | grep -E '^(not )?ok|^# (pass|fail)|error'
echo "== bench: webgpu vs pytorch cuda (same shapes); 1B block at B4 T800"
timeout 360 node --import tsx scripts/bench.ts --backends webgpu --torch-device cuda --steps 5 \
  --block-batch 4 --block-seq 800 --out "$OUT/gpu.json" 2>&1 | grep -v '^Warning: '
