#!/usr/bin/env python3
"""PyTorch reference for bench/squeezenet_throughput.sh: torchvision's
SqueezeNet 1.1 with 17 classes (the network of jobs/flowers17_squeezenet.ini)
trained on the same data set file (uint8 images / 255), batch and update
rule (momentum SGD, lr 0.01, momentum 0.9, weight decay 2e-4) for EPOCHS
epochs on THREADS threads, shuffled each epoch. Prints, on one line, the
mean training samples/s of the epochs after the first (training steps only,
as nntrain's metrics; the first epoch warms up) and the process's peak
resident memory in MiB.

usage: torch_squeezenet.py THREADS EPOCHS DATA.h5 BATCH
"""
import resource
import sys
import time

import h5py
import numpy as np
import torch
import torchvision


def main():
    threads, epochs, path, batch = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    with h5py.File(path, "r") as f:
        x = torch.from_numpy(f["train/images"][:].astype(np.float32) / np.float32(255))
        y = torch.from_numpy(f["train/labels"][:].astype(np.int64))
    model = torchvision.models.squeezenet1_1(num_classes=17).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    n, rates = x.shape[0], []
    for _ in range(epochs):
        perm = torch.randperm(n)
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        rates.append(n / (time.perf_counter() - start))
    later = rates[1:] if len(rates) > 1 else rates
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{sum(later) / len(later):.1f} {peak:.0f}")


if __name__ == "__main__":
    main()
