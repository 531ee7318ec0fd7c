"""Charts keep every bar and label inside: the axis runs past the longest bar, texts fit the figure."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from auditkit.render.charts import HEADROOM, failures_chart


def counts(fail: list[int], error: list[int]) -> pd.DataFrame:
    ids = [f"POB-J{i:02d}" for i in range(1, len(fail) + 1)]
    return pd.DataFrame(
        {"title": ids, "pass": 0, "fail": fail, "not_applicable": 0, "error": error},
        index=pd.Index(ids, name="rule_id"),
    )


@pytest.mark.parametrize(
    ("fail", "error"),
    [
        ([288, 63, 331, 45], [20, 11, 0, 0]),  # the demo's longest bar: fail only
        ([10, 999_000, 3], [0, 1_000, 7]),  # a million, stacked with errors
        ([0, 0], [0, 0]),  # nothing failed
        ([5], [0]),
    ],
)
def test_the_longest_bar_and_every_label_fit(fail, error):
    figure = failures_chart(counts(fail, error), title="Failures by rule")
    canvas = FigureCanvasAgg(figure)  # as savefig draws it
    canvas.draw()
    renderer = canvas.get_renderer()
    axes = figure.axes[0]
    longest = max(f + e for f, e in zip(fail, error, strict=True))
    left, right = axes.get_xlim()
    assert left == 0 and right >= max(longest, 1) * HEADROOM > longest
    box = figure.bbox
    texts = [*axes.texts, axes.title, axes.xaxis.label, *axes.get_yticklabels()]
    texts += [t for legend in figure.legends for t in legend.get_texts()]
    for text in texts:
        extent = text.get_window_extent(renderer)
        assert box.x0 <= extent.x0 and extent.x1 <= box.x1, text.get_text()
        assert box.y0 <= extent.y0 and extent.y1 <= box.y1, text.get_text()
    # Each bar's total is written just past its end, inside the axes.
    inside = axes.get_window_extent(renderer)
    assert [t.get_text() for t in axes.texts] == [
        f"{f + e:,}" for f, e in zip(fail, error, strict=True)
    ]
    for label in axes.texts:
        assert label.get_window_extent(renderer).x1 <= inside.x1, label.get_text()
