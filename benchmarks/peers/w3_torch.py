#!/usr/bin/python3
"""W3 CNN, PyTorch eager peer (benchmarks/peers/README.md).

Fashion-MNIST (Debian's dataset-fashion-mnist, IDX gz files), pixels / 255 as
float32 (N, 1, 28, 28), model Conv2d(1, 32, 3)-relu-MaxPool2d(2)-Conv2d(32, 64, 3)-
relu-MaxPool2d(2)-Flatten-Linear(1600, 128)-relu-Linear(128, 10) (Keras-style init:
glorot-uniform weights, zero biases), Adam lr 1e-3 eps 1e-7 (PyTorch defaults
otherwise), sparse categorical crossentropy from logits (mean over the batch),
batch 128 (the last, partial batch kept), a fresh permutation each epoch from a
generator seeded once, 2 epochs (--epochs). Prints one JSON line: samples_per_s is the
median over the epochs of (training samples / epoch wall time; evaluation not
timed), test_accuracy after the last epoch, peak_rss_mb = ru_maxrss / 1024.

Run with Debian's /usr/bin/python3 (python3-torch 1.13): --threads N.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(bytearray(raw), dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--data", default=DATA)
    args = ap.parse_args()
    # Before torch loads, so OpenMP (torch's and OpenBLAS's) starts with it.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    def images(name):
        a = read_idx(os.path.join(args.data, name))
        return torch.from_numpy(a.reshape(a.shape[0], 1, 28, 28).copy()).float().div_(255.0)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(args.data, name)).astype(np.int64))

    x_train = images("train-images-idx3-ubyte.gz")
    y_train = labels("train-labels-idx1-ubyte.gz")
    x_test = images("t10k-images-idx3-ubyte.gz")
    y_test = labels("t10k-labels-idx1-ubyte.gz")
    n = x_train.shape[0]

    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(1600, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    for m in model:
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    gen = torch.Generator().manual_seed(args.seed)

    epoch_s = []
    model.train()
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, args.batch):
            idx = perm[i:i + args.batch]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
        epoch_s.append(time.perf_counter() - t0)
    last_loss = loss.item()

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x_test.shape[0], 1000):
            pred = model(x_test[i:i + 1000]).argmax(dim=1)
            correct += (pred == y_test[i:i + 1000]).sum().item()
    acc = correct / x_test.shape[0]

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "workload": "W3", "impl": "pytorch", "threads": args.threads,
        "samples_per_s": round(n / statistics.median(epoch_s)),
        "samples_per_s_def": "median epoch",
        "samples_per_s_after_first": round(n * (len(epoch_s) - 1) / sum(epoch_s[1:])) if len(epoch_s) > 1 else None,
        "epoch_s": [round(s, 3) for s in epoch_s],
        "test_accuracy": round(acc, 4),
        "last_batch_loss": round(last_loss, 4),
        "peak_rss_mb": round(rss_mb, 1),
        "torch": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
