"""Quality of the users a campaign brought: retention, churn hazard, lifetime value, LTV:CAC.

The practice compares the cost of the users a campaign brought with their quality (domain 003,
004): do they stay, do they churn faster, what are they worth against what they cost? This
module answers it for the three kinds of campaign the review meets:

- an acquisition campaign: the users it brought against the organic signups of the same window;
- a campaign with a control group: the treated users against the control (holdout) users;
- a campaign without a control group: the treated population (every exposed user, or every user
  when nothing marks exposure) after the window against the same users before the launch.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Collection, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._results import MetricResult
from useropslib.campaigns._evaluate import evaluation_window, resolve_arms
from useropslib.campaigns._lasting import lasting_effect, new_user_groups
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import load, resolve_as_of
from useropslib.exceptions import (
    ConvergenceWarning,
    InsufficientDataError,
    InvalidParameterError,
    UseropsError,
)
from useropslib.models import Campaign

__all__ = ["UserQuality", "user_quality"]

_NS_PER_DAY = 86_400 * 10**9

Comparison = Literal["acquired_vs_organic", "treated_vs_control", "treated_before_after"]


@dataclasses.dataclass(frozen=True, repr=False)
class UserQuality(MetricResult):
    """Quality of the users a campaign brought or touched, against a baseline group.

    Attributes
    ----------
    comparison : {"acquired_vs_organic", "treated_vs_control", "treated_before_after"}
        Which groups are compared (see :func:`user_quality`).
    groups : tuple of str
        The two group names, the campaign's group first: ``("acquired", "organic")``,
        ``("treatment", "control")`` or ``("after", "before")``.
    retention : pandas.DataFrame
        Index ``period`` (1 = the first ``period_days`` days); one column per group: the share
        of the group's users active in exactly that period ("on" retention).
    hazard : pandas.DataFrame or None
        One row, the Cox model of time to churn with the campaign group as covariate:
        ``hazard_ratio``, ``hazard_ratio_lower``, ``hazard_ratio_upper`` and the p-value
        column. A ratio above 1: the campaign's users churn faster. None for
        ``"treated_before_after"`` (one population, nothing to compare its hazard with).
    summary : pandas.DataFrame
        Index: the groups; columns ``users``, ``ltv`` (mean lifetime value per user of the
        group), ``cac`` (the campaign's cost per user of its group: the acquisition cost of
        an acquired user, the cost of reaching a treated user; campaign group only) and
        ``ltv_to_cac``.
    ltv_method : str
        How the lifetime value was obtained: ``"bgnbd_gamma_gamma"``, ``"ltv_curve"``,
        ``"given"`` or ``"none"`` (no purchase event with values in the log).
    params : dict
    as_of : pandas.Timestamp
    """

    comparison: Comparison
    groups: tuple[str, str]
    retention: pd.DataFrame
    hazard: pd.DataFrame | None
    summary: pd.DataFrame
    ltv_method: str

    @property
    def hazard_ratio(self) -> tuple[float, float, float]:
        """The hazard ratio and its interval ``(ratio, lower, upper)``; NaN without a model."""
        if self.hazard is None or self.hazard.empty:
            return (math.nan, math.nan, math.nan)
        row = self.hazard.iloc[0]
        return (
            float(row["hazard_ratio"]),
            float(row["hazard_ratio_lower"]),
            float(row["hazard_ratio_upper"]),
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the summary with each group's retention by period as ``retention_<k>`` columns.

        Returns
        -------
        pandas.DataFrame
        """
        ret = self.retention.T.add_prefix("retention_")
        out: pd.DataFrame = self.summary.join(ret)
        return out

    def plot(self, ax: Any = None, *, lang: Literal["en", "zh"] = "en") -> Any:
        """Draw the groups' retention curves.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        lang : {"en", "zh"}, default "en"

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import quality_retention

        return quality_retention(
            self.retention, period_days=int(self.params["period_days"]), lang=lang, ax=ax
        )


def _purchase_events(campaign: Campaign, log: EventLog) -> list[str] | None:
    """Return the purchase events of the campaign's goals, else ``purchase`` when logged."""
    for goal in (campaign.primary_goal, *campaign.secondary_goals):
        names = getattr(goal.metric, "purchase_event", None)
        if names:
            return [str(n) for n in names]
    return ["purchase"] if "purchase" in set(map(str, log.event_names)) else None


def exposed_users(
    log: EventLog, campaign: Campaign, *, start_ns: int, end_ns: int
) -> tuple[npt.NDArray[np.int64], str]:
    """Return the treated population of a campaign without control group, and how it was found.

    Exposed users are those with an event up to the window's end whose ``campaign`` property
    is the campaign id (its messages, exposures, clicks). When no event carries it, every user
    is treated: the audience segment's members at launch when the campaign has one, else the
    users with an event before the window's end.
    """
    ts = log.timestamps_ns
    n_users = len(log.users)
    if "campaign" in log.property_names:
        tag = log.property_values("campaign").to_numpy()
        rows = (ts <= end_ns) & (tag == campaign.id)
        if rows.any():
            seen = np.bincount(log.user_codes[rows], minlength=n_users) > 0
            return np.flatnonzero(seen).astype(np.int64), "exposed"
    if campaign.audience is not None:
        from useropslib.segments import members

        ids = members(log, campaign.audience, as_of=pd.Timestamp(start_ns - 1, tz="UTC"))
        pos = log.users.get_indexer(ids)
        return np.sort(pos[pos >= 0]).astype(np.int64), "audience"
    seen = np.bincount(log.user_codes[ts <= end_ns], minlength=n_users) > 0
    return np.flatnonzero(seen).astype(np.int64), "everyone"


def _group_ltv(
    log: EventLog,
    groups: Sequence[npt.NDArray[np.int64]],
    *,
    ltv: float | str | None,
    purchase_event: list[str] | None,
    as_of: pd.Timestamp,
) -> tuple[list[float], str]:
    """Mean lifetime value per user of each group (codes), and the method used."""
    if isinstance(ltv, int | float) and not isinstance(ltv, bool):
        return [float(ltv)] * len(groups), "given"
    if purchase_event is None or log.values is None:
        return [math.nan] * len(groups), "none"
    present = set(map(str, log.event_names))
    if not any(p in present for p in purchase_event):
        return [math.nan] * len(groups), "none"
    reason = ""
    if ltv == "model":
        from useropslib.churn import BetaGeoModel, GammaGammaModel, rfm_summary

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                summary = rfm_summary(
                    log, purchase_event=purchase_event, as_of=as_of, monetary=True, period="W"
                )
                bg = BetaGeoModel().fit(summary)
                gg = GammaGammaModel().fit(summary)
                values = []
                for codes in groups:
                    ids = log.users[codes]
                    mine = summary.reindex(ids).dropna()
                    if len(mine) == 0:
                        values.append(0.0 if len(ids) else math.nan)
                        continue
                    clv = gg.customer_lifetime_value(
                        bg, mine, time=12, discount_rate=0.01, time_unit="W"
                    )
                    # purchasers' predicted value; users without a purchase count as 0
                    total = float(np.sum(np.asarray(clv, dtype=np.float64)))
                    values.append(total / len(ids))
            bad = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
            if bad:
                reason = str(bad[0].message)
            elif not all(math.isfinite(v) for v in values):
                reason = "the predicted value is not finite"
            else:
                return values, "bgnbd_gamma_gamma"
        except UseropsError as exc:
            reason = str(exc)
    from useropslib.metrics import ltv_curve

    values = []
    for codes in groups:
        if len(codes) == 0:
            values.append(math.nan)
            continue
        sub = log.filter_users(log.users[codes])
        try:
            curve = ltv_curve(sub, purchase_event=purchase_event, as_of=as_of).curve.dropna()
        except InsufficientDataError:
            values.append(math.nan)
            continue
        values.append(float(curve.iloc[-1]) if len(curve) else math.nan)
    if reason:
        warnings.warn(
            f"user_quality: the BG/NBD + Gamma-Gamma lifetime value did not converge ({reason}); "
            "each group's LTV falls back to its cohort ltv_curve (cumulative revenue per user "
            "at the oldest age). Hint: use a longer purchase history, or pass ltv= as a number.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return values, "ltv_curve"


def _campaign_cost(campaign: Campaign, contacts: int, participants: int) -> float:
    """Budget lines, else channel fixed + per-contact cost x contacts + reward x participants."""
    if campaign.budget:
        return float(campaign.total_budget)
    channel = sum(c.fixed_cost + c.cost_per_contact * contacts for c in campaign.channels)
    return float(channel + campaign.reward_per_participant * participants)


def _on_retention(
    log: EventLog,
    codes: npt.NDArray[np.int64],
    *,
    origin_ns: int,
    step: int,
    periods: int,
    as_of_ns: int,
    backwards: bool = False,
) -> npt.NDArray[np.float64]:
    """Share of ``codes`` active in each of ``periods`` periods after (or before) ``origin_ns``."""
    ts = log.timestamps_ns
    if backwards:
        lo, hi = origin_ns - periods * step, origin_ns - 1
    else:
        lo, hi = origin_ns, min(origin_ns + periods * step - 1, as_of_ns)
    sel = (ts >= lo) & (ts <= hi)
    k = (ts[sel] - lo) // step
    if backwards:
        k = periods - 1 - k  # period 1 = the one just before the launch
    n_users = len(log.users)
    active = np.zeros((n_users, periods), dtype=bool)
    active[log.user_codes[sel], k] = True
    if codes.size == 0:
        return np.full(periods, np.nan)
    out: npt.NDArray[np.float64] = active[codes].mean(axis=0)
    if not backwards:  # a period not over by as_of would read as a drop: unknown instead
        complete = origin_ns + (np.arange(periods) + 1) * step - 1 <= as_of_ns
        out = np.where(complete, out, np.nan)
    return out


def user_quality(
    campaign: Campaign,
    events: EventsLike,
    *,
    as_of: Any = None,
    periods: int = 4,
    period_days: int = 7,
    ltv: float | Literal["model"] | None = None,
    cac: float | None = None,
    definition: str = "14D",
    acquired: Collection[Any] | None = None,
    attribution: str = "campaign",
    overlap: str = "error",
    assignment: pd.Series | None = None,
) -> UserQuality:
    """Measure the quality of the users a campaign brought: retention, hazard, LTV, LTV:CAC.

    Parameters
    ----------
    campaign : Campaign
    events : EventLog, LazyEventLog or DataFrame
    as_of : datetime-like, optional
        Default the log's end.
    periods : int, default 4
        Retention periods shown.
    period_days : int, default 7
        Length of a period.
    ltv : float, "model" or None
        A number: that lifetime value for every group. ``"model"``: the churn module's BG/NBD +
        Gamma-Gamma 12-month value (1 % monthly discount) averaged over each group's users
        (non-purchasers count 0), falling back with a ``ConvergenceWarning`` to the cohort
        ``ltv_curve`` when the fit does not converge. None (default): each group's cohort
        :func:`useropslib.metrics.ltv_curve` at its oldest age (revenue per user observed so far).
    cac : float, optional
        Cost per user of the campaign group; default the campaign's cost (budget lines, else
        channel costs and rewards) divided by that group's users.
    definition : str, default "14D"
        Churn definition of the hazard model.
    acquired, attribution
        Acquisition campaigns: who the campaign brought (see :func:`lasting_effect`).
    overlap, assignment
        As in :func:`evaluate`.

    Returns
    -------
    UserQuality

    Raises
    ------
    InvalidParameterError
        ``periods`` / ``period_days`` below 1, ``ltv`` neither a number, ``"model"`` nor None,
        and what :func:`lasting_effect` raises.
    InsufficientDataError
        The window has not ended by ``as_of``; no acquired or no organic new user; an empty
        treated population.

    See Also
    --------
    lasting_effect : retention and hazard by arm after the window.
    review : shows this as the "quality of the users" section.

    Notes
    -----
    The groups compared depend on the campaign:

    - ``type="acquisition"``: the users it brought against the organic signups of the same
      window, retention by period after each user's signup, Cox hazard ratio of ``acquired``
      (as :func:`lasting_effect`); CAC = cost / acquired users.
    - with a control group (or ``assignment``): treatment against control, retention by period
      after the window, Cox hazard ratio of ``treated`` from the launch.
    - without a control group: the treated population (users with an event whose ``campaign``
      property is the campaign id, else every user) in the periods after the window against
      the same users in the periods just before the launch; not a causal comparison, and no
      hazard ratio.

    Retention is "on" (active in exactly period k, PostHog's default); Cox with Efron ties, as
    lifelines and R. LTV:CAC is the practice's ratio of a user's lifetime value to the cost of
    getting (or moving) that user (domain 004: a ratio below 1 loses money on each user).

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, seed=2)
    >>> q = user_quality(data.campaign, data.log, periods=2)
    >>> q.comparison, q.groups, list(q.summary.columns)
    ('treated_vs_control', ('treatment', 'control'), ['users', 'ltv', 'cac', 'ltv_to_cac'])
    """
    if not isinstance(campaign, Campaign):
        raise InvalidParameterError(
            f"campaign must be a Campaign, got {type(campaign).__name__}. Hint: "
            "Campaign.model_validate_json(text) reads a campaign file."
        )
    for name, v in (("periods", periods), ("period_days", period_days)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InvalidParameterError(f"{name} must be a whole number >= 1, got {v!r}.")
    if not (ltv is None or ltv == "model" or _is_number(ltv)):
        raise InvalidParameterError(
            f"ltv must be a number, 'model' or None, got {ltv!r}. Hint: ltv='model' fits BG/NBD "
            "+ Gamma-Gamma; a number is used as is."
        )
    if cac is not None and not _is_number(cac):
        raise InvalidParameterError(f"cac must be a number or None, got {cac!r}.")
    log = load(events, all_events=True)
    at = resolve_as_of(log, as_of)
    if at is None:
        raise InsufficientDataError("user_quality: the log is empty.")
    start_ns, end_ns = evaluation_window(campaign, log, at.ns)
    if end_ns + 1 > at.ns:
        raise InsufficientDataError(
            "user_quality: the campaign window has not ended by as_of, so nothing after it can "
            "be measured yet. Hint: pass a later as_of."
        )
    step = period_days * _NS_PER_DAY
    params: dict[str, Any] = {
        "campaign": campaign.id,
        "periods": periods,
        "period_days": period_days,
        "definition": str(definition),
        "retention": "on (active in exactly period k)",
    }
    hazard: pd.DataFrame | None
    if campaign.type == "acquisition":
        le = lasting_effect(
            campaign,
            log,
            as_of=at.stamp,
            definition=definition,
            period_days=period_days,
            periods=periods,
            overlap=overlap,
            assignment=assignment,
            acquired=acquired,
            attribution=attribution,
        )
        assert le.acquired is not None
        comparison: Comparison = "acquired_vs_organic"
        groups = ("acquired", "organic")
        retention = le.acquired[["acquired", "organic"]]
        hazard = le.acquired_hazard
        new, is_acq, _ = new_user_groups(
            log,
            campaign,
            start_ns=start_ns,
            end_ns=end_ns,
            as_of_ns=at.ns,
            acquired=acquired,
            attribution=attribution,
            what="user_quality",
        )
        members = [new[is_acq], new[~is_acq]]
    elif campaign.control is not None or assignment is not None:
        le = lasting_effect(
            campaign,
            log,
            as_of=at.stamp,
            definition=definition,
            period_days=period_days,
            periods=periods,
            overlap=overlap,
            assignment=assignment,
        )
        comparison = "treated_vs_control"
        groups = ("treatment", "control")
        # a period not over by as_of would read as a drop: unknown instead
        retention = le.retention[["treatment", "control"]].where(
            le.retention["complete"].astype(bool), np.nan
        )
        hazard = le.hazard
        codes, treated, _ = resolve_arms(
            log, campaign, start_ns=start_ns, end_ns=end_ns, overlap=overlap, assignment=assignment
        )
        members = [codes[treated], codes[~treated]]
    else:
        codes, how = exposed_users(log, campaign, start_ns=start_ns, end_ns=end_ns)
        if codes.size == 0:
            raise InsufficientDataError(
                f"user_quality: campaign {campaign.id!r} reached no user by its window's end. "
                "Hint: check the window and the campaign property of its messages."
            )
        comparison = "treated_before_after"
        groups = ("after", "before")
        params["treated"] = how
        after = _on_retention(
            log, codes, origin_ns=end_ns + 1, step=step, periods=periods, as_of_ns=at.ns
        )
        before = _on_retention(
            log,
            codes,
            origin_ns=start_ns,
            step=step,
            periods=periods,
            as_of_ns=at.ns,
            backwards=True,
        )
        retention = pd.DataFrame(
            {"after": after, "before": before}, index=pd.RangeIndex(1, periods + 1, name="period")
        )
        hazard = None
        members = [codes, codes[:0]]
    values, method = _group_ltv(
        log, members, ltv=ltv, purchase_event=_purchase_events(campaign, log), as_of=at.stamp
    )
    n_first = len(members[0])
    if cac is None:
        cost = _campaign_cost(campaign, contacts=n_first, participants=n_first)
        cac = cost / n_first if cost > 0 and n_first > 0 else math.nan
    cac_f = float(cac)
    summary = pd.DataFrame(
        {
            "users": [len(m) for m in members]
            if comparison != "treated_before_after"
            else [len(members[0])] * 2,
            "ltv": values,
            "cac": [cac_f, math.nan],
            "ltv_to_cac": [
                values[0] / cac_f if cac_f > 0 and math.isfinite(cac_f) else math.nan,
                math.nan,
            ],
        },
        index=pd.Index(list(groups), name="group"),
    )
    params["ltv"] = method
    return UserQuality(
        params=params,
        as_of=at.stamp,
        comparison=comparison,
        groups=groups,
        retention=retention.rename_axis("period"),
        hazard=hazard,
        summary=summary,
        ltv_method=method,
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool) and math.isfinite(v)
