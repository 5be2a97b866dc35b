#!/usr/bin/env python3
"""PyTorch reference for bench/cnn_throughput.sh: the same CNN, batch,
optimizer and data as nntrain's run (Fashion-MNIST from the Debian package),
trained for EPOCHS epochs on THREADS threads. Prints, on one line, the mean
training samples/s of the epochs after the first (time spent in the training
steps only, as nntrain's metrics; the first epoch warms up) and the test
accuracy after the first epoch.

usage: torch_cnn.py THREADS EPOCHS [DATA_DIR]
"""
import gzip
import struct
import sys
import time

import numpy as np
import torch


def load_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        h, w = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, 1, h, w)
    return np.frombuffer(data, np.uint8, offset=8)


def main():
    threads, epochs = int(sys.argv[1]), int(sys.argv[2])
    root = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x = torch.from_numpy(load_idx(f"{root}/train-images-idx3-ubyte.gz").astype(np.float32) / 255)
    y = torch.from_numpy(load_idx(f"{root}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = torch.from_numpy(load_idx(f"{root}/t10k-images-idx3-ubyte.gz").astype(np.float32) / 255)
    yt = torch.from_numpy(load_idx(f"{root}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    n, batch, rates, acc = x.shape[0], 64, [], None
    for epoch in range(epochs):
        perm = torch.randperm(n)
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        rates.append(n / (time.perf_counter() - start))
        if epoch == 0:
            with torch.no_grad():
                acc = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                          for i in range(0, xt.shape[0], 1000)) / xt.shape[0]
    steady = rates[1:] if len(rates) > 1 else rates
    print(f"{sum(steady) / len(steady):.0f} {acc:.4f}")


if __name__ == "__main__":
    main()
