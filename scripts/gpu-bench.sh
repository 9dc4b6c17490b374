#!/usr/bin/env bash
# One prepared GPU measurement (issue 13), about 5-8 minutes on an H100, every step time-boxed so the whole stays
# under the lent machine's 10-minute call: the WebGPU probe (adapter, features, limits), a webgpu-vs-cpu loss check, the
# webgpu tests, then iota-tui against PyTorch fp32 and PyTorch bf16 autocast on the same GPU and shapes: IOTA's devnet
# and 1B head/body/tail stages (B1 T800, with the memory each holds), the devnet stages through the worker and the 1B
# block at B4 T800. Writes $OUT/gpu.json (rows as bench/results/latest.json plus device and date) and ends with the table.
#
# The GPU machine has no node, no Vulkan loader and no registry: it needs .gpu/ (ignored) holding node.xz,
# modules.tar.xz (pruned node_modules) and Debian's Vulkan/GL loader .debs, made by scripts/gpu-prepare.sh.
# Run from the repo root; results go to $OUT (or bench/results): gpu.json, gpu-probe.json, gpu-log.txt, and the
# two runs' gpu-iota.json and gpu-worker.json. A part that runs out of time loses its JSON but not its log lines.
# Worst case (every part at its timeout) ~9 minutes; `timeout` kills each part's whole process group.
#   IOTA_GPU_DRY=1: a dry run without a GPU (this machine's node, lavapipe's WebGPU, PyTorch on cpu with its bf16
#   autocast, IOTA_BENCH_TINY=1 shapes, one step): checks the script end to end; its numbers mean nothing.
#   STEPS (5), IOTA_1B_SEQ (800), BLOCK_BATCH (4) and BLOCK_SEQ (800) override the real run's sizes.
set -u
OUT=${OUT:-bench/results}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-log.txt") 2>&1 # the whole log comes back with the results
T0=$SECONDS
step() { echo; echo "== [$((SECONDS - T0)) s] $*"; }
# Dawn's notices on every device creation; the rest of stderr stays.
quiet() { grep -v -e '^Warning: maxDynamic' -e '^$'; }

if [ "${IOTA_GPU_DRY:-0}" = 1 ]; then
	export IOTA_BENCH_TINY=1
	TORCH=cpu; TORCH_BF16=--torch-bf16; STEPS=1; SEQ1B=16; BB=1; BS=16
else
	TORCH=cuda; TORCH_BF16=; STEPS=${STEPS:-5}; SEQ1B=${IOTA_1B_SEQ:-800}; BB=${BLOCK_BATCH:-4}; BS=${BLOCK_SEQ:-800}
	if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then for f in .gpu/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
	if ! command -v node >/dev/null; then
		mkdir -p /tmp/node-bin && xz -dc .gpu/node.xz > /tmp/node-bin/node && chmod +x /tmp/node-bin/node
		export PATH=/tmp/node-bin:$PATH
	fi
	if [ -L node_modules ] && [ ! -e node_modules ]; then rm node_modules; fi # a checkout's symlink that did not travel
	[ -d node_modules/@tensorflow ] || tar -xJf .gpu/modules.tar.xz
fi
export IOTA_REQUIRE_WEBGPU=1

step "machine"
node --version
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -2
for py in python3 /usr/bin/python3; do # the bench takes the first with torch, in this order
	$py -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>/dev/null && break
done

step "probe: WebGPU adapter, features, limits; the training device's limits; WGSL f16/subgroups"
timeout 30 node --import tsx scripts/bench-gpu-check.ts probe 2>"$OUT/gpu-probe.err" > "$OUT/gpu-probe.json" || tail -5 "$OUT/gpu-probe.err"
node -e '
const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (p.error) { console.log("error:", p.error); process.exit(0); }
const a = p.adapters["high-performance"], l = p.device.limits, pick = o => Object.fromEntries(Object.entries(o).filter(([k]) => /Storage|Buffer|Compute/.test(k)));
console.log(JSON.stringify({backend: p.backend, adapter: a.info, adapterFeatures: a.features.join(" "), deviceFeatures: p.device.features.join(" "),
  deviceLimits: pick(l), adapterLimitsOverDevice: Object.keys(a.limits).filter(k => a.limits[k] !== l[k]).join(" "), wgsl: p.wgsl, errors: p.errors}, null, 1));
' "$OUT/gpu-probe.json" || head -c 4000 "$OUT/gpu-probe.json"

step "correctness: the devnet model trained 4 steps on webgpu and on cpu, same losses"
timeout 50 node --import tsx scripts/bench-gpu-check.ts webgpu 2>&1 | quiet

step "tests: webgpu kernels and the whole model on this GPU (IOTA_REQUIRE_WEBGPU=1)"
timeout 90 node --import tsx --test test/training/webgpu*.test.ts 2>&1 | grep -E '^(not )?ok|^# (pass|fail)|^[✔✖ℹ]|rror' | head -60

step "bench 1/2: IOTA's devnet and 1B stages (B1 T$SEQ1B), iota-tui webgpu vs PyTorch $TORCH fp32 and bf16"
timeout 180 node --import tsx scripts/bench.ts --backends webgpu --torch-device "$TORCH" $TORCH_BF16 --steps "$STEPS" \
	--suite iota --iota-cases devnet,1B --iota-1b-seq "$SEQ1B" --out "$OUT/gpu-iota.json" 2>&1 | quiet | tail -40

step "bench 2/2: devnet stages through the worker and the 1B block at B$BB T$BS"
timeout 130 node --import tsx scripts/bench.ts --backends webgpu --torch-device "$TORCH" $TORCH_BF16 --steps "$STEPS" \
	--suite worker --block-batch "$BB" --block-seq "$BS" --out "$OUT/gpu-worker.json" 2>&1 | quiet | tail -30

step "result: $OUT/gpu.json"
node --import tsx scripts/bench.ts --merge "$OUT/gpu-iota.json,$OUT/gpu-worker.json" --out "$OUT/gpu.json"
echo "total $((SECONDS - T0)) s"
sleep 1 # let tee finish gpu-log.txt
