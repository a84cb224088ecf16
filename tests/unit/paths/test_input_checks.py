"""Path functions refuse array-valued choices and odd ignore lists with a typed error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib import paths
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError


def _log() -> EventLog:
    t = pd.Timestamp("2024-05-01T08:00Z")
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2"],
            "event": ["open", "buy", "open"],
            "timestamp": [t, t + pd.Timedelta(minutes=5), t],
        }
    )
    return EventLog.from_pandas(frame)


@pytest.mark.parametrize("value", [np.array([1, 2]), pd.DataFrame({"a": [1]}), "yes"])
def test_a_flag_given_an_array_is_an_invalid_parameter(value: object) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"(?s)Invalid collapse=.*Expected True or False"
    ):
        paths.core_path(_log(), steps=["open", "buy"], collapse=value)  # type: ignore[arg-type]


def test_ignore_given_a_flag_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid ignore=bool. Expected an event name"):
        paths.core_path(_log(), steps=["open", "buy"], ignore=True)  # type: ignore[arg-type]
