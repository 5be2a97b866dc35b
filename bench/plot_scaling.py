#!/usr/bin/env python3
"""Plot bench/scaling.sh's predicted efficiencies, with the measured ones.

    bench/plot_scaling.py PREDICTIONS.tsv MEASURED.tsv OUT.png

PREDICTIONS.tsv: one row per prediction, tab-separated, with the header
    model  link  batch  comm  ranks  efficiency
(model: mlp, cnn, squeezenet; link: 10GbE or IB-100G; comm: none = the sum
after backward, ovl = overlapped with backward).
MEASURED.tsv: the runs on the simulated hosts (a link shaped to 10 Gbit/s),
with the header
    model  ranks  overlap  batch  efficiency
(may hold only its header when no hosts could be made).
Writes one figure with a panel per link: efficiency against ranks (log 2),
a line per model, solid with overlap and dashed without; the measured runs
are points in the 10GbE panel, labelled with their (much smaller) batch.
A malformed file is named with its line, exit status 1.
Needs python3-matplotlib (scripts/install-deps.sh --bench).
"""
import csv
import sys


def fail(msg):
    print(f"plot_scaling.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read_table(path, columns, numeric):
    """Rows of a tab-separated file as dicts; numeric columns as floats."""
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f, delimiter="\t")
            header = next(reader, None)
            if header != columns:
                fail(f"{path}:1: header {header!r}, expected {columns!r}")
            rows = []
            for line, fields in enumerate(reader, start=2):
                if not fields:
                    continue
                if len(fields) != len(columns):
                    fail(f"{path}:{line}: {len(fields)} fields, expected {len(columns)}")
                row = dict(zip(columns, fields))
                for c in numeric:
                    try:
                        row[c] = float(row[c])
                    except ValueError:
                        fail(f"{path}:{line}: {c} {row[c]!r} is not a number")
                rows.append(row)
            return rows
    except OSError as e:
        fail(f"{path}: {e.strerror}")


def main():
    if len(sys.argv) != 4:
        fail("usage: plot_scaling.py PREDICTIONS.tsv MEASURED.tsv OUT.png")
    pred_path, meas_path, out = sys.argv[1:]
    pred = read_table(pred_path, ["model", "link", "batch", "comm", "ranks", "efficiency"],
                      ["batch", "ranks", "efficiency"])
    meas = read_table(meas_path, ["model", "ranks", "overlap", "batch", "efficiency"],
                      ["ranks", "batch", "efficiency"])
    if not pred:
        fail(f"{pred_path}: no predictions")
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        fail("needs python3-matplotlib (scripts/install-deps.sh --bench)")

    links = sorted({r["link"] for r in pred})
    models = sorted({r["model"] for r in pred})
    colours = dict(zip(models, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, axes = plt.subplots(1, len(links), figsize=(5.5 * len(links) + 2.4, 4.2), sharey=True,
                             squeeze=False)
    for ax, link in zip(axes[0], links):
        for model in models:
            for comm, style in (("ovl", "-"), ("none", "--")):
                rows = sorted((r for r in pred if r["link"] == link and r["model"] == model
                               and r["comm"] == comm), key=lambda r: r["ranks"])
                if not rows:
                    continue
                batch = int(rows[0]["batch"])
                ax.plot([r["ranks"] for r in rows], [r["efficiency"] for r in rows], style,
                        marker="o", markersize=3, color=colours[model],
                        label=f"{model} (batch {batch}), {'overlap' if comm == 'ovl' else 'no overlap'}")
        for model in models if link == "10GbE" else []:
            for overlap, mark in (("true", "x"), ("false", "+")):
                pts = [r for r in meas if r["model"] == model and r["overlap"] == overlap]
                if pts:
                    ax.scatter([r["ranks"] for r in pts], [r["efficiency"] for r in pts],
                               marker=mark, s=50, color=colours.get(model, "black"),
                               label=f"{model} measured, batch {int(pts[0]['batch'])}, "
                                     f"{'overlap' if overlap == 'true' else 'no overlap'}")
        ax.set_xscale("log", base=2)
        ticks = [2, 8, 32, 128, 512]
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks])
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("ranks")
        ax.set_title(f"predicted on {link}")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("efficiency (strong scaling)")
    handles, labels = {}, []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    fig.legend([handles[lab] for lab in labels], labels, fontsize=7, loc="center right")
    fig.tight_layout(rect=(0, 0, 0.82, 1))
    try:
        fig.savefig(out, dpi=110)
    except OSError as e:
        fail(f"{out}: {e.strerror}")


if __name__ == "__main__":
    main()
