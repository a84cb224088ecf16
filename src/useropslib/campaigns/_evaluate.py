"""Evaluate a campaign with a control group on its event log: lift, SRM, CUPED, cost and ROI."""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import is_real
from useropslib._results import MetricResult, axes_or_new, jsonable
from useropslib.campaigns._assign import holdout_bucket
from useropslib.campaigns._counterfactual import CounterfactualResult
from useropslib.campaigns._effect import counterfactual_effect
from useropslib.campaigns._evaluate_engine import EngineOutcomes, engine_plan
from useropslib.campaigns._ltv import model_ltv
from useropslib.campaigns._multiple import CorrectionMethod, adjust_p_values
from useropslib.campaigns._srm import SRMResult, sample_ratio_mismatch
from useropslib.campaigns._stats import (
    ComparisonResult,
    Difference,
    arm_statistics,
    compare_means,
    compare_proportions,
)
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import EventSelector, check_instant, load, resolve_as_of
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.models import (
    Campaign,
    ConversionSpec,
    DateLike,
    ExposureControl,
    Goal,
    HoldoutControl,
    RevenueSpec,
)

__all__ = ["CampaignEvaluation", "evaluate", "holdout_control"]

_NS_PER_DAY = 86_400 * 10**9

BINARY_KINDS = ("paying_users", "active_users", "reactivated_users", "conversion")
"""Goal metrics whose per-user outcome is 0/1 (compared as proportions)."""
MEAN_KINDS = ("revenue", "arpu", "orders")
"""Goal metrics whose per-user outcome is a sum (compared as means per user)."""


# ----------------------------------------------------------------------------------------------
# arms


def holdout_control(user_ids: pd.Index | Any, *, share: float, salt: str) -> npt.NDArray[np.bool_]:
    """Return True for the users a hash holdout keeps in control.

    A user is in control when its :func:`holdout_bucket` (a salted SipHash of the id, read as a
    number in [0, 1)) is below ``share``: the same split as :func:`assign`. The answer depends
    only on the id, the salt and the share: the same on every run and machine, and adding users
    never moves existing ones.

    Parameters
    ----------
    user_ids : array-like
        The users (compared as text).
    share : float
        The control share, in (0, 1).
    salt : str
        Makes this split independent of other campaigns' splits.

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    InvalidParameterError
        A share outside (0, 1) or an empty salt.

    Examples
    --------
    >>> ids = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"]
    >>> holdout_control(ids, share=0.5, salt="spring").tolist()
    [False, True, False, True, False, True, False, False]
    """
    if not is_real(share) or not 0 < share < 1:
        raise InvalidParameterError(f"share must lie strictly in (0, 1), got {share!r}.")
    if not isinstance(salt, str) or not salt:
        raise InvalidParameterError("salt must be a non-empty string (use the campaign id).")
    bucket = holdout_bucket(user_ids, salt=salt).to_numpy(np.float64)
    out: npt.NDArray[np.bool_] = bucket < share
    return out


def resolve_arms(
    log: EventLog,
    campaign: Campaign,
    *,
    start_ns: int,
    end_ns: int,
    overlap: str,
    assignment: pd.Series | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], dict[str, Any]]:
    """Return user codes of the units and a treated flag, plus a description of the arms."""
    users = log.users
    if assignment is not None:
        labels = pd.Series(assignment)
        bad = ~labels.isin(["treatment", "control"])
        if bad.any():
            raise InvalidParameterError(
                "assignment values must be 'treatment' or 'control', got "
                f"{sorted(map(str, labels[bad].unique()))[:5]}."
            )
        repeated = labels.index.duplicated()
        if repeated.any():  # each would count twice (the engine route refuses them too)
            raise InvalidParameterError(
                f"assignment lists a user more than once ({int(repeated.sum())} repeated ids, "
                f"e.g. {list(map(str, labels.index[repeated].unique()[:3]))}). Expected one arm "
                "per user. Hint: keep one row per user, e.g. "
                "assignment[~assignment.index.duplicated()]."
            )
        pos = users.get_indexer(labels.index)
        unknown = int((pos < 0).sum())
        if unknown:
            warnings.warn(
                f"evaluate: {unknown} assigned users have no event in the log; they count as "
                "units with outcome 0.",
                InsufficientDataWarning,
                stacklevel=3,
            )
        known = pos >= 0
        codes = pos[known].astype(np.int64)
        treated = (labels.to_numpy() == "treatment")[known]
        return codes, treated, {"source": "assignment"}
    control = campaign.control
    if control is None:
        raise InvalidParameterError(
            f"campaign {campaign.id!r} has no control group, so its lift cannot be measured "
            "against one. Hint: add a HoldoutControl or ExposureControl, pass assignment=, or "
            "estimate the effect from a counterfactual (useropslib.campaigns "
            "counterfactual_effect)."
        )
    ts = log.timestamps_ns
    if isinstance(control, ExposureControl):
        code = log.event_code_of([control.event])
        if code.size == 0 or code[0] < 0:
            close = did_you_mean(control.event, log.event_names)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"evaluate: the exposure event {control.event!r} is not in the log.{hint}"
            )
        rows = np.flatnonzero((log.event_codes == code[0]) & (ts <= end_ns))
        variant = log.property_values(control.variant_property).to_numpy()[rows]
        is_ctrl = np.isin(variant.astype(str), list(control.control_values))
        u = log.user_codes[rows].astype(np.int64)
        n_users = len(users)
        seen_c = np.bincount(u[is_ctrl], minlength=n_users) > 0
        seen_t = np.bincount(u[~is_ctrl], minlength=n_users) > 0
        both = seen_c & seen_t
        if both.any() and overlap == "error":
            raise InvalidParameterError(
                f"evaluate: {int(both.sum())} users were exposed to both control and treatment "
                f"(e.g. {list(users[np.flatnonzero(both)[:3]])}), so the arms overlap. Hint: fix "
                "the assignment, or pass overlap='first' (keep each user's first exposure) or "
                "overlap='drop' (leave them out)."
            )
        order = np.lexsort((ts[rows], u))
        first = np.ones(len(u), dtype=bool)  # each user's first exposure (none: empty)
        first[1:] = u[order][1:] != u[order][:-1]
        codes = u[order][first]
        treated = ~is_ctrl[order][first]
        if overlap == "drop" and both.any():
            keep = ~both[codes]
            codes, treated = codes[keep], treated[keep]
        return (
            codes,
            treated,
            {"source": "exposure", "event": control.event, "overlap": int(both.sum())},
        )
    assert isinstance(control, HoldoutControl)
    if campaign.audience is not None:
        from useropslib.segments import members

        ids = members(log, campaign.audience, as_of=pd.Timestamp(start_ns - 1, tz="UTC"))
        pos = users.get_indexer(ids)
        codes = pos[pos >= 0].astype(np.int64)
    else:
        # the users who existed at launch: an event before the campaign started
        before = ts < start_ns
        codes = np.flatnonzero(
            np.bincount(log.user_codes[before], minlength=len(users)) > 0
        ).astype(np.int64)
    in_control = holdout_control(users[codes], share=control.share, salt=control.salt)
    return codes, ~in_control, {"source": "holdout", "share": control.share}


# ----------------------------------------------------------------------------------------------
# per-user outcomes


def _required(log: EventLog, spec: Any, what: str) -> None:
    needed = spec.required_events()
    present = set(map(str, log.event_names))
    missing = [e for e in needed if e not in present]
    if missing:
        hints = []
        for m in missing:
            close = did_you_mean(m, present)
            hints.append(f"{m!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InvalidParameterError(
            f"{what}: the log cannot compute {spec.label}: event(s) {', '.join(hints)} are "
            "missing. Hint: check the goal's metric names the events as they are logged."
        )


def _mask_names(log: EventLog, names: tuple[str, ...] | None) -> npt.NDArray[np.bool_] | None:
    if names is None:
        return None
    codes = log.event_code_of(list(names))
    codes = codes[codes >= 0]
    out: npt.NDArray[np.bool_] = np.isin(log.event_codes, codes)
    return out


def _values(log: EventLog, spec: Any) -> npt.NDArray[np.float64]:
    col = getattr(spec, "value_col", None)
    if col is not None:
        out = pd.to_numeric(log.property_values(col), errors="coerce").to_numpy(np.float64)
        res: npt.NDArray[np.float64] = np.nan_to_num(out, nan=0.0)
        return res
    if log.values is None:
        raise InvalidParameterError(
            f"evaluate: {spec.label} needs purchase values but the log has no value column. "
            "Hint: build the log with value_col=..., or name the spec's value_col."
        )
    return np.nan_to_num(log.values, nan=0.0)


def unit_outcomes(
    log: EventLog,
    spec: Any,
    *,
    codes: npt.NDArray[np.int64],
    start_ns: int,
    end_ns: int,
) -> tuple[npt.NDArray[np.float64], bool]:
    """Each unit's outcome of ``spec`` over ``[start_ns, end_ns]`` and whether it is 0/1."""
    ts = log.timestamps_ns
    window = (ts >= start_ns) & (ts <= end_ns)
    n_users = len(log.users)
    kind = spec.kind
    if kind in ("paying_users", "orders", "revenue", "arpu"):
        m = _mask_names(log, spec.purchase_event)
        sel = window if m is None else window & m
        u = log.user_codes[sel]
        if kind == "paying_users":
            per_user = (np.bincount(u, minlength=n_users) > 0).astype(np.float64)
        elif kind == "orders":
            per_user = np.bincount(u, minlength=n_users).astype(np.float64)
        else:
            per_user = np.zeros(n_users)
            per_user += np.bincount(u, weights=_values(log, spec)[sel], minlength=n_users)
        return per_user[codes], kind == "paying_users"
    if kind in ("active_users", "reactivated_users"):
        m = _mask_names(log, spec.activity_events)
        sel = window if m is None else window & m
        per_user = (np.bincount(log.user_codes[sel], minlength=n_users) > 0).astype(np.float64)
        return per_user[codes], True
    if kind == "conversion":
        return _ordered_conversion(log, spec, window)[codes], True
    raise InvalidParameterError(
        f"evaluate: a {kind!r} goal has no per-user outcome to compare between arms. Hint: "
        f"use one of {sorted(BINARY_KINDS + MEAN_KINDS)} as the campaign's goal metric, or "
        "compare the aggregate with useropslib.campaigns.measure per arm."
    )


def _padded_outcomes(
    log: EventLog, absent: int, spec: Any, **kwargs: Any
) -> tuple[npt.NDArray[np.float64], bool]:
    """:func:`unit_outcomes`, followed by 0 for ``absent`` units that have no event."""
    y, binary = unit_outcomes(log, spec, **kwargs)
    return np.r_[y, np.zeros(absent)], binary


def _ordered_conversion(
    log: EventLog, spec: ConversionSpec, window: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """1 when the user did every step in order within the conversion window of the first step."""
    n_users = len(log.users)
    big = np.iinfo(np.int64).max
    ts = log.timestamps_ns
    win_ns = int(spec.window.total_seconds() * 10**9)
    first = np.full(n_users, big, dtype=np.int64)
    prev = first
    for i, step in enumerate(spec.steps):
        m = _mask_names(log, (step,))
        sel = window if m is None else window & m
        u = log.user_codes[sel]
        t = ts[sel]
        cur = np.full(n_users, big, dtype=np.int64)
        if i == 0:
            np.minimum.at(cur, u, t)
            first = cur
        else:
            ok = (prev[u] != big) & (t >= prev[u]) & (t <= first[u] + win_ns)
            np.minimum.at(cur, u[ok], t[ok])
        prev = cur
    res: npt.NDArray[np.float64] = (prev != big).astype(np.float64)
    return res


# ----------------------------------------------------------------------------------------------
# the result


@dataclasses.dataclass(frozen=True, repr=False)
class CampaignEvaluation(MetricResult):
    """A campaign's effect on its goals against its control group, with cost and return.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per goal (index ``goal``; the primary first): ``role``, ``metric``,
        ``outcome`` ("binary" or "mean"), ``n_control``, ``n_treatment``, ``control_mean``,
        ``treatment_mean``, the frequentist ``estimate``, ``ci_low``, ``ci_high``,
        ``p_value`` and ``p_adjusted`` (secondary goals corrected together, ``correction``
        in ``params``), and the Bayesian ``chance_to_win``, ``risk_control`` and
        ``risk_treatment``.
    frequentist : ComparisonResult
        The primary goal's frequentist comparison (CUPED-adjusted when used).
    bayesian : ComparisonResult
        The primary goal's Bayesian comparison on the same data.
    srm : SRMResult
        The sample-ratio-mismatch check of the arms' sizes.
    economics : pandas.Series
        ``cost``, ``incremental_conversions`` with ``incremental_conversions_low`` / ``_high``
        (the absolute difference's interval times the treated users), ``incremental_value``,
        ``roi`` (incremental value minus cost, over cost), ``cac`` (cost per converted treated
        user), ``cost_per_incremental_conversion`` and ``ltv_to_cac``; NaN where undefined.
    arms : pandas.DataFrame
        Per arm: ``users`` and the primary outcome's sufficient statistics.
    conventions : dict
        Every convention used, in words.
    params : dict
    as_of : pandas.Timestamp
    """

    table: pd.DataFrame
    frequentist: ComparisonResult
    bayesian: ComparisonResult
    srm: SRMResult
    economics: pd.Series
    arms: pd.DataFrame
    conventions: Mapping[str, str]

    @property
    def estimate(self) -> float:
        """The primary goal's lift (frequentist)."""
        return self.frequentist.estimate

    @property
    def ci(self) -> tuple[float, float]:
        """The primary goal's interval (frequentist)."""
        return self.frequentist.ci

    @property
    def p_value(self) -> float:
        """The primary goal's two-sided p-value (frequentist)."""
        return self.frequentist.p_value

    @property
    def significant(self) -> bool:
        """Whether the primary goal's interval ``ci`` excludes zero.

        The same reading as ``CounterfactualResult.significant``, so callers of
        :func:`evaluate` need not branch on the result's type.
        """
        low, high = self.ci
        return bool(low > 0 or high < 0)

    def to_dict(self) -> dict[str, Any]:
        """Return every field as JSON-ready values, the nested results as their own dicts.

        Returns
        -------
        dict
        """
        out = {
            "params": jsonable(self.params),
            "as_of": jsonable(self.as_of),
            "table": jsonable(self.table),
            "economics": jsonable(self.economics),
            "arms": jsonable(self.arms),
            "conventions": jsonable(self.conventions),
            "frequentist": self.frequentist.to_dict(),
            "bayesian": self.bayesian.to_dict(),
            "srm": self.srm.to_dict(),
        }
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return the per-goal table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of every goal's lift with its interval.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_forest as forest_plot

        t = self.table
        label = "relative lift" if self.params.get("difference") == "relative" else "difference"
        return forest_plot(
            [str(i) for i in t.index],
            t["estimate"].to_numpy(float),
            t["ci_low"].to_numpy(float),
            t["ci_high"].to_numpy(float),
            xlabel=label,
            ax=axes_or_new(ax),
        )


# ----------------------------------------------------------------------------------------------
# evaluate


def evaluation_window(campaign: Campaign, log: EventLog, as_of_ns: int) -> tuple[int, int]:
    if not isinstance(campaign, Campaign):
        raise InvalidParameterError(
            f"campaign must be a Campaign, got {type(campaign).__name__}. Hint: build it with "
            "useropslib.models.Campaign(...) or Campaign.model_validate(spec)."
        )
    launch = campaign.phase("launch")
    goal = campaign.primary_goal
    start = launch.start if launch is not None else goal.start
    end = launch.end if launch is not None else goal.deadline
    start_ns = check_instant(start, tz=log.tz, name="campaign start")
    assert start_ns is not None
    end_ns = check_instant(end, tz=log.tz, name="campaign end") if end is not None else None
    if as_of_ns < start_ns:
        raise InvalidParameterError(
            f"evaluate: as_of ({pd.Timestamp(as_of_ns, tz='UTC')}) is before the campaign's "
            f"launch ({pd.Timestamp(start_ns, tz='UTC')}); nothing can be measured yet. Hint: "
            "pass an as_of after the launch."
        )
    stop = as_of_ns if end_ns is None else min(as_of_ns, end_ns - 1)
    return start_ns, stop


def _load_needed(campaign: Campaign, events: EventsLike, assignment: Any) -> EventLog:
    """Collect only the exposure and goal events from a lazy log when that is all it takes.

    A hash holdout (users present before launch), a goal counting any event, or arms given
    directly need every event; an in-memory log is used as it is either way.
    """
    control = campaign.control
    names: list[str] = []
    if isinstance(control, ExposureControl) and assignment is None:
        names.append(control.event)
        for goal in campaign.goals:
            needed = goal.metric.required_events() if goal.metric is not None else ()
            if not needed:
                names = []
                break
            names += list(needed)
    known = getattr(events, "event_names", None)
    if names and known is not None and not isinstance(events, EventLog | pd.DataFrame):
        present = set(map(str, known))
        names = [n for n in dict.fromkeys(names) if n in present]
        if names:
            return load(events, EventSelector.parse(names))
    return load(events, all_events=True)


def _engine_converted(
    engine: EngineOutcomes,
    campaign: Campaign,
    spec: Any,
    *,
    start_ns: int,
    end_ns: int,
    overlap: str,
) -> pd.Index:
    """Treated units of a lazy log with a positive primary outcome (for the model LTV)."""
    events = engine.events
    if engine.arms is not None:
        treated_ids = engine.arms.index[engine.arms.to_numpy() == "treatment"]
    else:
        control = campaign.control
        assert isinstance(control, ExposureControl)
        expo = events.collect([control.event])
        c, t, _ = resolve_arms(
            expo, campaign, start_ns=start_ns, end_ns=end_ns, overlap=overlap, assignment=None
        )
        treated_ids = expo.users[c[t]]
    totals = events.user_totals({"y": engine.window_spec(spec, start_ns, end_ns)})
    positive = totals.index[totals["y"].to_numpy() > 0]
    out: pd.Index = positive[positive.isin(treated_ids)]
    return out


def _cost(campaign: Campaign, n_treated: int, conversions: float) -> float:
    if campaign.budget:
        return campaign.total_budget
    channel = sum(c.fixed_cost + c.cost_per_contact * n_treated for c in campaign.channels)
    return float(channel + campaign.reward_per_participant * conversions)


def evaluate(
    campaign: Campaign,
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    difference: Difference = "relative",
    alpha: float = 0.05,
    cuped: bool = True,
    pre_period: int = 28,
    prior: tuple[float, float] | None = None,
    correction: CorrectionMethod = "holm",
    srm_threshold: float = 0.001,
    value_per_conversion: float | None = None,
    ltv: float | Literal["model"] | None = None,
    overlap: Literal["error", "first", "drop"] = "error",
    assignment: pd.Series | None = None,
    min_units: int = 30,
) -> CampaignEvaluation | CounterfactualResult:
    """Evaluate a campaign against its control group: lift, SRM, CUPED, cost, ROI (活动复盘的效果).

    A campaign without a control group (and no ``assignment``) is evaluated against a
    counterfactual instead: :func:`counterfactual_effect` on its primary goal's daily series,
    the launch phase as the post-period.

    Parameters
    ----------
    campaign : Campaign
        The plan: primary and secondary goals (their ``MetricSpec``), control group, costs.
    events : EventLog, LazyEventLog or DataFrame
        The event log.
    as_of : datetime-like, optional
        The "now" of the evaluation; default the log's. Events after it are ignored.
    difference : {"relative", "absolute"}, default "relative"
        Lift convention of every comparison.
    alpha : float, default 0.05
        ``1 - alpha`` is the level of every interval.
    cuped : bool, default True
        Adjust by the same metric's value per user over the ``pre_period`` days before launch
        (when the log covers them and the covariate varies).
    pre_period : int, default 28
        Days of the pre-period for CUPED.
    prior : (float, float), optional
        A proper Gaussian prior on the lift for the Bayesian engine.
    correction : {"holm", "benjamini_hochberg", "bonferroni", "none"}, default "holm"
        Correction over the secondary goals' p-values.
    srm_threshold : float, default 0.001
        The SRM alert threshold.
    value_per_conversion : float, optional
        Value of one incremental conversion for a binary goal (for ROI). Default: for a
        purchase goal, the measured difference in revenue per user times the treated users;
        for money goals the incremental value is always measured.
    ltv : float or "model", optional
        Lifetime value of a converted user, for LTV:CAC. ``"model"``: the churn module's
        BG/NBD + Gamma-Gamma 12-month value (1 % monthly discount) averaged over the converted
        treated users, fitted on every purchaser up to ``as_of``; when that fit fails or does
        not converge, a ``ConvergenceWarning`` says so and the cohort ``metrics.ltv_curve``
        (cumulative revenue per user at its oldest age) is used; ``economics["ltv"]`` holds the
        value and ``conventions["ltv"]`` the method.
    overlap : {"error", "first", "drop"}, default "error"
        Users exposed to both arms: an error, keep their first exposure, or leave them out.
    assignment : pandas.Series, optional
        Arms given directly (user id -> "treatment" / "control"), overriding the campaign's
        control definition, e.g. the holdout drawn at launch (:func:`assign`) and stored.
        Assigned users without any event count as units whose outcomes are 0 (a warning
        gives their number on an in-memory log).  Each user must appear once.  On a
        :class:`~useropslib.events.LazyEventLog` the table is joined in the engine.
    min_units : int, default 30
        Fewest users an arm must have.

    Returns
    -------
    CampaignEvaluation or CounterfactualResult
        The latter for a campaign without a control group; its ``conventions["evaluation"]``
        says that the effect comes from a counterfactual, not from a control group.

    Raises
    ------
    InvalidParameterError
        An exposure event or goal events the log lacks (named), arms that
        overlap, an ``as_of`` before launch, a goal metric without a per-user outcome, an
        ``assignment`` with labels other than "treatment" / "control" or a user listed twice.
    InsufficientDataError
        An empty arm or one with fewer than ``min_units`` users.

    Warns
    -----
    InsufficientDataWarning
        No cost information (ROI, CAC left out), or an SRM alert.

    See Also
    --------
    compare_proportions, compare_means, sample_ratio_mismatch, adjust_p_values

    Notes
    -----
    The engines are gbstats' (see :func:`compare_proportions`). Arms: a hash holdout over the
    campaign's audience at launch (or every user with an event before launch), or each user's
    first exposure event. The evaluation window is the launch phase (else the primary goal's
    ``[start, deadline)``), cut at ``as_of``. Binary goals (paying, active, reactivated users,
    ordered conversion) are compared as proportions, money and order goals as means per user.
    The SRM check uses the holdout share (exposure arms: an equal split).

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=4000, lift=0.3, seed=2)
    >>> ev = evaluate(data.campaign, data.log)
    >>> bool(ev.ci[0] < 0.3 < ev.ci[1]), bool(ev.srm.flagged)
    (True, False)
    """
    what = "evaluate"
    if not isinstance(campaign, Campaign):
        raise InvalidParameterError(
            f"{what}: campaign must be a useropslib.models.Campaign, got {type(campaign).__name__}."
        )
    if not isinstance(overlap, str) or overlap not in ("error", "first", "drop"):
        raise InvalidParameterError(f"overlap must be 'error', 'first' or 'drop', got {overlap!r}.")
    if not isinstance(pre_period, int) or pre_period < 1:
        raise InvalidParameterError(
            f"pre_period must be a whole number of days >= 1, got {pre_period!r}."
        )
    if isinstance(ltv, str) and (
        ltv != "model" or getattr(campaign.primary_goal.metric, "purchase_event", None) is None
    ):
        kind = getattr(campaign.primary_goal.metric, "kind", None)
        raise InvalidParameterError(
            f"{what}: ltv={ltv!r} needs ltv='model' and a purchase goal (paying users, orders, "
            f"revenue, ARPU); the primary goal's metric is {kind!r}. Hint: pass ltv= as a number."
        )
    engine = engine_plan(campaign, events, assignment)
    # the engine route reads names and the clock from the lazy log and collects no event rows
    log: Any = _load_needed(campaign, events, assignment) if engine is None else events
    for goal in campaign.goals:
        if goal.metric is None:
            raise InvalidParameterError(
                f"{what}: goal {goal.label!r} has no metric, so it cannot be measured. Hint: "
                "give it a MetricSpec (e.g. PayingUsersSpec()) or drop it."
            )
        _required(log, goal.metric, what)
    at = resolve_as_of(log, as_of) if engine is None else engine.as_of(as_of)
    if at is None:
        raise InsufficientDataError(f"{what}: the log is empty; nothing to evaluate.")
    if campaign.control is None and assignment is None:
        return _without_control(campaign, log, as_of=at.stamp, alpha=alpha)
    start_ns, end_ns = evaluation_window(campaign, log, at.ns)
    pre_start = start_ns - pre_period * _NS_PER_DAY
    if engine is not None:
        known = engine.events.start
        log_start = start_ns if known is None else int(known.value)
    else:
        log_start = int(log.timestamps_ns.min()) if log.n_events else start_ns
        first = getattr(events, "start", None)  # a lazy log knows its first event
        if isinstance(first, pd.Timestamp):
            log_start = min(log_start, int(first.value))
    use_pre = cuped and log_start <= pre_start
    outcome: Callable[..., tuple[npt.NDArray[np.float64], bool]]
    outcome = functools.partial(unit_outcomes, log)
    codes = np.zeros(0, dtype=np.int64)
    treated = np.zeros(0, dtype=bool)
    if engine is not None:
        # per-arm statistics in the engine: a few rows come back, no per-unit arrays here
        engine.compute(
            start_ns=start_ns, end_ns=end_ns, pre_start=pre_start, cuped=use_pre, overlap=overlap
        )
        n_t, n_c, arm_info = engine.sizes()
    else:
        codes, treated, arm_info = resolve_arms(
            log, campaign, start_ns=start_ns, end_ns=end_ns, overlap=overlap, assignment=assignment
        )
        if assignment is not None:
            # assigned users without an event are units whose outcomes are all 0 (as in the
            # engine, where the arm table is left-joined): they follow the known units
            given = pd.Series(assignment)
            absent = given.to_numpy()[log.users.get_indexer(given.index) < 0] == "treatment"
            if absent.size:
                treated = np.r_[treated, absent]
                outcome = functools.partial(_padded_outcomes, log, absent.size)
        n_t, n_c = int(treated.sum()), int((~treated).sum())
    if min(n_t, n_c) < min_units:
        empty = "control" if n_c < n_t else "treatment"
        raise InsufficientDataError(
            f"{what}: the {empty} arm has {min(n_t, n_c)} users (treatment {n_t}, control "
            f"{n_c}); at least {min_units} per arm are needed. Hint: wait for more users, check "
            "the control definition, or lower min_units."
        )
    labels = np.where(treated, "treatment", "control")
    # SRM
    if arm_info["source"] == "holdout":
        share = float(arm_info["share"])
        srm = sample_ratio_mismatch(
            [n_c, n_t],
            weights=[share, 1 - share],
            arms=["control", "treatment"],
            threshold=srm_threshold,
        )
    else:
        srm = sample_ratio_mismatch(
            [n_c, n_t], weights=[1, 1], arms=["control", "treatment"], threshold=srm_threshold
        )
    if srm.flagged:
        warnings.warn(
            f"{what}: sample-ratio mismatch (p = {srm.p_value:.2g} < {srm_threshold}): control "
            f"{n_c}, treatment {n_t}. The comparison is shown but should not be trusted until "
            "the assignment is explained.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    rows = []
    primary: tuple[ComparisonResult, ComparisonResult] | None = None
    primary_stats = pd.DataFrame()
    cuped_used = False
    for i, goal in enumerate(campaign.goals):
        if engine is not None:
            stats, binary, has_covariate = engine.statistics(
                goal.metric,
                start_ns=start_ns,
                end_ns=end_ns,
                pre=(pre_start, start_ns - 1) if use_pre else None,
            )
        else:
            y, binary = outcome(goal.metric, codes=codes, start_ns=start_ns, end_ns=end_ns)
            covariate = None
            if use_pre:
                x, _ = outcome(goal.metric, codes=codes, start_ns=pre_start, end_ns=start_ns - 1)
                if np.var(x) > 0:
                    covariate = x
            has_covariate = covariate is not None
            stats = arm_statistics(y, arm=labels, covariate=covariate)
            stats = stats.reindex(["control", "treatment"])
        opts: dict[str, Any] = {"difference": difference, "alpha": alpha, "min_units": min_units}
        try:
            if has_covariate:
                freq = compare_means(stats, **opts)
                bayes = compare_means(stats, engine="bayesian", prior=prior, **opts)
            elif binary:
                freq = compare_proportions(stats, **opts)
                bayes = compare_proportions(stats, engine="bayesian", prior=prior, **opts)
            else:
                freq = compare_means(stats, cuped=False, **opts)
                bayes = compare_means(stats, cuped=False, engine="bayesian", prior=prior, **opts)
        except (InsufficientDataError, InvalidParameterError) as exc:
            if i == 0:
                raise
            warnings.warn(
                f"{what}: secondary goal {goal.label!r} left out: {exc}",
                InsufficientDataWarning,
                stacklevel=2,
            )
            continue
        if i == 0:
            primary = (freq, bayes)
            primary_stats = stats
            cuped_used = has_covariate
        f, b = freq.table.iloc[0], bayes.table.iloc[0]
        means = stats["sum"] / stats["n"]
        rows.append(
            {
                "goal": goal.label if goal.name is None else goal.name,
                "role": "primary" if i == 0 else "secondary",
                "metric": str(getattr(goal.metric, "kind", "")),
                "outcome": "binary" if binary else "mean",
                "n_control": int(stats["n"].to_numpy()[0]),
                "n_treatment": int(stats["n"].to_numpy()[1]),
                "control_mean": float(means["control"]),
                "treatment_mean": float(means["treatment"]),
                "estimate": float(f["estimate"]),
                "ci_low": float(f["ci_low"]),
                "ci_high": float(f["ci_high"]),
                "p_value": float(f["p_value"]),
                "cuped": has_covariate,
                "chance_to_win": float(b["chance_to_win"]),
                "risk_control": float(b["risk_control"]),
                "risk_treatment": float(b["risk_treatment"]),
            }
        )
    assert primary is not None
    table = pd.DataFrame(rows).set_index("goal")
    adj = np.full(len(table), np.nan)
    adj[0] = table["p_value"].iloc[0]
    if len(table) > 1:
        adj[1:] = adjust_p_values(table["p_value"].to_numpy()[1:], method=correction)
    table.insert(table.columns.get_loc("p_value") + 1, "p_adjusted", adj)
    value_stats = None
    spec = campaign.primary_goal.metric
    if table["outcome"].iloc[0] == "binary" and value_per_conversion is None:
        purchase = getattr(spec, "purchase_event", None)
        has_values = log.values is not None if engine is None else engine.has_values
        if purchase is not None and has_values:
            money = RevenueSpec(purchase_event=purchase, value_col=getattr(spec, "value_col", None))
            if engine is not None:
                value_stats = engine.statistics(money, start_ns=start_ns, end_ns=end_ns)[0]
            else:
                v, _ = outcome(money, codes=codes, start_ns=start_ns, end_ns=end_ns)
                value_stats = arm_statistics(v, arm=labels).reindex(["control", "treatment"])
    ltv_method = "given" if ltv is not None else "not given"
    if ltv == "model":
        buys: tuple[str, ...] = tuple(getattr(spec, "purchase_event", ()))
        if engine is None:
            money_log = log
            y0, _ = outcome(spec, codes=codes, start_ns=start_ns, end_ns=end_ns)
            converted = log.users[codes[(treated & (y0 > 0))[: codes.size]]]
        else:
            money_log = load(events, EventSelector.parse(list(buys)))
            converted = _engine_converted(
                engine, campaign, spec, start_ns=start_ns, end_ns=end_ns, overlap=overlap
            )
        ltv, ltv_method = model_ltv(
            money_log, converted, purchase_event=buys, as_of=at.stamp, cohorts=events
        )
    assert not isinstance(ltv, str)
    economics = _economics(
        campaign,
        primary_stats,
        value_stats=value_stats,
        binary=table["outcome"].iloc[0] == "binary",
        alpha=alpha,
        value_per_conversion=value_per_conversion,
        ltv=ltv,
    )
    primary_goal: Goal = campaign.primary_goal
    conventions = {
        "arms": {
            "holdout": "hash holdout (campaigns.holdout_bucket, as campaigns.assign) over "
            "the audience at launch",
            "exposure": "each user's first exposure event's variant property",
            "assignment": "the assignment given",
        }[arm_info["source"]],
        "window": "launch phase, else the primary goal's [start, deadline), cut at as_of",
        "frequentist": "gbstats: Welch t, Welch-Satterthwaite dof, delta-method relative lift",
        "bayesian": "gbstats: normal posterior on the lift, "
        + ("flat improper prior" if prior is None else f"Gaussian prior {prior}"),
        "difference": difference,
        "cuped": (
            f"theta pooled over arms, pre-period {pre_period} days" if cuped_used else "not used"
        ),
        "srm": f"Pearson chi-square, alert below {srm_threshold}",
        "correction": f"{correction} over secondary goals",
        "incremental": "absolute difference per treated user times treated users",
        "ltv": {
            "bgnbd_gamma_gamma": "churn BG/NBD + Gamma-Gamma, 12 months, 1% monthly discount",
            "ltv_curve": "cohort ltv_curve at its oldest age (the model did not converge)",
            "given": "given",
            "not given": "not given",
        }[ltv_method],
    }
    return CampaignEvaluation(
        params={
            "campaign": campaign.id,
            "goal": primary_goal.label,
            "difference": difference,
            "alpha": alpha,
            "cuped": cuped,
            "pre_period": pre_period,
            "correction": correction,
            "window": (pd.Timestamp(start_ns, tz="UTC"), pd.Timestamp(end_ns, tz="UTC")),
            **arm_info,
        },
        as_of=at.stamp,
        table=table,
        frequentist=primary[0],
        bayesian=primary[1],
        srm=srm,
        economics=economics,
        arms=primary_stats,
        conventions=conventions,
    )


NO_CONTROL_NOTE = (
    "no control group: the effect is estimated from a counterfactual of the primary goal's "
    "daily series (structural time series fitted on the days before the launch), not against "
    "a control group"
)


def _without_control(
    campaign: Campaign, log: EventLog, *, as_of: Any, alpha: float
) -> CounterfactualResult:
    """Return the counterfactual evaluation of a campaign that has no control group."""
    res = counterfactual_effect(campaign, log, as_of=as_of, alpha=alpha)
    return dataclasses.replace(res, conventions={"evaluation": NO_CONTROL_NOTE, **res.conventions})


def _economics(
    campaign: Campaign,
    stats: pd.DataFrame,
    *,
    binary: bool,
    alpha: float,
    value_per_conversion: float | None,
    ltv: float | None,
    value_stats: pd.DataFrame | None = None,
) -> pd.Series:
    absolute = (
        compare_means(stats, cuped=False, difference="absolute", alpha=alpha)
        if not binary
        else compare_proportions(stats, difference="absolute", alpha=alpha)
    )
    n_t = float(stats["n"]["treatment"])
    inc = absolute.estimate * n_t
    lo, hi = (absolute.ci[0] * n_t, absolute.ci[1] * n_t)
    conversions = float(stats["sum"]["treatment"])
    if binary and value_per_conversion is not None:
        value = inc * value_per_conversion
    elif binary and value_stats is not None:
        means = value_stats["sum"] / value_stats["n"]
        value = float(means["treatment"] - means["control"]) * n_t
    elif binary:
        value = math.nan
    else:
        value = inc
    cost = _cost(campaign, int(n_t), conversions)
    nan = math.nan
    if cost <= 0:
        warnings.warn(
            f"evaluate: campaign {campaign.id!r} has no costs (no budget lines, channel costs or "
            "reward), so ROI, CAC and cost per incremental conversion are left out. Hint: add "
            "budget lines or channel costs to the Campaign.",
            InsufficientDataWarning,
            stacklevel=3,
        )
        roi = cac = cpic = ltv_cac = nan
        cost_out = nan
    else:
        cost_out = cost
        roi = (value - cost) / cost if not math.isnan(value) else nan
        cac = cost / conversions if binary and conversions > 0 else nan
        cpic = cost / inc if binary and inc > 0 else nan
        ltv_cac = ltv / cac if ltv is not None and not math.isnan(cac) and cac > 0 else nan
    out: pd.Series = pd.Series(
        {
            "cost": cost_out,
            "incremental_conversions": inc if binary else nan,
            "incremental_conversions_low": lo if binary else nan,
            "incremental_conversions_high": hi if binary else nan,
            "incremental_value": value,
            "roi": roi,
            "cac": cac,
            "cost_per_incremental_conversion": cpic,
            "ltv_to_cac": ltv_cac,
            "ltv": math.nan if ltv is None else float(ltv),
        },
        name="economics",
    )
    return out
