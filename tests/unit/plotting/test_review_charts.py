"""Campaign-review charts, tested on what they draw."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from useropslib import plotting
from useropslib.exceptions import InvalidParameterError, MissingFontWarning

pytest.importorskip("matplotlib")


def test_lift_intervals_draws_both_engines() -> None:
    f = pd.DataFrame(
        {"estimate": [0.2, -0.1], "ci_low": [0.05, -0.3], "ci_high": [0.35, 0.1]},
        index=["paying users", "revenue"],
    )
    b = pd.DataFrame(
        {"estimate": [0.19], "ci_low": [0.06], "ci_high": [0.33]}, index=["paying users"]
    )
    ax = plotting.lift_intervals(f, b)
    xs = [np.asarray(line.get_xdata(), dtype=float).tolist() for line in ax.lines]
    # frequentist intervals and points, then the Bayesian one, then the zero line
    assert xs[0] == [0.05, 0.35]
    assert xs[1] == [0.2]
    assert xs[2] == [-0.3, 0.1]
    assert xs[3] == [-0.1]
    assert xs[4] == [0.06, 0.33]
    assert xs[5] == [0.19]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["paying users", "revenue"]
    # the Bayesian row sits just below its goal's frequentist row
    assert ax.lines[4].get_ydata()[0] < ax.lines[0].get_ydata()[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "frequentist CI",
        "Bayesian credible interval",
    ]
    with pytest.raises(InvalidParameterError, match=r"goals \['orders'\] are not in"):
        plotting.lift_intervals(f, b.set_axis(["orders"]))
    with pytest.raises(InvalidParameterError, match="missing column"):
        plotting.lift_intervals(f.drop(columns="ci_low"))


def test_lift_intervals_in_chinese() -> None:
    f = pd.DataFrame({"estimate": [0.2], "ci_low": [0.05], "ci_high": [0.35]}, index=["付费用户"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingFontWarning)  # machines without a CJK font
        ax = plotting.lift_intervals(f, lang="zh")
    assert ax.get_title() in ("提升及其区间", "Lift with its interval")


def test_pacing_against_target_lines() -> None:
    days = pd.date_range("2024-05-01", periods=4, tz="Asia/Shanghai")
    ax = plotting.pacing_against_target(
        days, [5, 12, 20, 26], [10, 20, 30, 40], [8, 18, 29, 40], target=40
    )
    assert ax.lines[0].get_ydata().tolist() == [5.0, 12.0, 20.0, 26.0]
    assert ax.lines[1].get_ydata().tolist() == [10.0, 20.0, 30.0, 40.0]
    assert ax.lines[2].get_ydata().tolist() == [8.0, 18.0, 29.0, 40.0]
    assert ax.lines[3].get_ydata().tolist() == [40.0, 40.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "actual",
        "expected (linear)",
        "expected (history-shaped)",
        "target",
    ]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["05-01", "05-02", "05-03", "05-04"]
    with pytest.raises(InvalidParameterError, match="actual"):
        plotting.pacing_against_target(days, [1, 2], [1, 2, 3, 4], target=4)


def test_funnel_bottleneck_marks_the_weakest_stage() -> None:
    ax = plotting.funnel_bottleneck(["sent", "delivered", "opened", "clicked"], [100, 95, 30, 12])
    heights = [float(p.get_height()) for p in ax.patches]
    assert heights[:4] == [100.0, 95.0, 30.0, 12.0]
    assert heights[4:] == [0.0, 5.0, 65.0, 18.0]  # drop-off stacked on top
    # opened: 30/95 = 32 % is the lowest step rate (clicked 12/30 = 40 %)
    red = [p for p in ax.patches[:4] if p.get_facecolor()[0] > 0.8]
    assert len(red) == 1
    assert red[0].get_x() == pytest.approx(2 - 0.4)
    assert "bottleneck: opened" in [t.get_text() for t in ax.texts]
    ax = plotting.funnel_bottleneck(["a", "b"], [10, 9], bottleneck="a")
    assert "bottleneck: a" in [t.get_text() for t in ax.texts]
    with pytest.raises(InvalidParameterError, match="Expected one of the stages"):
        plotting.funnel_bottleneck(["a", "b"], [10, 9], bottleneck="c")


def test_funnel_bottleneck_with_zero_people() -> None:
    ax = plotting.funnel_bottleneck(["a", "b"], [0, 0])
    assert [float(p.get_height()) for p in ax.patches][:2] == [0.0, 0.0]
    assert not [t for t in ax.texts if "bottleneck" in t.get_text()]


def test_quality_retention_lines_and_unknown_periods() -> None:
    r = pd.DataFrame(
        {"treatment": [0.3, 0.2, np.nan], "control": [0.25, 0.2, np.nan]}, index=[1, 2, 3]
    )
    ax = plotting.quality_retention(r, period_days=7)
    assert ax.lines[0].get_ydata()[:2].tolist() == [0.3, 0.2]
    assert np.isnan(ax.lines[0].get_ydata()[2])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["treatment", "control (holdout)"]
    assert ax.get_xlabel() == "periods of 7 days (k)"
    assert ax.get_ylim()[1] == pytest.approx(0.39)
    with pytest.raises(InvalidParameterError, match="period_days"):
        plotting.quality_retention(r, period_days=0)


def test_counterfactual_panels_titles_and_data() -> None:
    d = pd.date_range("2024-01-01", periods=5)
    cols = [
        "observed", "predicted", "predicted_lower", "predicted_upper", "effect", "effect_lower",
        "effect_upper", "cumulative_effect", "cumulative_lower", "cumulative_upper",
    ]  # fmt: skip
    f = pd.DataFrame({c: np.arange(5.0) + i for i, c in enumerate(cols)}, index=d)
    axes = plotting.counterfactual_panels(f, launch=d[3])
    assert [a.get_title() for a in axes] == [
        "observed vs counterfactual",
        "pointwise effect",
        "cumulative effect",
    ]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == [
        "counterfactual",
        "observed",
    ]
    assert axes[2].lines[0].get_ydata().tolist() == (np.arange(5.0) + 7).tolist()


def test_review_charts_refuse_what_is_not_a_sequence_or_a_date() -> None:
    from useropslib.exceptions import InvalidParameterError
    from useropslib.plotting import funnel_bottleneck, pacing_against_target

    with pytest.raises(InvalidParameterError, match="names"):
        funnel_bottleneck(None, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Expected a sequence of dates"):
        pacing_against_target(["A", "B"], [1, 2], [1, 2], target=3)
