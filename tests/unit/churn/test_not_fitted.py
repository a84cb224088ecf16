"""One "not fitted" error for every churn estimator: the library's and scikit-learn's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from useropslib.churn import BetaGeoModel, ChurnDrivers, ChurnRiskModel, GammaGammaModel
from useropslib.exceptions import NotFittedError

CASES: dict[str, Callable[[], Any]] = {
    "BetaGeoModel": lambda: BetaGeoModel().summary_,
    "GammaGammaModel": lambda: GammaGammaModel().summary_,
    "ChurnDrivers": lambda: ChurnDrivers().predict_partial_hazard([[0.0]]),
    "ChurnRiskModel": lambda: ChurnRiskModel().predict_proba([[0.0]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unfitted_use_raises_one_error(name: str) -> None:
    with pytest.raises(NotFittedError, match=rf"This {name} is not fitted yet") as info:
        CASES[name]()
    assert isinstance(info.value, SklearnNotFittedError)
