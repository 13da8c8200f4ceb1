#!/usr/bin/python3
"""W1 seed, PyTorch eager peer (benchmarks/peers/README.md).

Dense(1) (Linear 10->1 with bias) on x = zeros(1000, 10), y = ones(1000, 1),
batch 10 (100 steps/epoch), no shuffling, SGD lr 0.01, MSE with SUM
reduction, and a MAPE metric updated every step as a streaming mean (running
total and count, reset each epoch, read once at epoch end). One warm-up epoch,
then 5 repetitions of 10 epochs; prints the median us per training step as
one JSON line.

Run with Debian's /usr/bin/python3 (python3-torch 1.13): --threads N.
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
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    # Before torch loads, so OpenMP (torch's and OpenBLAS's) starts with it.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    n, batch = 1000, 10
    x = torch.zeros(n, 10)
    y = torch.ones(n, 1)
    model = torch.nn.Linear(10, 1)
    # Keras Dense defaults: glorot-uniform kernel, zero bias.
    torch.nn.init.xavier_uniform_(model.weight)
    torch.nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def epoch():
        mape_total = torch.zeros(())
        mape_count = 0
        for i in range(0, n, batch):
            xb, yb = x[i:i + batch], y[i:i + batch]
            opt.zero_grad(set_to_none=True)
            pred = model(xb)
            loss = F.mse_loss(pred, yb, reduction="sum")
            loss.backward()
            opt.step()
            with torch.no_grad():  # the metric: streaming mean of MAPE
                ape = (yb - pred).abs() / yb.abs().clamp_min(1e-7)
                mape_total += 100.0 * ape.mean(dim=-1).sum()
                mape_count += yb.shape[0]
        return (mape_total / mape_count).item()

    steps_per_epoch = n // batch
    epoch()  # warm-up
    per_step = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        for _ in range(args.epochs):
            mape = epoch()
        dt = time.perf_counter() - t0
        per_step.append(dt / (args.epochs * steps_per_epoch) * 1e6)

    print(json.dumps({
        "workload": "W1", "impl": "pytorch", "threads": args.threads,
        "us_per_step": round(statistics.median(per_step), 2),
        "us_per_step_reps": [round(v, 2) for v in per_step],
        "final_mape": round(mape, 4),
        "torch": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
