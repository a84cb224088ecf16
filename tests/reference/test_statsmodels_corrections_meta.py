"""Multiple-testing corrections and random-effects pooling against statsmodels.

statsmodels is an independent implementation: ``statsmodels.stats.multitest.multipletests``
(methods "holm" and "fdr_bh", which match R's ``p.adjust``) and
``statsmodels.stats.meta_analysis.combine_effects`` (``method_re="dl"``, DerSimonian–Laird).
"""

from __future__ import annotations

import numpy as np
import pytest

from useropslib.campaigns import adjust_p_values, pool_effects

multitest = pytest.importorskip("statsmodels.stats.multitest")
meta = pytest.importorskip("statsmodels.stats.meta_analysis")

P = np.array([0.010, 0.040, 0.030, 0.005, 0.200, 0.049, 0.800, 0.0001])


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("benjamini_hochberg", "fdr_bh")])
def test_adjust_matches_statsmodels(ours: str, theirs: str) -> None:
    expected = multitest.multipletests(P, method=theirs)[1]
    np.testing.assert_allclose(adjust_p_values(P, method=ours), expected, atol=1e-12)


def test_r_p_adjust_documented_example() -> None:
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") -> 0.05 0.08 0.09 0.09 0.09
    #    p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "BH")   -> 0.05 0.05 0.05 0.05 0.05
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    np.testing.assert_allclose(adjust_p_values(p, method="holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(adjust_p_values(p, method="benjamini_hochberg"), [0.05] * 5)


def test_dersimonian_laird_matches_statsmodels() -> None:
    y = np.array([0.12, -0.03, 0.25, 0.08, 0.30, 0.02])
    se = np.array([0.05, 0.08, 0.10, 0.04, 0.12, 0.06])
    res = meta.combine_effects(y, se**2, method_re="dl", use_t=False)
    ours = pool_effects(y, standard_errors=se, method="random")
    assert ours.tau2 == pytest.approx(res.tau2, rel=1e-9)
    assert ours.estimate == pytest.approx(res.mean_effect_re, rel=1e-9)
    assert ours.se == pytest.approx(res.sd_eff_w_re, rel=1e-9)
    assert ours.q == pytest.approx(res.q, rel=1e-9)
    assert ours.i2 == pytest.approx(res.i2, rel=1e-9)
    fixed = pool_effects(y, standard_errors=se, method="fixed")
    assert fixed.estimate == pytest.approx(res.mean_effect_fe, rel=1e-9)
    assert fixed.se == pytest.approx(res.sd_eff_w_fe, rel=1e-9)
