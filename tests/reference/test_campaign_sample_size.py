"""Sample size against published conventions.

Sources: ../shared/cases/campaign_sample_size_R_conventions.json (R power.prop.test and
pwr.2p.test outputs quoted in statsmodels PR #8676 and heliosdrm/pwr issue #31) and Evan Miller's
online sample-size calculator (20 % baseline, +5 points, alpha 0.05, power 0.8 -> 1,030 per arm;
R's power.prop.test gives about 1,094 on the same inputs).
"""

from __future__ import annotations

import pytest

from useropslib.campaigns import sample_size


def test_power_prop_test_two_sided() -> None:
    # power.prop.test(p1=0.03, p2=0.02, power=0.8) -> n = 3825.15 (symmetric in p1, p2)
    assert sample_size(0.02, 0.01, method="pooled") == pytest.approx(3825.15, abs=0.005)
    assert sample_size(0.03, -0.01, method="pooled") == pytest.approx(3825.15, abs=0.005)


def test_pwr_2p_test_one_sided() -> None:
    # pwr.2p.test(h=ES.h(0.022, 0.001), power=0.8, alternative="greater") -> n = 224.8784
    n = sample_size(0.001, 0.021, method="arcsine", alternative="one-sided")
    assert n == pytest.approx(224.8784, abs=0.00005)


def test_power_prop_test_one_sided() -> None:
    # power.prop.test(p1=0.022, p2=0.001, alternative="one.sided") -> n = 317.6901
    n = sample_size(0.001, 0.021, method="pooled", alternative="one-sided")
    assert n == pytest.approx(317.6901, abs=0.00005)


def test_evan_miller_calculator() -> None:
    assert round(sample_size(0.2, 0.05, method="evan_miller")) == 1030
    assert round(sample_size(0.2, 0.05, method="pooled")) == 1094
