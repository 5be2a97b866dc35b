#!/usr/bin/env python3
"""Write a random IDX data set (images + labels, plain) for throughput runs.

usage: make_idx.py OUT_PREFIX N SIDE CLASSES [SEED]
Creates OUT_PREFIX-images.idx (N x SIDE x SIDE uint8) and OUT_PREFIX-labels.idx.
"""
import struct
import sys

import numpy as np


def main():
    prefix, n, side, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, side, side), dtype=np.uint8)
    labels = rng.integers(0, classes, size=n, dtype=np.uint8)
    labels[:classes] = np.arange(classes)  # every class present
    with open(prefix + "-images.idx", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, side, side))
        f.write(images.tobytes())
    with open(prefix + "-labels.idx", "wb") as f:
        f.write(struct.pack(">II", 0x801, n))
        f.write(labels.tobytes())


if __name__ == "__main__":
    main()
