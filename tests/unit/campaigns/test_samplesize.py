"""Sample size, power, MDE and weeks to power: inverses of each other; every bad input."""

from __future__ import annotations

import math

import pytest

from useropslib.campaigns import mde, power, sample_size, weeks_to_power
from useropslib.exceptions import InsufficientDataError, InvalidParameterError


@pytest.mark.parametrize("method", ["evan_miller", "pooled", "arcsine", "delta"])
@pytest.mark.parametrize("ratio", [1.0, 3.0])
def test_power_inverts_sample_size(method: str, ratio: float) -> None:
    n = sample_size(0.1, 0.02, method=method, ratio=ratio)  # type: ignore[arg-type]
    assert power(0.1, 0.02, n=n, method=method, ratio=ratio) == pytest.approx(0.8, abs=1e-9)  # type: ignore[arg-type]
    assert mde(0.1, n=n, method=method, ratio=ratio) == pytest.approx(0.02, rel=1e-6)  # type: ignore[arg-type]


def test_relative_and_decrease() -> None:
    assert sample_size(0.2, 0.25, relative=True) == pytest.approx(sample_size(0.2, 0.05))
    n = sample_size(0.2, -0.05)
    assert mde(0.2, n=n, direction="decrease") == pytest.approx(-0.05, rel=1e-6)


def test_unequal_arms_need_fewer_controls() -> None:
    # hand: evan_miller, p0=0.2, p1=0.25, k=2: sd0=sqrt(.16*1.5), sd1=sqrt(.16+.1875/2)
    z_a, z_b = 1.959963984540054, 0.8416212335729143
    hand = (z_a * math.sqrt(0.16 * 1.5) + z_b * math.sqrt(0.16 + 0.1875 / 2)) ** 2 / 0.05**2
    assert sample_size(0.2, 0.05, ratio=2) == pytest.approx(hand, rel=1e-9)


def test_weeks_to_power_hand_computed() -> None:
    n = sample_size(0.2, 0.1, method="delta", relative=True)
    table = weeks_to_power(0.2, 0.1, weekly_users=1000, arms=2)
    assert table.attrs["weeks"] == math.ceil(n / 500)
    three = weeks_to_power(0.2, 0.1, weekly_users=1000, arms=3)
    assert three.attrs["weeks"] == math.ceil(n / (1000 / 3))
    assert weeks_to_power(0.2, 0.01, weekly_users=10, max_weeks=3).attrs["weeks"] is None


@pytest.mark.parametrize("baseline", [0, 1, 1.2, -0.1])
def test_baseline_outside_unit_interval(baseline: float) -> None:
    with pytest.raises(InvalidParameterError, match=r"baseline must be strictly between 0 and 1"):
        sample_size(baseline, 0.05)


def test_zero_mde() -> None:
    with pytest.raises(InvalidParameterError, match=r"non-zero finite effect, got 0.*mde=0.05"):
        sample_size(0.2, 0)


def test_other_bad_inputs() -> None:
    with pytest.raises(InvalidParameterError, match=r"treatment rate 1.1 outside"):
        sample_size(0.6, 0.5)
    with pytest.raises(InvalidParameterError, match=r"did you mean 'pooled'"):
        sample_size(0.2, 0.05, method="poled")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"alpha must be strictly between"):
        sample_size(0.2, 0.05, alpha=5)
    with pytest.raises(InvalidParameterError, match=r"ratio must be a positive number"):
        sample_size(0.2, 0.05, ratio=0)
    with pytest.raises(InvalidParameterError, match=r"n must be a positive number"):
        power(0.2, 0.05, n=0)
    with pytest.raises(InvalidParameterError, match=r"arms must be an integer >= 2"):
        weeks_to_power(0.2, 0.1, weekly_users=100, arms=1)
    with pytest.raises(InsufficientDataError, match=r"no change of the baseline"):
        mde(0.5, n=3)
