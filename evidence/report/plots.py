"""Forest and funnel plots (matplotlib, SVG with fixed metadata so rebuilds are byte-identical).

A forest plot shows each study's effect with its 95% CI, drawn and written as numbers, and its
percent weight; with two or more studies the pooled diamond (random effects) with its estimate,
tau\u00b2 and I\u00b2, and the prediction interval (k >= 3); a single study is drawn as a study, with
no diamond. Also the minimal important difference and an axis labelled with which side favours
which arm (effects are oriented so that negative favours dry needling).

matplotlib's drawing modules are imported when a figure is drawn, not with this module: a rebuild whose
figures are all up to date (``analyse``'s figure keys) does not load them.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import pandas as pd

from evidence.tables import atomic_write_bytes
from evidence.vocab import QuestionId

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# applied inside each drawing call (``matplotlib.rc_context``), never at import: a fixed hash salt
# and text kept as text make the SVG bytes reproducible
SVG_RC = {"svg.hashsalt": "evidence-tracker", "svg.fonttype": "none"}


def _save(fig: Figure, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())


def forest_plot(question: pd.Series, studies: pd.DataFrame, path: Path, comparator_label: str = "control") -> Path:
    """Draw one question's forest plot to ``path`` (SVG) and return the path."""
    with matplotlib.rc_context(SVG_RC):
        _draw_forest(question, studies, path, comparator_label)
    return path


def _interval(est: float, lo: float, hi: float) -> str:
    return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"


def _draw_forest(question: pd.Series, studies: pd.DataFrame, path: Path, comparator_label: str) -> None:
    k = len(studies)
    pooled = k >= 2
    rows = k + (2 if pooled else 0)  # the studies, then the pooled diamond and its statistics
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 1.4 + 0.45 * rows))
    ax = fig.subplots()
    ys = list(range(rows, rows - k, -1))
    right = ax.get_yaxis_transform()
    ax.text(1.02, rows + 0.7, "Estimate [95% CI]", transform=right, va="center", fontsize=8, weight="bold")
    ax.text(1.3, rows + 0.7, "Weight", transform=right, va="center", fontsize=8, weight="bold")
    for y, r in zip(ys, studies.itertuples()):
        ax.plot([r.ci_low, r.ci_high], [y, y], color="black", lw=1)
        ax.plot([r.yi], [y], marker="s", color="#1f4e79", markersize=4 + 8 * math.sqrt(r.weight / 100))
        ax.text(1.02, y, _interval(r.yi, r.ci_low, r.ci_high), transform=right, va="center", fontsize=8)
        ax.text(1.3, y, f"{r.weight:.1f}%", transform=right, va="center", fontsize=8)
    labels, ticks = list(studies["study_id"]), list(ys)
    if pooled:
        est, lo, hi = question["estimate"], question["ci_low"], question["ci_high"]
        y = 2
        ax.fill([lo, est, hi, est], [y, y + 0.3, y, y - 0.3], color="#c0504d", zorder=3)
        ax.text(1.02, y, _interval(est, lo, hi), transform=right, va="center", fontsize=8, weight="bold")
        ax.text(1.3, y, "100%", transform=right, va="center", fontsize=8)
        pi_low, pi_high = question.get("pi_low"), question.get("pi_high")
        stats = [f"\u03c4\u00b2 = {question['tau2']:.3f}", f"I\u00b2 = {question['i2']:.0f}%"]
        if k >= 3 and pd.notna(pi_low) and pd.notna(pi_high):
            ax.plot([pi_low, pi_high], [1, 1], color="#c0504d", lw=2, label="prediction interval")
            stats.append(f"95% prediction interval {pi_low:.2f} to {pi_high:.2f}")
        else:
            stats.append("prediction interval: needs 3 or more studies")
        ax.text(0.01, 1, "; ".join(stats), transform=right, va="center", fontsize=7)
        labels.append(f"Pooled, random effects ({question['method']})")
        ticks.append(2)
    ax.axvline(0, color="grey", lw=0.8)
    mid = question.get("mid")
    if question["measure"] == "MD" and pd.notna(mid):
        ax.axvline(-float(mid), color="#548235", ls="--", lw=0.8, label=f"minimal important difference ({mid:g})")
    elif question["measure"] == "SMD":
        ax.axvline(-0.5, color="#548235", ls="--", lw=0.8, label="0.5 SD")
    ax.set_yticks(ticks, labels)
    ax.set_ylim(0 if pooled else rows - k + 0.3, rows + 1.2)
    scale = question["measure"] + ("" if question["measure"] == "SMD" else f" ({question['scale']})")
    ax.set_xlabel(f"{scale}\n\u2190 favours dry needling      favours {comparator_label} \u2192")
    title = QuestionId.parse(question["question_id"]).label
    ax.set_title(title[0].upper() + title[1:] + ("" if pooled else " (a single study: no pooling)"), fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right", frameon=False)
    _save(fig, path)


def funnel_plot(studies: pd.DataFrame, estimate: float, path: Path) -> Path:
    """Effect against its standard error, with the pseudo-95% region around ``estimate`` (k >= 10)."""
    with matplotlib.rc_context(SVG_RC):
        _draw_funnel(studies, estimate, path)
    return path


def _draw_funnel(studies: pd.DataFrame, estimate: float, path: Path) -> None:
    se = studies["vi"] ** 0.5
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    ax.scatter(studies["yi"], se, color="#1f4e79")
    top = float(se.max()) * 1.1
    ax.plot([estimate - 1.96 * top, estimate, estimate + 1.96 * top], [top, 0, top], color="grey", ls="--")
    ax.set_ylim(top, 0)
    ax.set_xlabel("effect (negative favours dry needling)")
    ax.set_ylabel("standard error")
    _save(fig, path)
