"""Campaign operations: effects without a control group (counterfactuals).

Structural time series (the default), synthetic control, interrupted time series, the naive
year-over-year comparison and difference-in-differences (2x2, regression, staggered adoption),
and the pull-forward share of a campaign's lift.
"""

from useropslib.campaigns._counterfactual import (
    CounterfactualResult,
    summarize_draws,
    tail_p_value,
)
from useropslib.campaigns._did import (
    DidRegressionResult,
    DidTableResult,
    StaggeredDidResult,
    did_regression,
    did_table,
    staggered_did,
)
from useropslib.campaigns._effect import PullForwardResult, counterfactual_effect, pull_forward
from useropslib.campaigns._synth import SyntheticControlResult, simplex_weights, synthetic_control

__all__ = [
    "CounterfactualResult",
    "DidRegressionResult",
    "DidTableResult",
    "PullForwardResult",
    "StaggeredDidResult",
    "SyntheticControlResult",
    "counterfactual_effect",
    "did_regression",
    "did_table",
    "pull_forward",
    "simplex_weights",
    "staggered_did",
    "summarize_draws",
    "synthetic_control",
    "tail_p_value",
]
