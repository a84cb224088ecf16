"""Compare campaigns of one type: each effect, a pooled random-effects effect, a recommendation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd

from useropslib._results import MetricResult, jsonable
from useropslib.campaigns._counterfactual import CounterfactualResult
from useropslib.campaigns._evaluate import evaluate
from useropslib.campaigns._meta import PooledEffect, pool_effects
from useropslib.events import EventsLike
from useropslib.events._query import load, resolve_as_of
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import Campaign, DateLike

__all__ = ["PortfolioResult", "portfolio"]


@dataclasses.dataclass(frozen=True, repr=False)
class PortfolioResult(MetricResult):
    """Campaigns of one type side by side, pooled, with the practice's recommendation.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per campaign (index ``campaign``): ``estimate``, ``se``, ``ci_low``,
        ``ci_high`` of the primary goal's lift, ``p_value`` and ``weight`` in the pooled effect,
        and ``method``: ``"control group"`` or, for a campaign without one,
        ``"counterfactual (sts)"``.
    pooled : PooledEffect
        The DerSimonian–Laird pooled effect with ``tau2`` and ``i2``.
    recommendation : str
        ``"stop"`` (the pooled upper bound lies below ``min_effect``: consistently poor),
        ``"make_routine"`` (the pooled lower bound lies above ``min_effect``: consistently
        good) or ``"undecided"``.
    rule : str
        The rule that produced the recommendation, with its threshold.
    params : dict
    as_of : pandas.Timestamp or None
    """

    table: pd.DataFrame
    pooled: PooledEffect
    recommendation: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values (the pooled effect as its own dict).

        Returns
        -------
        dict
        """
        return {
            "params": jsonable(self.params),
            "as_of": jsonable(self.as_of),
            "table": jsonable(self.table),
            "pooled": self.pooled.to_dict(),
            "recommendation": self.recommendation,
            "rule": self.rule,
        }

    def to_frame(self) -> pd.DataFrame:
        """Return the campaigns' rows plus the pooled row.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.pooled.to_frame()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the campaigns and the pooled effect.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        return self.pooled.plot(ax=ax)


def portfolio(
    campaigns: Sequence[Campaign],
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    min_effect: float = 0.0,
    alpha: float = 0.05,
    **evaluate_options: Any,
) -> PortfolioResult:
    """Compare campaigns of one type and pool their effects (活动组合复盘).

    Parameters
    ----------
    campaigns : sequence of Campaign
        At least two campaigns, all of the same ``type``. A campaign without a control group is
        measured against a counterfactual (:func:`counterfactual_effect`, default method).
    events : EventLog, LazyEventLog or DataFrame
        The event log holding all of them.
    as_of : datetime-like, optional
    min_effect : float, default 0.0
        The minimum worthwhile effect on the primary goal (in the units of ``difference``:
        relative lift by default).
    alpha : float, default 0.05
    **evaluate_options
        Passed to :func:`evaluate` (``difference``, ``cuped``, ...).

    Returns
    -------
    PortfolioResult

    Raises
    ------
    InvalidParameterError
        Campaigns of different types (name them), not Campaign objects, or a campaign without
        a control group while ``difference="absolute"`` (a per-user difference has no
        counterpart in a counterfactual of the goal's daily series).
    InsufficientDataError
        Fewer than two campaigns.

    Notes
    -----
    Each campaign is evaluated on its own control group; the pooled effect is the
    DerSimonian–Laird random-effects mean of their primary-goal lifts (see
    :func:`pool_effects`), so a type's campaigns may differ in their true effect. A campaign
    without a control group enters with the relative effect of its counterfactual (the mean
    over posterior draws of ``sum(y) / sum(draw) - 1`` over the launch phase) and that
    effect's posterior s.d. as its standard error: its (usually wider) interval gives it a
    smaller weight. Its ``p_value`` is then CausalImpact's one-sided tail area. Rule: stop
    running the type when the pooled interval's upper bound is below ``min_effect``; make it
    routine when its lower bound is above ``min_effect``.

    Examples
    --------
    >>> import useropslib as uo
    >>> a = uo.datasets.synthetic_campaign(n_users=3000, lift=0.3, seed=1)
    >>> portfolio([a.campaign, a.campaign.model_copy(update={"id": "again"})], a.log).recommendation
    'make_routine'
    """
    given: Any = campaigns
    if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
        raise InvalidParameterError(
            f"campaigns must be a list of Campaign, got {type(campaigns).__name__}."
        )
    items = list(campaigns)
    if len(items) < 2:
        raise InsufficientDataError(
            f"portfolio: need at least 2 campaigns to compare, got {len(items)}."
        )
    bad = [type(c).__name__ for c in items if not isinstance(c, Campaign)]
    if bad:
        raise InvalidParameterError(f"portfolio: campaigns must be Campaign models, got {bad}.")
    types = {c.type for c in items}
    if len(types) > 1:
        by_type = {t: [c.id for c in items if c.type == t] for t in sorted(types)}
        raise InvalidParameterError(
            f"portfolio: campaigns of different types cannot be pooled: {by_type}. Hint: call "
            "portfolio once per campaign type."
        )
    no_control = [
        c.id for c in items if c.control is None and evaluate_options.get("assignment") is None
    ]
    if no_control and evaluate_options.get("difference", "relative") != "relative":
        raise InvalidParameterError(
            f"portfolio: campaigns {no_control} have no control group, so their effect comes "
            "from a counterfactual of the goal's daily series, which gives a relative effect "
            "but no per-user absolute difference. Hint: use difference='relative'."
        )
    rows = []
    as_of_seen = None
    for c in items:
        ev = evaluate(c, events, as_of=as_of, alpha=alpha, **evaluate_options)
        if isinstance(ev, CounterfactualResult):
            # no control group: the counterfactual's relative effect and its posterior s.d.
            cum = ev.table.loc["cumulative"]
            rows.append(
                {
                    "campaign": c.id,
                    "estimate": float(cum["rel_effect"]),
                    "se": float(cum["rel_effect_sd"]),
                    "p_value": float(ev.p_value),
                    "method": "counterfactual (sts)",
                }
            )
            continue
        as_of_seen = ev.as_of
        r = ev.frequentist.table.iloc[0]
        rows.append(
            {
                "campaign": c.id,
                "estimate": float(r["estimate"]),
                "se": float(r["se"]),
                "p_value": float(r["p_value"]),
                "method": "control group",
            }
        )
    if as_of_seen is None:
        at = resolve_as_of(load(events, all_events=True), as_of)
        as_of_seen = None if at is None else at.stamp
    frame = pd.DataFrame(rows)
    pooled = pool_effects(
        frame["estimate"],
        standard_errors=frame["se"],
        labels=frame["campaign"].tolist(),
        alpha=alpha,
    )
    table = pooled.table.copy()
    table.index.name = "campaign"
    table["p_value"] = frame["p_value"].to_numpy()
    table["method"] = frame["method"].to_numpy()
    if pooled.ci_high < min_effect:
        rec = "stop"
        rule = f"pooled upper bound {pooled.ci_high:.3g} < minimum worthwhile effect {min_effect:g}"
    elif pooled.ci_low > min_effect:
        rec = "make_routine"
        rule = f"pooled lower bound {pooled.ci_low:.3g} > minimum worthwhile effect {min_effect:g}"
    else:
        rec = "undecided"
        rule = (
            f"pooled interval [{pooled.ci_low:.3g}, {pooled.ci_high:.3g}] contains the minimum "
            f"worthwhile effect {min_effect:g}"
        )
    return PortfolioResult(
        params={"type": next(iter(types)), "min_effect": min_effect, "alpha": alpha},
        as_of=as_of_seen,
        table=table,
        pooled=pooled,
        recommendation=rec,
        rule=rule,
    )
