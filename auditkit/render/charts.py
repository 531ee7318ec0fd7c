"""Charts as matplotlib figures (no global pyplot state), drawn with the shared palette."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from auditkit.render.style import STATUS_COLOURS
from auditkit.vocab import Status

HEADROOM = 1.15  # the x axis runs this far past the longest bar: room for it and its label


def failures_chart(counts: pd.DataFrame, title: str = "Requests failing each rule") -> Figure:
    """Horizontal bars of failing and error requests per rule, top to bottom in `counts` order.

    Each bar is labelled with its total; the axis runs past the longest bar and its label
    (HEADROOM), and the layout keeps every label inside the figure, so no bar is clipped.
    """
    figure = Figure(figsize=(8, 0.3 * len(counts) + 1.4), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(counts))
    fail = counts[Status.FAIL.value].to_numpy(dtype=np.int64)
    error = counts[Status.ERROR.value].to_numpy(dtype=np.int64)
    total = fail + error
    axes.barh(positions, fail, color=STATUS_COLOURS[Status.FAIL], label="fail")
    axes.barh(positions, error, left=fail, color=STATUS_COLOURS[Status.ERROR], label="error")
    for y, n in zip(positions, total.tolist(), strict=True):
        axes.annotate(
            f"{n:,}", (n, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8
        )
    axes.set_xlim(0, max(int(total.max(initial=0)), 1) * HEADROOM)
    axes.set_yticks(positions, counts.index.astype("str"))
    axes.invert_yaxis()
    axes.set_xlabel("requests")
    axes.set_title(title)
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    return figure


def trend_chart(periods: pd.DataFrame, failures: pd.DataFrame) -> Figure:
    """Share eligible and failing requests per rule, by period."""
    figure = Figure(figsize=(10, 4.2))
    share_axes, rule_axes = figure.subplots(1, 2)
    x = np.arange(len(periods))
    share_axes.plot(x, periods["share_eligible"].astype(float) * 100, marker="o")
    share_axes.set_title("Share of requests eligible (%)")
    share_axes.set_ylim(0, 100)
    colours = colormaps["tab20"].colors  # 13 rules need more than the default 10 colours
    for i, rule_id in enumerate(failures.columns):
        rule_axes.plot(x, failures[rule_id], marker="o", label=rule_id, color=colours[i % 20])
    rule_axes.set_title("Requests failing each rule")
    if len(failures.columns):  # no rule failed in any period: nothing to name in a legend
        rule_axes.legend(fontsize="x-small", ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for axes in (share_axes, rule_axes):
        axes.set_xticks(x, periods["period"].astype("str"))
        axes.grid(alpha=0.3)
    return figure
