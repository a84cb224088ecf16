"""The campaign data generator refuses odd parameters with a typed error."""

from __future__ import annotations

import pytest

from useropslib.datasets import synthetic_campaign
from useropslib.exceptions import InvalidParameterError


@pytest.mark.parametrize("value", [None, "40", float("nan"), -1.0])
def test_a_cost_that_is_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="value_mean must be a non-negative number"):
        synthetic_campaign(n_users=50, value_mean=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("start", [None, "x", "2262-04-01"])
def test_a_start_that_is_not_a_usable_date_is_refused(start: object) -> None:
    with pytest.raises(InvalidParameterError, match="is not a date that can start"):
        synthetic_campaign(n_users=50, start=start)


def test_a_seed_and_a_count_must_be_integers() -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid seed=1.5. Expected an integer"):
        synthetic_campaign(n_users=50, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="n_users must be a positive whole number"):
        synthetic_campaign(n_users=True)
