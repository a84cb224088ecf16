"""The charts drawn from plain frames and arrays refuse odd input with one message shape."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import plotting
from useropslib.exceptions import InvalidParameterError

pytest.importorskip("matplotlib")


@pytest.mark.parametrize("frame", [None, "x", pd.Series([1.0]), [[1.0]]])
def test_a_chart_given_no_frame_says_a_dataframe_is_expected(frame: object) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"(?s)Invalid frame=.*Expected a pandas DataFrame"
    ):
        plotting.plot_event_study(frame)  # type: ignore[arg-type]


def test_a_missing_column_is_named_with_a_hint() -> None:
    frame = pd.DataFrame({"at": [0.1], "lower": [0.0], "upper": [0.2]})
    with pytest.raises(InvalidParameterError, match=r"missing column\(s\) \['att'\].*'at'"):
        plotting.plot_event_study(frame)


def test_a_text_column_is_not_drawn_as_numbers() -> None:
    frame = pd.DataFrame({"observed": ["a"], "synthetic": [1.0]})
    with pytest.raises(InvalidParameterError, match=r"column 'observed' holds (object|str)"):
        plotting.plot_synthetic_control(frame, start="2024-05-01")


def test_every_column_drawn_must_hold_numbers() -> None:
    with pytest.raises(InvalidParameterError, match=r"column 'user_id' holds (object|str)"):
        plotting.lines(pd.DataFrame({"user_id": ["u1"], "n": [1]}))


def test_labels_must_be_a_sequence_of_text() -> None:
    with pytest.raises(InvalidParameterError, match=r"Expected a sequence of str"):
        plotting.okr_grades("growth", [0.5])
    with pytest.raises(InvalidParameterError, match=r"1 \(int\) is not a str"):
        plotting.funnel_projection(["visit", 1], [10.0, 5.0])


def test_numbers_must_be_numbers_of_the_right_length() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid amounts=.*Expected a sequence"):
        plotting.cost_items(["ads"], "100", currency="CNY")
    with pytest.raises(InvalidParameterError, match=r"2 value\(s\). Expected 1"):
        plotting.cost_items(["ads"], [1.0, 2.0], currency="CNY")
    with pytest.raises(InvalidParameterError, match=r"infinite value"):
        plotting.experiment_bars(["a"], [np.inf])


def test_scalars_positions_texts_and_flags() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid target=None.*finite number"):
        plotting.pacing_curves([1, 2], [1, 2], [1, 2], [1, 2], target=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid period_start='x'.*timestamp"):
        plotting.target_history(
            [1, 2], [1.0, 2.0], period_start="x", baseline=1.0, target=2.0, band=(0.5, 1.5)
        )
    with pytest.raises(InvalidParameterError, match=r"Invalid title=5.*Expected a str or None"):
        plotting.bars(["a"], [1], title=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid horizontal='yes'"):
        plotting.bars(["a"], [1], horizontal="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"keys 'amber' and 'green'"):
        plotting.goal_attainment(0.5, {"amber": 0.7})


def test_interval_bounds_may_be_infinite() -> None:
    ax = plotting.experiment_forest(["a"], [0.1], [-np.inf], [0.3])
    assert len(ax.lines) >= 1
