#!/usr/bin/env bash
# Builds .gpu/ (git-ignored via .git/info/exclude) for scripts/gpu-bench.sh on a GPU machine that has no node,
# no Vulkan loader and no registry: node.xz, a pruned node_modules tarball (~10 MB), Debian loader .debs.
# Then: run scripts/gpu-bench.sh on the GPU machine with .gpu carried (it is ignored, so name it in the run's carry).
set -eu
# In a git worktree .git is a file: the exclude list lives in the common git dir.
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")" .gpu /tmp/amd64/partial
grep -qs '^/.gpu/$' "$exclude" || echo /.gpu/ >> "$exclude"
node -e 'if (+process.versions.node.split(".")[0] < 22) { console.error(`node ${process.version}: pack Node 22 or later (package.json engines)`); process.exit(1); }'
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null
(cd .gpu && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
xz -T2 -9 -c "$(command -v node)" > .gpu/node.xz
# Runtime dependency closure of what the bench loads; TF.js packages keep only what Node resolves (main + wasm).
node -e '
const fs = require("fs"); const seen = new Set();
const visit = n => { const pj = `node_modules/${n}/package.json`; if (seen.has(n) || !fs.existsSync(pj)) return; seen.add(n);
  const p = JSON.parse(fs.readFileSync(pj, "utf8")); Object.keys({...p.dependencies, ...p.optionalDependencies}).forEach(visit); };
["@tensorflow/tfjs", "@tensorflow/tfjs-backend-webgpu", "@tensorflow/tfjs-backend-wasm", "webgpu", "tsx", "commander", "@esbuild/linux-x64"].forEach(visit);
console.log([...seen].join("\n"));' | while read -r p; do
	case "$p" in
		@types/*) ;;
		@tensorflow/*) echo "node_modules/$p/package.json"; ls node_modules/$p/dist/*.node.js node_modules/$p/dist/*.wasm 2>/dev/null || true ;;
		webgpu) printf '%s\n' node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64/dawn.node ;;
		esbuild) find node_modules/esbuild -type f ! -path '*/bin/*' ;;
		*) find "node_modules/$p" -type f ! -name '*.map' ! -name '*.md' ! -name '*.d.ts' ;;
	esac
done > /tmp/gpu-files.txt
tar -cf - -T /tmp/gpu-files.txt | xz -T2 -6 > .gpu/modules.tar.xz
du -sh .gpu
