"""Plot the training log (loss and validation IoU against step) to a PNG."""

from __future__ import annotations

import csv
from pathlib import Path


def plot_curves(log_csv: Path, output_png: Path) -> None:
    """Read ``log.csv`` (columns as ``trainer.LOG_FIELDS``) and write a two-panel PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    steps, losses, val_steps, val_iou, val_f = [], [], [], [], []
    with log_csv.open() as handle:
        for row in csv.DictReader(handle):
            steps.append(int(row["step"]))
            losses.append(float(row["loss"]))
            if row["val_iou"]:
                val_steps.append(int(row["step"]))
                val_iou.append(float(row["val_iou"]))
                val_f.append(float(row["val_boundary_f"]))
    figure, (loss_axis, val_axis) = plt.subplots(1, 2, figsize=(10, 4))
    window = max(1, len(losses) // 100)
    smoothed = [
        sum(losses[max(0, i - window) : i + 1]) / len(losses[max(0, i - window) : i + 1]) for i in range(len(losses))
    ]
    loss_axis.plot(steps, losses, alpha=0.3, label="loss")
    loss_axis.plot(steps, smoothed, label=f"loss (mean of {window + 1})")
    loss_axis.set_xlabel("step")
    loss_axis.set_yscale("log")
    loss_axis.legend()
    val_axis.plot(val_steps, val_iou, marker="o", label="val IoU (EMA)")
    val_axis.plot(val_steps, val_f, marker="s", label="val boundary F (EMA)")
    val_axis.set_xlabel("step")
    val_axis.legend()
    val_axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(output_png, dpi=90)
    plt.close(figure)
