"""Churn entry points refuse array-valued choices and overlong windows with a typed error."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from useropslib.churn import churn_labels, infer_inactivity_threshold
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError


def _log() -> EventLog:
    t = pd.Timestamp("2024-05-01T08:00Z")
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2"],
            "event": ["open", "open", "open"],
            "timestamp": [t, t + pd.Timedelta(days=3), t],
        }
    )
    return EventLog.from_pandas(frame)


def test_a_window_past_the_supported_length_is_a_typed_error() -> None:
    with pytest.raises(InvalidParameterError, match="longer than the longest supported window"):
        churn_labels(_log(), dt.timedelta(days=10**6))


@pytest.mark.parametrize("rule", [np.array([1, 2]), pd.DataFrame({"a": [1]}), None])
def test_a_rule_given_an_array_is_an_invalid_parameter(rule: object) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid"):
        infer_inactivity_threshold(_log(), rule=rule)  # type: ignore[arg-type]


def test_rfm_summary_refuses_odd_option_types_with_a_typed_error() -> None:
    from useropslib.churn import rfm_summary

    with pytest.raises(InvalidParameterError, match=r"\['customer_col'\] apply to a transactions"):
        rfm_summary(_log(), customer_col=pd.DataFrame())  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"(?s)Invalid monetary=.*Expected True"):
        rfm_summary(_log(), monetary=pd.Series([1.0]))  # type: ignore[arg-type]
