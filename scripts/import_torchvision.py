#!/usr/bin/env python3
"""Turn a torchvision SqueezeNet 1.1 state_dict into an nntrain checkpoint.

usage: import_torchvision.py STATE_DICT.pth OUT.h5 [--data FILE.h5] [--classes K]

The checkpoint holds the network of jobs/flowers17_squeezenet.ini (with the
state_dict's class count) as its config and the weights under nntrain's
names, so that `nntrain predict OUT.h5 --data FILE`, `nntrain eval` and
`[train] init_from = OUT.h5` accept it. Needs python3 with torch and h5py
(Debian: python3-torch, python3-h5py).

Names (torchvision.models.squeezenet1_1 -> nntrain):
    features.0.{weight,bias}                 -> model/conv1/{W,b}
    features.N.squeeze.{weight,bias}         -> model/fireK/squeeze/{W,b}
    features.N.expand1x1.{weight,bias}       -> model/fireK/expand1x1/{W,b}
    features.N.expand3x3.{weight,bias}       -> model/fireK/expand3x3/{W,b}
        for (N, K) = (3, 2), (4, 3), (6, 4), (7, 5), (9, 6), (10, 7), (11, 8), (12, 9)
    classifier.1.{weight,bias}               -> model/conv10/{W,b}
Convolution weights are [filters, channels, k, k] on both sides, so they are
copied as they are (float32). The class count K comes from
classifier.1.weight (or --classes). Every expected name must be there with
its shape and nothing else may be: each mismatch is reported by name, and
the exit status is 1 when there is any (2 for a bad command line).

The file follows docs/checkpoint-format.md (format_version 2): float32
datasets, chunked with a Fletcher32 checksum each, an int64 "shape"
attribute on each, fixed-length UTF-8 string attributes, the cursor at
epoch 0, step 0; state/epoch_sums and init/conv1/W as a training run writes
them, so `nntrain verify OUT.h5` checks it and `nntrain eval` resumes it.
"""
import argparse
import os
import sys

import numpy as np

FORMAT_VERSION = 2
# torchvision's features index of each fire module, by the paper's name
FIRES = [(3, "fire2", 64, 16, 64, 64), (4, "fire3", 128, 16, 64, 64),
         (6, "fire4", 128, 32, 128, 128), (7, "fire5", 256, 32, 128, 128),
         (9, "fire6", 256, 48, 192, 192), (10, "fire7", 384, 48, 192, 192),
         (11, "fire8", 384, 64, 256, 256), (12, "fire9", 512, 64, 256, 256)]
POOLS_AFTER = {"fire3": "pool3", "fire5": "pool5"}


def expected(classes):
    """[(torchvision name, nntrain tensor name, shape)] in network order."""
    out = []

    def conv(tv, nn, f, c, k):
        out.append((tv + ".weight", nn + "/W", (f, c, k, k)))
        out.append((tv + ".bias", nn + "/b", (f,)))

    conv("features.0", "model/conv1", 64, 3, 3)
    for idx, name, cin, s, e1, e3 in FIRES:
        conv(f"features.{idx}.squeeze", f"model/{name}/squeeze", s, cin, 1)
        conv(f"features.{idx}.expand1x1", f"model/{name}/expand1x1", e1, s, 1)
        conv(f"features.{idx}.expand3x3", f"model/{name}/expand3x3", e3, s, 3)
    conv("classifier.1", "model/conv10", classes, 512, 1)
    return out


def config_text(classes, data, out_dir):
    """The nntrain config of SqueezeNet 1.1 with `classes` outputs: the layers
    of jobs/flowers17_squeezenet.ini."""
    lines = ["; SqueezeNet 1.1 imported from a torchvision state_dict "
             "(scripts/import_torchvision.py)",
             "[data]", f"train = {data}", "", "[train]", "optimizer = sgd", "seed = 1",
             f"out = {out_dir}", "",
             "[conv1]", "type = conv", "filters = 64", "size = 3", "stride = 2",
             "activation = relu",
             "[pool1]", "type = maxpool", "size = 3", "stride = 2", "ceil_mode = true"]
    for _, name, _, s, e1, e3 in FIRES:
        lines += [f"[{name}]", "type = fire", f"squeeze = {s}", f"expand1x1 = {e1}",
                  f"expand3x3 = {e3}"]
        if name in POOLS_AFTER:
            lines += [f"[{POOLS_AFTER[name]}]", "type = maxpool", "size = 3", "stride = 2",
                      "ceil_mode = true"]
    lines += ["[drop9]", "type = dropout", "rate = 0.5",
              "[conv10]", "type = conv", f"filters = {classes}", "size = 1",
              "activation = relu",
              "[pool10]", "type = global_avgpool", "activation = softmax"]
    return "\n".join(lines) + "\n"


def load_state_dict(path):
    import torch
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # a truncated or foreign file: say which
        sys.exit(f"import_torchvision: {path}: cannot read it with torch.load: {e}")
    if hasattr(obj, "state_dict") and not isinstance(obj, dict):
        obj = obj.state_dict()
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        sys.exit(f"import_torchvision: {path}: not a state_dict (a {type(obj).__name__})")
    sd = {}
    for k, v in obj.items():
        if not hasattr(v, "detach"):
            sys.exit(f"import_torchvision: {path}: entry {k} is not a tensor")
        sd[k] = v.detach().cpu().float().numpy()
    return sd


def check(sd, classes, path):
    """Every mismatch between sd and SqueezeNet 1.1 with `classes` outputs,
    one message each."""
    problems = []
    want = expected(classes)
    names = {tv for tv, _, _ in want}
    for tv, _, shape in want:
        if tv not in sd:
            problems.append(f"missing {tv} (expected shape {list(shape)})")
        elif tuple(sd[tv].shape) != shape:
            problems.append(f"{tv} has shape {list(sd[tv].shape)}, expected {list(shape)}")
    for k in sd:
        if k not in names:
            problems.append(f"unexpected {k} (shape {list(sd[k].shape)}): not a tensor of "
                            "torchvision's squeezenet1_1")
    for tv, _, _ in want:
        if tv in sd and not np.all(np.isfinite(sd[tv])):
            problems.append(f"{tv} holds NaN or infinite values")
    return problems


def fixed_str(s):
    import h5py
    b = s.encode("utf-8")
    return np.array(b, dtype=h5py.string_dtype("utf-8", len(b) + 1))


def write_checkpoint(out, sd, classes, text, config_path):
    import h5py
    tmp = out + ".tmp"
    try:
        f = h5py.File(tmp, "w", libver=("v108", "v108"))
    except (ValueError, TypeError):  # an h5py without that bound
        f = h5py.File(tmp, "w", libver="earliest")
    with f:
        a = f.attrs
        a.create("format", fixed_str("nntrain-checkpoint"))
        a.create("format_version", np.int32(FORMAT_VERSION))
        a.create("nntrain_version", fixed_str("import_torchvision.py"))
        a.create("hdf5_version", fixed_str(h5py.version.hdf5_version))
        for k in ("epoch", "step", "global_step"):
            a.create(k, np.int64(0))
        a.create("seed", np.uint64(1))
        a.create("world_size", np.int32(1))
        a.create("lr", np.float64(0.0))
        a.create("config", fixed_str(text))
        a.create("config_path", fixed_str(config_path))

        def tensor(name, data):
            data = np.ascontiguousarray(data, dtype="<f4")
            d = f.create_dataset(name, data=data, chunks=data.shape, fletcher32=True)
            d.attrs.create("shape", np.array(data.shape, dtype="<i8"))

        for tv, nn, _ in expected(classes):
            tensor(nn, sd[tv])
        tensor("state/epoch_sums", np.zeros(3, np.float32))
        tensor("init/conv1/W", sd["features.0.weight"])
    os.replace(tmp, out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("state_dict", help="a .pth file: torchvision squeezenet1_1's state_dict")
    p.add_argument("out", help="the nntrain checkpoint to write (.h5)")
    p.add_argument("--data", default="runs/flowers17_prep/flowers17_144.h5",
                   help="[data] train of the stored config (what `nntrain eval` reads; "
                        "predict takes --data instead)")
    p.add_argument("--classes", type=int, default=0,
                   help="expected class count (default: from classifier.1.weight)")
    args = p.parse_args()
    sd = load_state_dict(args.state_dict)
    classes = args.classes
    w = sd.get("classifier.1.weight")
    if classes <= 0:
        classes = int(w.shape[0]) if w is not None and w.ndim == 4 else 1000
    problems = check(sd, classes, args.state_dict)
    if problems:
        for m in problems:
            print(f"import_torchvision: {args.state_dict}: {m}", file=sys.stderr)
        sys.exit(1)
    text = config_text(classes, args.data, os.path.dirname(os.path.abspath(args.out)))
    write_checkpoint(args.out, sd, classes, text, args.state_dict)
    n = sum(sd[tv].size for tv, _, _ in expected(classes))
    print(f"{args.out}: SqueezeNet 1.1, {classes} classes, {n} parameters from {args.state_dict}")


if __name__ == "__main__":
    main()
