#!/usr/bin/env python3
"""nntrain against PyTorch: the same network, initial weights, batches and
update rule, trained for a few dozen steps on each side; the weights must then
agree within a tolerance set per case below.

usage: torch_agreement.py NNTRAIN WORK_DIR [CASE ...]    (default: every case)

For each case:
  1. one network description (MLP, MLP_SIGMOID, CNN) gives both nntrain's
     .ini and the PyTorch module; the data are synthetic 28 x 28 images
     (make_data) written as IDX files that both sides read;
  2. nntrain writes the initial weights: a run with every parameter layer
     frozen ([train] freeze) on one batch leaves /model exactly as initialised
     (a frozen batch norm uses, and does not update, its running statistics);
  3. nntrain trains STEPS steps: one epoch over a data file of exactly
     STEPS x BATCH samples, shuffle = false, no augmentation, no validation
     split, so batch i is samples [i B, (i + 1) B) of the file on both sides;
  4. PyTorch loads the initial weights and takes the same steps;
  5. every tensor of /model (weights, biases, batch-norm gamma, beta and
     running statistics) is compared with the case's tolerances (CASES), and
     the weights must have moved from their initial values by far more than
     those (so agreement is not the trivial agreement of two runs that did
     nothing).

Conventions mapped (checked against src/train/optim.c, loss.c,
src/layers/batchnorm.c):
  - dense W is stored [inputs, units]; torch.nn.Linear.weight is its
    transpose [units, inputs]. conv W is [filters, channels, k, k] on both.
  - the loss is the mean over the global batch (CrossEntropyLoss's default
    reduction); nntrain's softmax output layer + cross_entropy equals a
    linear layer followed by torch's log-softmax cross-entropy.
  - momentum is PyTorch's form on both sides: v = mu v + g, w -= lr v
    (dampening 0, no Nesterov; PyTorch's first step sets v = g, which equals
    mu 0 + g).
  - Adam: m, v with bias corrections 1 - beta^t, eps added to sqrt(v_hat);
    nntrain computes (m / c1) / (sqrt(v / c2) + eps), PyTorch
    (m / c1) / (sqrt(v) / sqrt(c2) + eps): equal up to rounding.
  - weight_decay is L2 added to the gradient (g + wd w) of weights only
    (dense and conv W), not of biases or batch-norm gamma/beta: PyTorch gets
    two parameter groups. For Adam that is torch.optim.Adam's weight_decay
    (L2 in the gradient), not AdamW's decoupled decay.
  - batch norm: training normalises with the biased batch variance; the
    running variance is updated with the unbiased one; momentum 0.1 is the
    weight of the new batch (running = (1 - m) running + m batch); eps 1e-5
    inside the square root: all as torch.nn.BatchNorm1d/2d.
  - pixels: IDX bytes times 1/255 in float32 (src/data/gather.c), the same
    product here.
  - the learning rate is constant (schedule = constant).
"""
import os
import struct
import subprocess
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

BATCH = 64
SIDE = 28
CLASSES = 10

# The networks: the quickstart MLP (ReLU), an MLP with the homework's
# sigmoid hidden layer, and a small CNN with every kind of layer whose
# training-mode arithmetic is compared (dropout with rate 0 is the identity
# in training mode, on both sides).
MLP = [
    ("fc1", "dense", {"units": 256, "activation": "relu", "init": "he"}),
    ("fc2", "dense", {"units": 128, "activation": "relu", "init": "he"}),
    ("out", "dense", {"units": 10, "activation": "softmax"}),
]
MLP_SIGMOID = [
    ("hidden", "dense", {"units": 64, "activation": "sigmoid"}),
    ("out", "dense", {"units": 10, "activation": "softmax"}),
]
CNN = [
    ("conv1", "conv", {"filters": 8, "size": 3, "padding": 1, "bias": "false"}),
    ("bn1", "batchnorm", {"activation": "relu"}),
    ("pool1", "maxpool", {"size": 2}),
    ("conv2", "conv", {"filters": 16, "size": 3, "padding": 1, "activation": "relu"}),
    ("pool2", "maxpool", {"size": 2}),
    ("flat", "flatten", {}),
    ("drop", "dropout", {"rate": 0}),
    ("fc", "dense", {"units": 32, "init": "he"}),
    ("bn2", "batchnorm", {"activation": "relu"}),
    ("out", "dense", {"units": 10, "activation": "softmax"}),
]

# case: (network, [train] optimizer keys, steps, tolerances), the tolerances
#   max:   the largest |nntrain - PyTorch| of any parameter (W, b, gamma, beta);
#   bulk:  the 99.9th percentile of those differences;
#   stats: the largest relative difference |a - b| / max(1, |b|) of the
#          batch-norm running statistics, which reach 10 and more.
#
# Why the two sides differ at all: both compute in float32 with different
# summation orders (BLIS's blocked sgemm against PyTorch's kernels, nntrain's
# im2col convolution against PyTorch's, nntrain's double accumulation of
# batch-norm sums), so each gradient carries rounding noise of about 1e-7
# relative to the sums it came from, and training carries that forward:
#   - SGD and momentum accumulate it: measured 1.2e-7 (SGD, 100 steps) and
#     7.5e-8 (momentum, 40 steps) on the MLP, 5.6e-7 on the CNN (30 steps).
#     The CNN's last running mean averages 784-term sums of features up to
#     about 10 whose rounding grows with every step: 9.5e-6 relative.
#   - Adam divides each gradient by its own running magnitude: where a
#     gradient is within a few times eps (1e-8) of zero, its rounding noise
#     (about 1e-9) is a sizeable part of it, and the step changes by up to
#     about lr * 1e-9 / eps = 0.1 lr = 1e-4 (measured: 4.6e-6 on 2 of the
#     first layer's 200,704 weights after the first step; 99.9% of all
#     values stay within 1e-7). Weight decay keeps gradients away from zero
#     (g + wd w), which removes the effect (measured 4.7e-7 after 40 steps).
#   - A ReLU whose input is within such a difference of 0 can then switch on
#     one side only, and from there the two runs drift apart chaotically
#     (measured with the ReLU MLP and Adam: below 5e-6 up to step 20, then
#     1.3e-4 at step 30 with thousands of values off by more than 1e-6). So
#     Adam is compared early on the ReLU MLP (12 steps), and for 40 steps on
#     a sigmoid MLP, which has no such switch.
#   - The CNN runs nntrain's im2col convolution (conv_algorithm = gemm), the
#     reference path: with `auto` its 8 -> 16 channel conv2 takes Winograd
#     F(2x2, 3x3), whose transforms round differently (about 1e-6 relative
#     per output against 1e-7, tests/unit/test_train_conv.c); through ReLU
#     switches, batch norm and momentum that grew to 2.5e-4 after 30 steps,
#     the drift described above, not a wrong gradient (the gradient checks
#     and test_train_conv cover Winograd). Before the first such switch the
#     Winograd CNN agrees as closely as the im2col one: cnn_winograd, 5
#     steps, max 1.8e-7 on the weights and 6e-8 at the 99.9th percentile
#     (im2col's after 5 steps: the same), 3.6e-7 relative on the running
#     statistics; the drift starts between steps 5 and 15 (1.1e-4 at 15).
# Measured on an AMD EPYC with BLIS 'skx' kernels (nntrain prints its kernel
# family). The tolerances leave a margin of 10x or more over those figures
# (Adam's max: the one-step bound above), and each is at least 10x smaller
# than how far the weights moved (checked below).
CASES = {
    "mlp_sgd": (MLP, {"optimizer": "sgd", "lr": 0.1}, 100,
                {"max": 1e-6, "bulk": 1e-6}),
    "mlp_momentum": (MLP, {"optimizer": "momentum", "lr": 0.02, "momentum": 0.9,
                           "weight_decay": 5e-4}, 40,
                     {"max": 1e-6, "bulk": 1e-6}),
    "mlp_adam": (MLP, {"optimizer": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999,
                       "eps": 1e-8}, 12,
                 {"max": 1e-4, "bulk": 2e-6}),
    "mlp_sigmoid_adam_wd": (MLP_SIGMOID, {"optimizer": "adam", "lr": 1e-3,
                                          "weight_decay": 1e-3}, 40,
                            {"max": 1e-4, "bulk": 3e-6}),
    "cnn_momentum": (CNN, {"optimizer": "momentum", "lr": 0.02, "momentum": 0.9,
                           "weight_decay": 5e-4, "conv_algorithm": "gemm"}, 30,
                     {"max": 6e-6, "bulk": 6e-6, "stats": 1e-4}),
    "cnn_winograd": (CNN, {"optimizer": "momentum", "lr": 0.02, "momentum": 0.9,
                           "weight_decay": 5e-4, "conv_algorithm": "winograd"}, 5,
                     {"max": 2e-6, "bulk": 1e-6, "stats": 1e-5}),
}
MOVED_FACTOR = 10.0
STATS = ("running_mean", "running_var")


def write_idx(prefix, images, labels):
    with open(prefix + "-images.idx", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, images.shape[0], SIDE, SIDE))
        f.write(images.tobytes())
    with open(prefix + "-labels.idx", "wb") as f:
        f.write(struct.pack(">II", 0x801, labels.shape[0]))
        f.write(labels.tobytes())


def make_data(n, seed):
    """n images of SIDE x SIDE uint8 with CLASSES classes: each class is a few
    Gaussian blobs at its own places, plus noise clipped at 0, so that images
    have a dark background as handwriting does and labels can be learnt. The
    first k samples do not depend on n."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    templates = np.zeros((CLASSES, SIDE, SIDE), np.float32)
    for k in range(CLASSES):
        for _ in range(3):
            cy, cx = rng.uniform(5, SIDE - 5, 2)
            s = rng.uniform(2, 5)
            templates[k] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    labels = np.random.default_rng(seed + 1).integers(0, CLASSES, n).astype(np.uint8)
    labels[:CLASSES] = np.arange(CLASSES)  # every class present: nntrain counts max + 1
    noise = np.random.default_rng(seed + 2).normal(0, 0.35, (n, SIDE, SIDE)).astype(np.float32)
    images = np.clip((templates[labels] + noise) * 220, 0, 255).astype(np.uint8)
    return images, labels


def ini_text(spec, train_keys, data_prefix, out, freeze=False):
    lines = ["[data]", f"train = {data_prefix}-images.idx",
             f"train_labels = {data_prefix}-labels.idx", "valid_fraction = 0", "",
             "[train]", "epochs = 1", f"batch_size = {BATCH}", "shuffle = false",
             "schedule = constant", "seed = 7", "threads = 1", f"out = {out}"]
    lines += [f"{k} = {v}" for k, v in train_keys.items()]
    if freeze:
        names = [n for n, t, _ in spec if t in ("dense", "conv", "batchnorm")]
        lines.append("freeze = " + ", ".join(names))
    for name, kind, keys in spec:
        lines += ["", f"[{name}]", f"type = {kind}"] + [f"{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def run_nntrain(nntrain, ini_path, text):
    with open(ini_path, "w") as f:
        f.write(text)
    r = subprocess.run([nntrain, ini_path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"FAIL: nntrain {ini_path} exited with {r.returncode}:\n{r.stdout}")
    return r.stdout


def read_model(path):
    """{(layer, param): float32 array} of a checkpoint's /model, and /init."""
    out, init = {}, {}
    with h5py.File(path, "r") as f:
        for layer in f["model"]:
            for param in f["model"][layer]:
                out[(layer, param)] = f["model"][layer][param][()]
        if "init" in f:
            for layer in f["init"]:
                for param in f["init"][layer]:
                    init[(layer, param)] = f["init"][layer][param][()]
    return out, init


class Net(torch.nn.Module):
    """The spec as a PyTorch module; params[(layer, param)] -> (tensor, is a weight, dense W)."""

    def __init__(self, spec, in_shape):
        super().__init__()
        nn = torch.nn
        self.seq = nn.Sequential()
        self.params = {}
        c, h, w = in_shape
        flat = None  # features once flattened (dense inputs flatten NCHW, as nntrain)
        for name, kind, keys in spec:
            act = keys.get("activation", "linear")
            if kind == "conv":
                k, p = int(keys.get("size", 3)), int(keys.get("padding", 0))
                bias = str(keys.get("bias", "true")) == "true"
                m = nn.Conv2d(c, int(keys["filters"]), k, padding=p, bias=bias)
                c, h, w = int(keys["filters"]), h + 2 * p - k + 1, w + 2 * p - k + 1
                self.params[(name, "W")] = (m.weight, True, False)
                if bias:
                    self.params[(name, "b")] = (m.bias, False, False)
            elif kind == "dense":
                if flat is None:
                    flat = c * h * w
                    self.seq.add_module(name + "_flatten", nn.Flatten())
                m = nn.Linear(flat, int(keys["units"]))
                flat = int(keys["units"])
                self.params[(name, "W")] = (m.weight, True, True)
                self.params[(name, "b")] = (m.bias, False, False)
            elif kind == "batchnorm":
                m = (nn.BatchNorm1d(flat) if flat is not None else nn.BatchNorm2d(c))
                m.momentum, m.eps = float(keys.get("momentum", 0.1)), float(keys.get("eps", 1e-5))
                self.params[(name, "gamma")] = (m.weight, False, False)
                self.params[(name, "beta")] = (m.bias, False, False)
                self.params[(name, "running_mean")] = (m.running_mean, None, False)
                self.params[(name, "running_var")] = (m.running_var, None, False)
            elif kind == "maxpool":
                k = int(keys.get("size", 2))
                m = nn.MaxPool2d(k)
                h, w = h // k, w // k
            elif kind == "flatten":
                m = nn.Flatten()
                flat = c * h * w
            elif kind == "dropout":
                m = nn.Dropout(float(keys["rate"]))
            else:
                raise ValueError(kind)
            self.seq.add_module(name, m)
            # softmax is left to the loss (log-softmax inside cross_entropy)
            if act == "relu":
                self.seq.add_module(name + "_relu", nn.ReLU())
            elif act == "sigmoid":
                self.seq.add_module(name + "_sigmoid", nn.Sigmoid())
            elif act not in ("linear", "softmax"):
                raise ValueError(act)

    def load(self, model):
        with torch.no_grad():
            for key, (t, _, dense_w) in self.params.items():
                a = model[key]
                t.copy_(torch.from_numpy(a.T.copy() if dense_w else a))

    def values(self):
        return {key: (t.detach().numpy().T if dense_w else t.detach().numpy())
                for key, (t, _, dense_w) in self.params.items()}

    def forward(self, x):
        return self.seq(x)


def torch_optimizer(net, train_keys):
    wd = float(train_keys.get("weight_decay", 0))
    weights = [t for t, is_w, _ in net.params.values() if is_w is True]
    others = [t for t, is_w, _ in net.params.values() if is_w is False]
    groups = [{"params": weights, "weight_decay": wd}, {"params": others, "weight_decay": 0.0}]
    lr = float(train_keys["lr"])
    kind = train_keys["optimizer"]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lr)
    if kind == "momentum":
        return torch.optim.SGD(groups, lr=lr, momentum=float(train_keys.get("momentum", 0.9)))
    return torch.optim.Adam(groups, lr=lr, betas=(float(train_keys.get("beta1", 0.9)),
                                                  float(train_keys.get("beta2", 0.999))),
                            eps=float(train_keys.get("eps", 1e-8)))


def run_case(name, nntrain, work):
    spec, train_keys, steps, tol = CASES[name]
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    images, labels = make_data(steps * BATCH, seed=11)
    write_idx(os.path.join(d, "train"), images, labels)
    write_idx(os.path.join(d, "one"), images[:BATCH], labels[:BATCH])

    run_nntrain(nntrain, os.path.join(d, "init.ini"),
                ini_text(spec, train_keys, os.path.join(d, "one"), os.path.join(d, "init"), True))
    log = run_nntrain(nntrain, os.path.join(d, "run.ini"),
                      ini_text(spec, train_keys, os.path.join(d, "train"), os.path.join(d, "run")))
    init, _ = read_model(os.path.join(d, "init", "checkpoint.h5"))
    final, run_init = read_model(os.path.join(d, "run", "checkpoint.h5"))
    # The training run started from the same weights as the frozen run ended
    # with: its /init holds its first layer's initial weights.
    for key, a in run_init.items():
        if not np.array_equal(a, init[key]):
            sys.exit(f"FAIL: {name}: the frozen run's {key} differs from the training run's "
                     "initial weights")

    torch.manual_seed(0)
    net = Net(spec, (1, SIDE, SIDE))
    net.load(init)
    net.train()
    opt = torch_optimizer(net, train_keys)
    scale = np.float32(1.0) / np.float32(255.0)
    x_all = torch.from_numpy(images.astype(np.float32).reshape(-1, 1, SIDE, SIDE) * scale)
    y_all = torch.from_numpy(labels.astype(np.int64))
    for s in range(steps):
        x, y = x_all[s * BATCH:(s + 1) * BATCH], y_all[s * BATCH:(s + 1) * BATCH]
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    ours = net.values()

    diffs, moves, stats, lines = [], [], [], []
    for key in sorted(final):
        if key not in ours:
            sys.exit(f"FAIL: {name}: {key} has no PyTorch counterpart")
        a, b = final[key].astype(np.float64), ours[key].astype(np.float64)
        if a.shape != b.shape:
            sys.exit(f"FAIL: {name}: {key} is {a.shape} in nntrain, {b.shape} in PyTorch")
        diff = np.abs(a - b).ravel()
        if key[1] in STATS:
            diff /= np.maximum(1.0, np.abs(b)).ravel()
            stats.append(diff)
        else:
            diffs.append(diff)
        move = np.abs(a - init[key]).ravel()
        if key[1] == "W":
            moves.append(move)
        lines.append(f"    {key[0]}/{key[1]}: {'relative ' if key[1] in STATS else ''}"
                     f"max diff {diff.max():.2g}, {np.count_nonzero(diff > 1e-6)} of {diff.size} "
                     f"over 1e-6; max |change| {move.max():.2g}")
    diff, move = np.concatenate(diffs), np.concatenate(moves)
    worst, bulk = float(diff.max()), float(np.quantile(diff, 0.999))
    moved, moved_median = float(move.max()), float(np.median(move))
    stat = float(np.concatenate(stats).max()) if stats else 0.0
    header = log.splitlines()[0] if log else ""
    print(f"{name}: {steps} steps of {BATCH}, {train_keys}\n  {header}\n"
          f"  parameters: max diff {worst:.2g} (tolerance {tol['max']:g}), 99.9th percentile "
          f"{bulk:.2g} (tolerance {tol['bulk']:g})"
          + (f"; running statistics: max relative diff {stat:.2g} (tolerance {tol['stats']:g})"
             if stats else "")
          + f"\n  weights moved by up to {moved:.2g}, median {moved_median:.2g}")
    print("\n".join(lines))
    if not worst <= tol["max"]:
        sys.exit(f"FAIL: {name}: nntrain and PyTorch differ by {worst:.3g} > {tol['max']:g}")
    if not bulk <= tol["bulk"]:
        sys.exit(f"FAIL: {name}: 0.1% of the values differ by more than {bulk:.3g} > "
                 f"{tol['bulk']:g}")
    if stats and not stat <= tol["stats"]:
        sys.exit(f"FAIL: {name}: running statistics differ by {stat:.3g} (relative) > "
                 f"{tol['stats']:g}")
    if not (moved >= MOVED_FACTOR * tol["max"] and moved_median >= MOVED_FACTOR * tol["bulk"]):
        sys.exit(f"FAIL: {name}: the weights moved too little ({moved:.3g}, median "
                 f"{moved_median:.3g}) for the comparison to say anything")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    nntrain, work = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(CASES)
    torch.set_num_threads(1)
    print(f"PyTorch {torch.__version__}, 1 thread")
    for name in names:
        if name not in CASES:
            sys.exit(f"unknown case {name}; cases: {', '.join(CASES)}")
        run_case(name, nntrain, work)


if __name__ == "__main__":
    main()
