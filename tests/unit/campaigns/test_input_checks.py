"""Campaign functions refuse odd parameters with a typed error, never a raw one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import campaigns
from useropslib.exceptions import InvalidParameterError


@pytest.mark.parametrize("method", [pd.DataFrame({"a": [1]}), np.array([1, 2]), None, 5])
def test_a_choice_given_an_array_or_a_frame_is_refused(method: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"method must be 'holm'"):
        campaigns.adjust_p_values([0.01, 0.2], method=method)  # type: ignore[arg-type]


@pytest.mark.parametrize("grade", [None, "0.5", [0.5], float("nan"), True])
def test_a_fraction_that_is_not_a_number_is_refused(grade: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"a grade lies in \[0, 1\]"):
        campaigns.okr_band(grade)  # type: ignore[arg-type]


def test_counts_arrays_and_campaigns_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid total=None. Expected an integer"):
        campaigns.largest_remainder(None, [1, 1])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"users must be a collection of user ids"):
        campaigns.holdout_bucket(" ", salt="s")
    with pytest.raises(InvalidParameterError, match=r"x1 must be a 1-D array"):
        campaigns.simplex_weights(None, np.ones((2, 2)))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"max_weeks must be an integer from 1 to"):
        campaigns.weeks_to_power(0.1, 0.1, weekly_users=100, max_weeks=10**12)


def test_a_column_name_that_is_not_text_is_refused() -> None:
    frame = pd.DataFrame({"y": [1.0], "t": [1], "p": [1]})
    with pytest.raises(InvalidParameterError, match=r"(?s)Invalid column=.*Expected a column name"):
        campaigns.did_regression(frame, outcome=frame, treated="t", post="p")  # type: ignore[arg-type]
