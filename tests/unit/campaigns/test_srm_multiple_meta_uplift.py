"""SRM, corrections, pooling and Qini by hand; their errors."""

from __future__ import annotations

import numpy as np
import pytest

from useropslib.campaigns import (
    adjust_p_values,
    pool_effects,
    qini_curve,
    sample_ratio_mismatch,
    uplift_by_decile,
)
from useropslib.exceptions import InsufficientDataError, InvalidParameterError


def test_srm_by_hand() -> None:
    r = sample_ratio_mismatch([520, 480], weights=[1, 1], arms=["t", "c"])
    assert r.statistic == pytest.approx(20**2 / 500 * 2)
    assert r.dof == 1
    assert not r.flagged
    assert list(r.table.index) == ["t", "c"]


def test_srm_52_48_flagged_at_scale() -> None:
    r = sample_ratio_mismatch([52_000, 48_000])
    assert r.flagged
    assert r.p_value < 1e-30


def test_srm_errors() -> None:
    with pytest.raises(InvalidParameterError, match="non-negative finite counts"):
        sample_ratio_mismatch([-1, 3])
    with pytest.raises(InvalidParameterError, match="every weight is 0"):
        sample_ratio_mismatch([1, 3], weights=[0, 0])
    with pytest.raises(InvalidParameterError, match="give one weight per arm"):
        sample_ratio_mismatch([1, 3, 4], weights=[1, 1])
    with pytest.raises(InvalidParameterError, match="threshold"):
        sample_ratio_mismatch([1, 3], threshold=2)


def test_holm_bh_by_hand_with_nan() -> None:
    p = [0.01, np.nan, 0.04, 0.03]
    holm = adjust_p_values(p, method="holm")
    assert np.isnan(holm[1])
    np.testing.assert_allclose(holm[[0, 2, 3]], [0.03, 0.06, 0.06])
    bh = adjust_p_values(p, method="benjamini_hochberg")
    np.testing.assert_allclose(bh[[0, 2, 3]], [0.03, 0.04, 0.04])
    np.testing.assert_allclose(adjust_p_values([0.3, 0.6], method="bonferroni"), [0.6, 1.0])


def test_adjust_errors() -> None:
    with pytest.raises(InvalidParameterError, match=r"lie in \[0, 1\]"):
        adjust_p_values([0.5, 1.2])
    with pytest.raises(InvalidParameterError, match="method must be"):
        adjust_p_values([0.5], method="fdr")  # type: ignore[arg-type]


def test_pool_by_hand() -> None:
    # equal se 0.05: w = 400 each; fixed mean 0.2; Q = 400 * (0.01 + 0 + 0.01) = 8
    r = pool_effects([0.1, 0.3, 0.2], standard_errors=[0.05] * 3)
    assert r.q == pytest.approx(8.0)
    assert r.i2 == pytest.approx(0.75)
    c = 1200 - 3 * 400**2 / 1200
    assert r.tau2 == pytest.approx((8 - 2) / c)
    assert r.estimate == pytest.approx(0.2)
    assert r.se == pytest.approx(np.sqrt((0.05**2 + r.tau2) / 3))
    assert r.to_frame().index[-1] == "pooled"


def test_pool_errors() -> None:
    with pytest.raises(InsufficientDataError, match="at least 2 campaigns"):
        pool_effects([0.1], standard_errors=[0.1])
    with pytest.raises(InvalidParameterError, match="standard errors positive"):
        pool_effects([0.1, 0.2], standard_errors=[0.1, 0.0])
    with pytest.raises(InvalidParameterError, match="one of each per campaign"):
        pool_effects([0.1, 0.2], standard_errors=[0.1])


def test_qini_perfect_and_random() -> None:
    # treated responders scored highest: the curve rises first, area above random positive
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0])
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    good = qini_curve(y, treatment=t, score=[8, 7, 1, 2, 6, 5, 4, 3])
    bad = qini_curve(y, treatment=t, score=[1, 2, 8, 7, 6, 5, 4, 3])
    assert good.auuc > 0 > bad.auuc
    assert good.curve["qini"].iloc[-1] == pytest.approx(2.0)
    norm = qini_curve(y, treatment=t, score=[8, 7, 1, 2, 6, 5, 4, 3], normalize="population")
    assert norm.curve["random"].iloc[-1] == pytest.approx(1.0)
    assert norm.curve["fraction"].iloc[-1] == pytest.approx(1.0)


def test_qini_ties_grouped() -> None:
    r = qini_curve([1, 0, 1, 0], treatment=[1, 0, 1, 0], score=[1, 1, 1, 1])
    assert len(r.curve) == 2


def test_uplift_by_decile_counts() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    score = rng.random(n)
    t = rng.random(n) < 0.5
    y = (rng.random(n) < 0.1 + 0.2 * score * t).astype(float)
    tab = uplift_by_decile(y, treatment=t, score=score)
    assert (tab["n_treatment"] + tab["n_control"]).sum() == n
    assert tab["uplift"].iloc[0] > tab["uplift"].iloc[-1]


def test_uplift_errors() -> None:
    with pytest.raises(InsufficientDataError, match="need both treated and holdout"):
        qini_curve([1, 0], treatment=[1, 1], score=[1, 2])
    with pytest.raises(InvalidParameterError, match="boolean or 0/1"):
        qini_curve([1, 0], treatment=["a", "b"], score=[1, 2])
    with pytest.raises(InvalidParameterError, match="bins must be"):
        uplift_by_decile([1, 0], treatment=[1, 0], score=[1, 2], bins=5)


def test_srm_non_numeric() -> None:
    with pytest.raises(InvalidParameterError, match="must be numbers"):
        sample_ratio_mismatch(["a", 1])
