"""The plot of a class's scores (scores.png)."""
from __future__ import annotations

import io
from pathlib import Path

from .. import atomic
from ..paths import ASSIGNMENT
from .table import fmt


def write_plot(path: Path, scores: list[float], max_score: float) -> None:
    """A histogram of the class's total scores."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    bins = max(1, min(20, int(max_score) or 1))
    ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4878a8", edgecolor="white")
    ax.set_xlabel(f"score (out of {fmt(max_score)})")
    ax.set_ylabel("students")
    mean = sum(scores) / len(scores) if scores else 0.0
    ax.set_title(f"{ASSIGNMENT}: {len(scores)} students, mean {mean:.1f}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    atomic.write_bytes(Path(path), buffer.getvalue())
