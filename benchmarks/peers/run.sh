#!/usr/bin/env bash
# Runs every peer once at each thread count and prints their JSON lines
# (one per run) on stdout; the load average goes to stderr before each run.
# Usage: benchmarks/peers/run.sh [build-dir] ; THREADS="1 2" by default.
# Needs scripts/install-peers and benchmarks/peers/build-libtorch.sh first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-peers}
for t in ${THREADS:-1 2}; do
  for w in w1 w2; do
    echo "run.sh: $w threads=$t load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    OMP_NUM_THREADS=$t /usr/bin/python3 "$here/${w}_torch.py" --threads "$t"
    echo "run.sh: $w threads=$t load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    OMP_NUM_THREADS=$t "$build/${w}_libtorch" --threads "$t"
  done
done
