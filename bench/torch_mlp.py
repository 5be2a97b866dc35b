#!/usr/bin/env python3
"""PyTorch reference for bench/mlp_throughput.sh: the same MLP, batch, optimizer
and data size as nntrain's run; prints training samples/s (epochs after the
first, which warms up).

usage: torch_mlp.py THREADS EPOCHS N IN HIDDEN CLASSES BATCH
"""
import sys
import time

import torch


def main():
    threads, epochs, n, d_in, hidden, classes, batch = map(int, sys.argv[1:8])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.rand(n, d_in)
    y = torch.randint(0, classes, (n,))
    model = torch.nn.Sequential(torch.nn.Linear(d_in, hidden), torch.nn.Sigmoid(),
                                torch.nn.Linear(hidden, classes))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rates = []
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
    steady = rates[1:] if len(rates) > 1 else rates
    print(f"{sum(steady) / len(steady):.0f}")


if __name__ == "__main__":
    main()
