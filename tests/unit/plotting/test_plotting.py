"""Charts of useropslib.plotting, tested on what they draw (heights, points, labels)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from useropslib import plotting
from useropslib.exceptions import (
    InvalidParameterError,
    MissingFontWarning,
    UseropsError,
)
from useropslib.plotting import _style


def _heights(ax: object) -> list[float]:
    return [float(p.get_height()) for p in ax.patches]  # type: ignore[attr-defined]


def test_lifecycle_bars_stack_and_put_dormant_below_zero() -> None:
    counts = pd.DataFrame(
        {"new": [5, 2], "returning": [3, 4], "resurrecting": [1, 0], "dormant": [-2, -6]},
        index=pd.to_datetime(["2024-01-01", "2024-01-08"]),
    )
    ax = plotting.lifecycle_bars(counts, incomplete=[False, True], period="week")
    assert _heights(ax) == [5.0, 2.0, 3.0, 4.0, 1.0, 0.0, -2.0, -6.0]
    bottoms = [float(p.get_y()) for p in ax.patches]
    assert bottoms[2:4] == [5.0, 2.0]  # returning sits on new
    assert bottoms[4:6] == [8.0, 6.0]  # resurrecting on both
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-01-01", "2024-01-08"]
    # the running week is hatched, the complete one is not
    assert [p.get_hatch() for p in ax.patches[:2]] == [None, "///"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["new", "returning", "resurrecting", "dormant"]


def test_growth_accounting_pool() -> None:
    c = pd.DataFrame(
        {"new": [4, 6], "resurrected": [1, 2], "churned": [2, 3], "net_change": [3, 5]},
        index=pd.to_datetime(["2024-01-01", "2024-02-01"]),
    )
    ax = plotting.growth_accounting_bars(c, period="month")
    assert _heights(ax) == [4.0, 6.0, 1.0, 2.0, -2.0, -3.0]
    assert ax.lines[0].get_ydata().tolist() == [3.0, 5.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-01", "2024-02"]


def test_funnel_with_drop_off() -> None:
    ax = plotting.funnel_bars(["visit", "cart", "buy"], [200, 50, 10])
    assert _heights(ax) == [200.0, 50.0, 10.0, 0.0, 150.0, 40.0]
    assert [t.get_text() for t in ax.texts] == ["100%", "25%", "5%", "-75%", "-80%"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["visit", "cart", "buy"]
    bd = pd.DataFrame([[10, 5], [8, 2]], index=["ads", "seo"], columns=[0, 1])
    ax = plotting.funnel_bars(["a", "b"], [18, 7], breakdown=bd)
    assert _heights(ax) == [10.0, 5.0, 8.0, 2.0]


def test_retention_heatmap_marks_incomplete_cells() -> None:
    rates = pd.DataFrame(
        {1: [0.5, 0.25], 2: [0.4, np.nan]}, index=pd.to_datetime(["2024-01-01", "2024-01-08"])
    )
    inc = pd.DataFrame({1: [False, False], 2: [False, True]}, index=rates.index)
    ax = plotting.retention_heatmap(rates, incomplete=inc, sizes=[1200, 40])
    assert [t.get_text() for t in ax.texts] == ["50%", "40%", "25%", "…"]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "2024-01-01  (n=1,200)",
        "2024-01-08  (n=40)",
    ]
    image = ax.images[0].get_array()
    assert bool(image.mask[1, 1])  # the incomplete cell is not coloured as a value
    assert ax.get_legend().get_texts()[0].get_text() == "incomplete"


def test_retention_curves_by_group() -> None:
    curves = pd.DataFrame({"ads": [1.0, 0.3], "seo": [1.0, 0.5]})
    ax = plotting.retention_curves(curves)
    assert [line.get_ydata().tolist() for line in ax.lines] == [[1.0, 0.3], [1.0, 0.5]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ads", "seo"]
    assert ax.get_xlabel() == "weeks after joining (k)"


def test_return_curve_marks_threshold_and_no_plateau() -> None:
    ax = plotting.return_curve([1, 2, 3], [0.6, 0.4, 0.3], threshold=2, plateau_found=False)
    assert ax.lines[0].get_ydata().tolist() == [0.6, 0.4, 0.3]
    assert ax.lines[1].get_xdata().tolist() == [2.0, 2.0]
    assert ax.get_legend().get_texts()[0].get_text() == "churn threshold: 2 days (no plateau)"
    rules = pd.DataFrame(
        {"threshold_days": [30.0, np.nan], "chosen": [True, False], "setting": ["t", "p"]},
        index=["plateau", "return_probability"],
    )
    ax = plotting.return_curve([1, 2], [0.5, 0.4], rules=rules)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plateau (t): 30 d"]


def test_survival_curves_with_band_and_at_risk_counts() -> None:
    s = pd.DataFrame(
        {
            "group": ["all"] * 3,
            "time": [0.0, 10.0, 20.0],
            "at_risk": [10, 10, 4],
            "survival": [1.0, 0.8, 0.5],
            "lower": [1.0, 0.6, 0.3],
            "upper": [1.0, 0.9, 0.7],
        }
    )
    ax = plotting.survival_curves(s, at_risk_times=[0, 10, 15, 25])
    assert ax.lines[0].get_ydata().tolist() == [1.0, 0.8, 0.5]
    assert ax.get_xlabel() == "days"
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["at risk: ", "10", "10", "4", "0"]
    assert len(ax.collections) == 1  # the confidence band


def test_forest_plot_and_calibration() -> None:
    summary = pd.DataFrame(
        {
            "hazard_ratio": [0.5, 2.0],
            "hazard_ratio_lower": [0.4, 1.5],
            "hazard_ratio_upper": [0.6, 2.5],
        },
        index=["opens", "complaints"],
    )
    ax = plotting.forest_plot(summary)
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "hazard ratio (95% CI)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["complaints", "opens"]
    ax = plotting.calibration_curve([0.1, 0.5], [0.2, 0.4])
    assert ax.lines[0].get_ydata().tolist() == [0, 1]
    assert ax.lines[1].get_xdata().tolist() == [0.1, 0.5]


def test_rfm_grid_and_bgnbd_diagnostics() -> None:
    grid = pd.crosstab(pd.Series([1, 1, 2], name="f"), pd.Series([3, 3, 1], name="r"))
    ax = plotting.rfm_grid(grid)
    assert [t.get_text() for t in ax.texts] == ["1", "0", "0", "2"]  # f=2 on top
    m = pd.DataFrame([[0.1, 0.2], [0.3, 0.4]], index=[0, 1], columns=[0.0, 10.0])
    ax = plotting.frequency_recency_matrix(m, horizon="30 days")
    assert ax.get_title() == "Expected purchases in the next 30 days (BG/NBD)"
    with pytest.raises(InvalidParameterError, match="matrix is empty"):
        plotting.frequency_recency_matrix(pd.DataFrame())
    ax = plotting.purchases_calibration([0, 1, 2], [0.1, 0.5, 1.0], [0.2, 0.5, 0.9])
    assert [line.get_ydata().tolist() for line in ax.lines] == [[0.1, 0.5, 1.0], [0.2, 0.5, 0.9]]


def test_chinese_labels_with_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_style, "cjk_font", lambda: "DejaVu Sans")
    ax = plotting.bars(["a"], [1], lang="zh", ylabel="用户数")
    assert ax.get_ylabel() == "用户数"
    assert "DejaVu Sans" in ax.yaxis.label.get_fontfamily()
    ax = plotting.lifecycle_bars(
        pd.DataFrame({"new": [1], "returning": [1], "resurrecting": [0], "dormant": [0]}),
        lang="zh",
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["新增", "留存", "回流", "沉默"]


def test_chinese_falls_back_to_english_without_a_cjk_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_style, "cjk_font", lambda: None)
    counts = pd.DataFrame({"new": [1], "returning": [1], "resurrecting": [0], "dormant": [0]})
    with pytest.warns(MissingFontWarning, match="labelled in English"):
        ax = plotting.lifecycle_bars(counts, lang="zh")
    assert ax.get_ylabel() == "users"
    with pytest.warns(MissingFontWarning, match="may show as boxes"):
        plotting.bars(["新用户"], [3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plotting.bars(["new"], [3])


def test_bad_language_and_missing_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unsupported lang='de'"):
        plotting.bars(["a"], [1], lang="de")  # type: ignore[arg-type]
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(UseropsError, match=r'pip install "useropslib\[plot\]"'):
        plotting.bars(["a"], [1])


def test_every_function_returns_the_axes_it_was_given() -> None:
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plotting.bars(["a"], [1], ax=ax) is ax
    assert plotting.lines(pd.DataFrame({"x": [1, 2]}), ax=ax) is ax
    assert plotting.flow_bars(["w"], [1], [1], level=[3], ax=ax) is ax
