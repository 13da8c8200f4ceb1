#!/usr/bin/python3
"""LSTM throughput, PyTorch eager peer of benchmarks/lstm_bench.cpp.

torch.nn.LSTM(32, 128, batch_first=True) on (batch 64, 50 steps, 32 features)
uniform in [-1, 1): "fwd" runs the layer (no grad), "fwd_bwd" runs it and
back-propagates the sum of the output sequence to the weights (the input needs
no gradient). Prints one JSON line with the median milliseconds of --reps runs
after 3 warm-up runs.

Run with Debian's /usr/bin/python3 (python3-torch): --threads N.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(32, 128, batch_first=True)
    x = torch.rand(64, 50, 32) * 2 - 1

    def fwd():
        with torch.no_grad():
            lstm(x)

    def fwd_bwd():
        lstm.zero_grad(set_to_none=True)
        out, _ = lstm(x)
        out.sum().backward()

    result = {"benchmark": "LSTM(128) on (64, 50, 32)", "impl": "pytorch", "threads": args.threads,
              "torch": torch.__version__}
    for name, fn in (("fwd_ms", fwd), ("fwd_bwd_ms", fwd_bwd)):
        for _ in range(3):
            fn()
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000.0)
        result[name] = round(statistics.median(times), 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
