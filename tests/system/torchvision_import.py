#!/usr/bin/env python3
"""torchvision's SqueezeNet 1.1 and nntrain's, with the same weights, give
the same logits; broken state_dicts are refused naming the key; a
checkpoint with ImageNet's 1000 classes starts a 17-class fine-tuning run.

usage: torchvision_import.py NNTRAIN DATASET_FIXTURE SOURCE_DIR WORK_DIR

Each case builds torchvision.models.squeezenet1_1(num_classes=K) with
torch.manual_seed-fixed random weights in eval mode, saves its state_dict,
imports it with scripts/import_torchvision.py, scores a few images with
`nntrain predict` and PyTorch, and compares the logits.

The images are the test split of a data set file (uint8, made by
DATASET_FIXTURE); both sides see x = bytes / 255 in float32.

Weights: torchvision initialises the last convolution with N(0, 0.01), so
its logits are about 0.01 and mostly cut to 0 by the ReLU; compared as they
are, almost any error would pass. The classifier gets N(0, 0.05) weights
and a bias of 0.05 here, which makes the logits about 0.1 to 1 with few of
them zero.

Tolerance: both sides compute in float32 in different summation orders
(nntrain: im2col and BLIS sgemm; PyTorch: its own convolution kernels), so
each dot product of K terms (K = C k^2: up to 576 here, 4608 for a 3 x 3
convolution over 512 channels) differs by about sqrt(K) u |terms| typically
(u = 6e-8, unit roundoff), K u |terms| at worst: 1.4e-6 to 3.5e-5 of the
terms' scale for K = 576. Twenty-six convolutions in sequence carry that
forward (ReLU and max pooling do not amplify it). Allowed: 1e-4 of the
largest logit, three times the worst case of one layer; measured on an AMD
EPYC with BLIS 'skx' kernels: 2e-7 to 4e-7 of it (printed per case).
The predicted classes must agree wherever the top two logits are further
apart than that tolerance.
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import torch
import torchvision

REL_TOL = 1e-4


def run(cmd, expect=0):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600)
    if r.returncode != expect:
        sys.exit(f"FAIL: {' '.join(cmd)} exited with {r.returncode} (expected {expect}):\n"
                 f"{r.stdout}{r.stderr}")
    return r


def model(classes, seed):
    torch.manual_seed(seed)
    m = torchvision.models.squeezenet1_1(num_classes=classes)
    conv = m.classifier[1]
    torch.nn.init.normal_(conv.weight, 0.0, 0.05)
    torch.nn.init.constant_(conv.bias, 0.05)
    return m.eval()


def compare(nntrain, fixture, src, work, classes, side, n):
    tag = f"k{classes}_s{side}"
    m = model(classes, seed=classes + side)
    pth = os.path.join(work, f"{tag}.pth")
    ckpt = os.path.join(work, f"{tag}.h5")
    data = os.path.join(work, f"{tag}_images.h5")
    pred = os.path.join(work, f"{tag}_pred.h5")
    torch.save(m.state_dict(), pth)
    run([sys.executable, os.path.join(src, "scripts/import_torchvision.py"), pth, ckpt])
    run([nntrain, "verify", ckpt])
    run([fixture, data, "2", str(n), "3", str(side), str(side), str(min(classes, 17)), "9"])
    run([nntrain, "predict", ckpt, "--data", data, "--out", pred])
    with h5py.File(data, "r") as f:
        x = f["test/images"][:].astype(np.float32) / np.float32(255)
    with h5py.File(pred, "r") as f:
        ours = f["logits"][:]
        ours_pred = f["pred"][:]
    with torch.no_grad():
        theirs = m(torch.from_numpy(x)).numpy()
    assert ours.shape == theirs.shape == (n, classes), (ours.shape, theirs.shape)
    scale = float(np.abs(theirs).max())
    diff = float(np.abs(ours - theirs).max())
    zeros = float((theirs == 0).mean())
    print(f"{tag}: {n} images of 3 x {side} x {side}, {classes} classes: largest logit "
          f"{scale:.3g}, largest difference {diff:.3g} ({diff / scale:.2g} of it), "
          f"{zeros:.0%} of logits 0")
    if not scale > 0.05 or zeros > 0.5:
        sys.exit(f"FAIL: {tag}: logits too small or mostly zero to compare ({scale}, {zeros})")
    if diff > REL_TOL * scale:
        sys.exit(f"FAIL: {tag}: logits differ by {diff} > {REL_TOL} x {scale}")
    top2 = np.sort(theirs, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 2 * REL_TOL * scale
    if np.any(ours_pred[clear] != theirs.argmax(axis=1)[clear]):
        sys.exit(f"FAIL: {tag}: predicted classes differ: {ours_pred} vs {theirs.argmax(axis=1)}")
    return ckpt


def broken(src, work):
    sd = model(17, seed=3).state_dict()
    renamed = dict(sd)
    renamed["features.3.squeze.weight"] = renamed.pop("features.3.squeeze.weight")
    reshaped = dict(sd)
    reshaped["features.7.expand3x3.weight"] = torch.zeros(128, 32, 1, 1)
    cases = [("renamed", renamed, ["missing features.3.squeeze.weight (expected shape "
                                   "[16, 64, 1, 1])",
                                   "unexpected features.3.squeze.weight"]),
             ("reshaped", reshaped, ["features.7.expand3x3.weight has shape [128, 32, 1, 1], "
                                     "expected [128, 32, 3, 3]"])]
    for name, d, wants in cases:
        pth = os.path.join(work, f"{name}.pth")
        out = os.path.join(work, f"{name}.h5")
        torch.save(d, pth)
        r = run([sys.executable, os.path.join(src, "scripts/import_torchvision.py"), pth, out],
                expect=1)
        for w in wants:
            if w not in r.stderr:
                sys.exit(f"FAIL: {name}: the import did not say '{w}':\n{r.stderr}")
        if os.path.exists(out):
            sys.exit(f"FAIL: {name}: {out} was written anyway")
    print("broken state_dicts: refused, naming the renamed key and the wrong shape")


def finetune(nntrain, fixture, src, work, ckpt):
    """A 17-class fine-tuning run from the 1000-class checkpoint: features
    copied and frozen, the classifier re-initialised with a line saying so."""
    data = os.path.join(work, "flowers_standin.h5")
    run([fixture, data, "68", "34", "3", "64", "64", "17", "11"])
    job = os.path.join(src, "jobs/flowers17_squeezenet_finetune.ini")
    r = run([nntrain, job, "--set", f"data.train={data}", "--set", f"data.valid={data}",
             "--set", f"data.test={data}", "--set", f"train.init_from={ckpt}",
             "--set", "train.epochs=1", "--set", "data.crop=48",  # the stand-in is 64 x 64
             "--set", f"train.out={work}/finetune"])
    wants = ["init_from " + ckpt + ": 25 layer(s) copied",
             "skipped  conv10           W is 17x512x1x1 here, 1000x512x1x1 in the checkpoint",
             "copied   fire9/expand3x3"]
    for w in wants:
        if w not in r.stdout:
            sys.exit(f"FAIL: fine-tuning did not say '{w}':\n{r.stdout}")
    with h5py.File(ckpt, "r") as a, h5py.File(f"{work}/finetune/checkpoint.h5", "r") as b:
        for name in ("conv1/W", "fire5/expand3x3/W", "fire9/squeeze/b"):
            if not np.array_equal(a["model/" + name][:], b["model/" + name][:]):
                sys.exit(f"FAIL: frozen {name} changed in fine-tuning")
    print("fine-tuning from 1000 to 17 classes: features copied and kept, conv10 afresh")


def main():
    nntrain, fixture, src, work = sys.argv[1:5]
    compare(nntrain, fixture, src, work, 17, 128, 4)
    ckpt = compare(nntrain, fixture, src, work, 1000, 224, 2)
    broken(src, work)
    finetune(nntrain, fixture, src, work, ckpt)


if __name__ == "__main__":
    main()
