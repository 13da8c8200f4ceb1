#!/usr/bin/env bash
# Builds the libtorch peers (w1_libtorch, w2_libtorch) with -O3 -march=native
# into build-peers/ at the repository root (or $1). One compile job by default
# (JOBS=N to change). Needs scripts/install-peers first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build-peers}
gen=()
if command -v ninja >/dev/null; then gen=(-G Ninja); fi
cmake -S "$here" -B "$out" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release
cmake --build "$out" -j "${JOBS:-1}"
echo "build-libtorch: $out/w1_libtorch $out/w2_libtorch"
