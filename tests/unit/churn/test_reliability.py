"""BG/NBD names the rows whose summary no model can fit (issue: reliability)."""

from __future__ import annotations

import pytest

from useropslib.churn import BetaGeoModel
from useropslib.exceptions import InvalidParameterError


@pytest.mark.parametrize(
    ("frequency", "recency", "rows"),
    [
        ([2, 0, 3, 1], [0, 0, 5, 4], "[0]"),
        ([1, 1, 0, 4], [3, 0, 0, 0], "[1, 3]"),
        ([5.0, 2.0], [0.0, 0.0], "[0, 1]"),
    ],
)
def test_repeat_purchases_at_recency_zero_are_named(
    frequency: list[float], recency: list[float], rows: str
) -> None:
    age = [10.0] * len(frequency)
    with pytest.raises(InvalidParameterError, match=rf"recency == 0 .* at rows \{rows}"):
        BetaGeoModel().fit(frequency, recency, age)
