"""Churn (流失): churn defined from the data, labels, survival curves, probability-alive models.

- :func:`infer_inactivity_threshold`: the silence after which users almost never return, read off
  the censoring-aware return curve; gives a :class:`~useropslib.models.ChurnDefinition`.
- :func:`churn_labels`, :func:`churn_rate`, :func:`natural_churn_rate`: per-user labels as of a
  date, churn per period, and the natural churn rate of each signup cohort.
- :func:`survival_frame`, :func:`kaplan_meier`, :func:`logrank_test`: one row per user with
  duration and observed flag; Kaplan–Meier curves by group (lifelines) and the log-rank test.
- :class:`ChurnDrivers`, :func:`indicator_comparison`: hazard ratios of churn drivers (Cox, via
  lifelines) and churned-vs-retained comparisons of behaviours.
- :func:`aha_moments`, :func:`growth_path`: early behaviours ("did X at least N times within D
  days of signup") ranked by phi against retention, and the time to each first key action of
  retained against churned users.
- :class:`ChurnRiskModel`, :func:`churn_features`, :func:`early_warning`: per-user churn risk
  from features at a cutoff (scikit-learn), and users whose activity fell against their baseline.

- :class:`BetaGeoModel`: the BG/NBD model (Fader, Hardie & Lee 2005): P(alive), expected purchases,
  probability of no purchase within a horizon.
- :class:`GammaGammaModel`: spend per transaction, and customer lifetime value with a BG/NBD model.
- :func:`rfm_summary`: per-customer ``frequency`` / ``recency`` / ``T`` (and ``monetary_value``)
  from a transactions frame or an :class:`~useropslib.events.EventLog`, with the paper's
  conventions.

Examples
--------
>>> from useropslib.churn import BetaGeoModel
>>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> round(model.conditional_probability_alive(2, 30.43, 38.86), 3)
0.727
"""

from __future__ import annotations

from useropslib.churn._aha import (
    CAUSATION_CAVEAT,
    AhaResult,
    GrowthPathResult,
    aha_moments,
    growth_path,
)
from useropslib.churn._bgnbd import BetaGeoModel
from useropslib.churn._definition import InactivityThresholdResult, infer_inactivity_threshold
from useropslib.churn._drivers import ChurnDrivers, indicator_comparison
from useropslib.churn._gamma_gamma import GammaGammaModel
from useropslib.churn._labels import churn_labels, churn_rate, natural_churn_rate
from useropslib.churn._rfm_summary import rfm_summary
from useropslib.churn._risk import ChurnRiskModel, RiskEvaluation, churn_features, early_warning
from useropslib.churn._survival import (
    KaplanMeierResult,
    LogrankResult,
    kaplan_meier,
    logrank_test,
    survival_frame,
)

__all__ = [
    "CAUSATION_CAVEAT",
    "AhaResult",
    "BetaGeoModel",
    "ChurnDrivers",
    "ChurnRiskModel",
    "GammaGammaModel",
    "GrowthPathResult",
    "InactivityThresholdResult",
    "KaplanMeierResult",
    "LogrankResult",
    "RiskEvaluation",
    "aha_moments",
    "churn_features",
    "churn_labels",
    "churn_rate",
    "early_warning",
    "growth_path",
    "indicator_comparison",
    "infer_inactivity_threshold",
    "kaplan_meier",
    "logrank_test",
    "natural_churn_rate",
    "rfm_summary",
    "survival_frame",
]
