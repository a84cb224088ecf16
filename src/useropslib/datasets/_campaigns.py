"""Seeded synthetic campaigns with a known true lift, for docs, demos and tests."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from useropslib._checks import check_int, is_real
from useropslib.campaigns import holdout_control
from useropslib.events import EventLog, check_tz
from useropslib.exceptions import InvalidParameterError
from useropslib.models import (
    Campaign,
    Channel,
    DateLike,
    ExposureControl,
    Goal,
    HoldoutControl,
    OrdersSpec,
    ParticipationFunnel,
    PayingUsersSpec,
    Phase,
    ReactivatedUsersSpec,
    RevenueSpec,
)

__all__ = ["SyntheticCampaign", "synthetic_campaign"]

_DAY = pd.Timedelta(days=1)


class SyntheticCampaign(NamedTuple):
    """A synthetic campaign: its event log, its plan and the truth it was generated from.

    Attributes
    ----------
    log : EventLog
        Signups, pre-period purchases, exposures, messages, purchases in and after the window.
    campaign : Campaign
        The plan (primary goal: paying users; secondary: revenue and orders), channel costs,
        the launch phase, the participation funnel (delivered → opened → clicked → the goal's
        event) and the control group.
    truth : dict
        ``lift`` (true relative lift of the purchase probability), ``base_rate`` (mean purchase
        probability without the campaign), ``control_share`` (planned), ``dip``, ``launch``,
        ``end`` (exclusive) and ``after_end``.
    """

    log: EventLog
    campaign: Campaign
    truth: dict[str, Any]


def synthetic_campaign(
    *,
    n_users: int = 5000,
    lift: float = 0.2,
    base_rate: float = 0.1,
    control: Literal["exposure", "holdout", "none"] = "exposure",
    goal: Literal["purchase", "reactivation"] = "purchase",
    control_share: float = 0.5,
    assigned_share: float | None = None,
    days: int = 14,
    pre_days: int = 28,
    after_days: int = 14,
    dip: float = 0.0,
    value_mean: float = 40.0,
    cost_per_contact: float = 0.05,
    fixed_cost: float = 200.0,
    seed: int = 0,
    start: DateLike = "2024-03-01",
    tz: str = "Asia/Shanghai",
) -> SyntheticCampaign:
    """Generate a campaign with a known true lift on the purchase probability (活动模拟数据).

    Each user has a purchase probability per window ``p_i = base_rate * g_i`` (``g_i`` gamma
    with mean 1, so users differ and the pre-period predicts the window: CUPED has something to
    use). During the ``days``-day campaign window a treated user buys with probability
    ``p_i (1 + lift)``, a control user with ``p_i``, so the true relative lift of the
    paying-user rate is exactly ``lift``; the pre-period and the after-window follow the same
    process per block of ``days`` days (a fifth of buyers buy twice). Treated users receive a
    push message (sent, delivered, opened, clicked). In the ``after_days`` after the window,
    treated users buy with probability ``p_i (1 - dip)``: a pull-forward dip a counterfactual
    method can recover.  With ``control="none"`` the window's purchases start at the launch, so
    the goal's daily series (everyone treated) rises by exactly ``lift`` over the launch phase
    and falls by ``dip`` after it: the truth a counterfactual estimate should recover.  With
    arms they start 12 hours after the launch, once exposures and messages are out.

    Parameters
    ----------
    n_users : int, default 5000
    lift : float, default 0.2
        True relative lift (``> -1``).
    base_rate : float, default 0.1
        Mean purchase probability in the window without the campaign, in (0, 1).
    goal : {"purchase", "reactivation"}, default "purchase"
        ``"purchase"``: a conversion campaign whose goal is paying users (secondary: revenue and
        orders). ``"reactivation"``: a recall (召回) campaign whose goal is reactivated users
        (an ``app_open`` in the window, with the same lift), purchases untouched (secondary goal:
        paying users, true lift 0).
    control : {"exposure", "holdout", "none"}, default "exposure"
        Arms recorded as exposure events (``campaign_exposure`` with a ``variant`` property), a
        hash holdout (:func:`useropslib.campaigns.holdout_control`), or no control group
        (everyone treated).
    control_share : float, default 0.5
        Planned control share.
    assigned_share : float, optional
        The control share actually drawn (exposure arms only); default ``control_share``. A
        different value injects a sample-ratio mismatch (e.g. 0.48 for a 52/48 split).
    days, pre_days, after_days : int
        Lengths (days) of the campaign window, the pre-period and the after-window.
    dip : float, default 0.0
        Relative drop of treated users' purchases in the after-window, in [0, 1).
    value_mean : float, default 40.0
        Mean purchase value (gamma distributed).
    cost_per_contact, fixed_cost : float
        The push channel's costs.
    seed : int, default 0
    start : date-like, default "2024-03-01"
        The first day of the pre-period (local); the launch is ``pre_days`` later.
    tz : str, default "Asia/Shanghai"

    Returns
    -------
    SyntheticCampaign

    Raises
    ------
    InvalidParameterError
        Out-of-range rates, shares, lift or dip, or non-positive lengths.

    Examples
    --------
    >>> data = synthetic_campaign(n_users=500, lift=0.3, seed=1)
    >>> data.truth["lift"], data.campaign.control.kind
    (0.3, 'exposure')
    """
    if not is_real(base_rate) or not 0 < base_rate < 1:
        raise InvalidParameterError(f"base_rate must lie in (0, 1), got {base_rate!r}.")
    if not is_real(lift) or not -1 < lift < 1e6:
        raise InvalidParameterError(f"lift must be above -1, got {lift!r}.")
    if base_rate * (1 + lift) >= 1:
        raise InvalidParameterError(
            f"base_rate * (1 + lift) = {base_rate * (1 + lift):.3g} must stay below 1. Hint: "
            "lower the base rate or the lift."
        )
    if not is_real(control_share) or not 0 < control_share < 1:
        raise InvalidParameterError(f"control_share must lie in (0, 1), got {control_share!r}.")
    drawn = control_share if assigned_share is None else assigned_share
    if not is_real(drawn) or not 0 < drawn < 1:
        raise InvalidParameterError(f"assigned_share must lie in (0, 1), got {assigned_share!r}.")
    if not is_real(dip) or not 0 <= dip < 1:
        raise InvalidParameterError(f"dip must lie in [0, 1), got {dip!r}.")
    for name, v in (
        ("value_mean", value_mean),
        ("cost_per_contact", cost_per_contact),
        ("fixed_cost", fixed_cost),
    ):
        if not is_real(v) or not 0 <= v < 1e12:
            raise InvalidParameterError(
                f"{name} must be a non-negative number below 1e12, got {v!r:.60}."
            )
    value_mean = float(value_mean) + 0.0  # -0.0 is 0.0
    if not isinstance(goal, str) or goal not in ("purchase", "reactivation"):
        raise InvalidParameterError(f"goal must be 'purchase' or 'reactivation', got {goal!r}.")
    if not isinstance(control, str) or control not in ("exposure", "holdout", "none"):
        raise InvalidParameterError(
            f"control must be 'exposure', 'holdout' or 'none', got {control!r}."
        )
    for name, v in (("n_users", n_users), ("days", days), ("pre_days", pre_days)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 10**7:
            raise InvalidParameterError(f"{name} must be a positive whole number, got {v!r}.")
    if isinstance(after_days, bool) or not isinstance(after_days, int) or after_days < 0:
        raise InvalidParameterError(f"after_days must be >= 0, got {after_days!r}.")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0, hint="seed=0"))
    tz = check_tz(tz)
    try:
        t0 = pd.Timestamp(start)
        if t0 is pd.NaT:
            raise ValueError("NaT")
        t0 = t0.as_unit("ns")  # out of pandas' nanosecond range: OutOfBoundsDatetime
        t0 = t0.tz_localize(tz) if t0.tzinfo is None else t0.tz_convert(tz)
        launch = t0 + pre_days * _DAY
        end = launch + days * _DAY
        after_end = end + after_days * _DAY
        _ = t0 - 30 * _DAY  # signups start 30 days before the data
    except (TypeError, ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        raise InvalidParameterError(
            f"start={start!r:.60} is not a date that can start the campaign data (with "
            f"{pre_days + days + after_days} days after it, before 2262-04-11). "
            "Hint: start='2024-03-01'."
        ) from None
    width = len(str(n_users - 1))
    ids = np.array([f"u{i:0{width}d}" for i in range(n_users)], dtype=object)
    cap = 1 / (base_rate * (1 + lift)) * 0.999
    g = np.minimum(rng.gamma(2.0, 0.5, n_users), cap)
    g = g / g.mean()
    g = np.minimum(g, cap)
    p = base_rate * g
    if control == "holdout":
        in_control = holdout_control(ids, share=control_share, salt="synthetic-campaign")
    elif control == "exposure":
        in_control = rng.random(n_users) < drawn
    else:
        in_control = np.zeros(n_users, dtype=bool)
    treated = ~in_control

    parts: list[pd.DataFrame] = []

    def add(
        users: np.ndarray, event: str, times: pd.DatetimeIndex | pd.Series, **props: Any
    ) -> None:
        frame = pd.DataFrame({"user_id": users, "event": event, "timestamp": times})
        for k, v in props.items():
            frame[k] = v
        parts.append(frame)

    def uniform(n: int, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
        span = (hi - lo).value
        out: pd.DatetimeIndex = pd.DatetimeIndex(
            lo + pd.to_timedelta(rng.integers(0, span, n), unit="ns")
        )
        return out

    def occur(prob: np.ndarray, lo: pd.Timestamp, hi: pd.Timestamp, event: str) -> None:
        # the same process in every period: in each block of `days` days a user does `event`
        # with probability prob (scaled for a shorter last block); a fifth of them twice
        b0 = lo
        while b0 < hi:
            b1 = min(b0 + days * _DAY, hi)
            frac = (b1 - b0) / (days * _DAY)
            bid = np.flatnonzero(rng.random(n_users) < prob * frac)
            again = bid[rng.random(bid.size) < 0.2]
            for who in (bid, again):
                times = uniform(who.size, b0, b1)
                props: dict[str, Any] = {}
                if event == "purchase":
                    props["value"] = rng.gamma(2.0, value_mean / 2, who.size)
                add(ids[who], event, times, **props)
            b0 = b1

    outcome = "purchase" if goal == "purchase" else "app_open"

    def purchases(prob: np.ndarray, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
        occur(prob, lo, hi, outcome)
        if goal == "reactivation":  # purchases go on, untouched by the campaign
            occur(p * 0.5, lo, hi, "purchase")

    # everyone exists before launch
    add(ids, "signup", uniform(n_users, t0 - 30 * _DAY, t0))
    # pre-period purchases: the same process as in the window, without the campaign
    purchases(p, t0, launch)
    # exposures and messages
    if control != "none":
        expo = uniform(n_users, launch, launch + pd.Timedelta(hours=12))
        if control == "exposure":
            add(
                ids,
                "campaign_exposure",
                expo,
                variant=np.where(treated, "treatment", "control"),
            )
    tid = np.flatnonzero(treated)
    sent_at = uniform(tid.size, launch, launch + pd.Timedelta(hours=12))
    camp_id = "spring_push" if goal == "purchase" else "winback_push"
    add(ids[tid], "message_sent", sent_at, channel="push", campaign=camp_id)
    delivered = rng.random(tid.size) < 0.95
    opened = delivered & (rng.random(tid.size) < 0.30)
    clicked = opened & (rng.random(tid.size) < 0.35)
    for name, m, minutes in (
        ("message_delivered", delivered, 1),
        ("message_opened", opened, 30),
        ("message_clicked", clicked, 31),
    ):
        add(
            ids[tid[m]],
            name,
            sent_at[m] + pd.Timedelta(minutes=minutes),
            channel="push",
            campaign=camp_id,
        )
    # the window: treated users buy with probability p (1 + lift).  With arms, purchases start
    # once the exposures and messages are out (12 hours), the same for both arms; without a
    # control group everyone is treated from the launch, so the window starts there: a gap
    # with no purchases at all would pull the campaign's effect on the daily series below
    # `lift` (by half a day of the window)
    window_start = launch if control == "none" else launch + pd.Timedelta(hours=12)
    purchases(np.where(treated, p * (1 + lift), p), window_start, end)
    # after the window: treated users dip (pull-forward)
    if after_days:
        purchases(np.where(treated, p * (1 - dip), p), end, after_end)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)
    log = EventLog.from_pandas(frame, value_col="value", tz=tz)
    baseline = float(n_users * (1 - control_share) * base_rate)

    def _truth() -> dict[str, Any]:
        return {
            "lift": lift,
            "base_rate": float(p.mean()),
            "control_share": control_share,
            "assigned_share": drawn,
            "dip": dip,
            "launch": launch,
            "end": end,
            "after_end": after_end,
            "goal": goal,
        }

    ctrl_model: HoldoutControl | ExposureControl | None
    if control == "holdout":
        ctrl_model = HoldoutControl(share=control_share, salt="synthetic-campaign")
    elif control == "exposure":
        ctrl_model = ExposureControl(event="campaign_exposure")
    else:
        ctrl_model = None
    goal_kw: dict[str, Any] = {"start": launch.to_pydatetime(), "deadline": end.to_pydatetime()}
    plan: dict[str, Any] = {
        "channels": (
            Channel(name="push", cost_per_contact=cost_per_contact, fixed_cost=fixed_cost),
        ),
        "phases": (Phase(name="launch", start=launch.to_pydatetime(), end=end.to_pydatetime()),),
        "control": ctrl_model,
        "funnel": ParticipationFunnel(
            attention="message_delivered",
            interest="message_opened",
            weigh="message_clicked",
            action=outcome,
        ),
    }
    if goal == "reactivation":
        campaign = Campaign(
            id=camp_id,
            name="Win-back push",
            type="recall",
            primary_goal=Goal(
                kind="recall",
                metric=ReactivatedUsersSpec(activity_events="app_open"),
                baseline=baseline,
                target=baseline * 1.2 + 1,
                name="reactivated users",
                **goal_kw,
            ),
            secondary_goals=(
                Goal(
                    kind="conversion",
                    metric=PayingUsersSpec(),
                    target=baseline + 1,
                    name="paying users",
                    **goal_kw,
                ),
            ),
            **plan,
        )
        return SyntheticCampaign(log=log, campaign=campaign, truth=_truth())
    campaign = Campaign(
        id="spring_push",
        name="Spring push",
        type="conversion",
        primary_goal=Goal(
            kind="conversion",
            metric=PayingUsersSpec(),
            baseline=baseline,
            target=baseline * 1.2 + 1,
            name="paying users",
            **goal_kw,
        ),
        secondary_goals=(
            Goal(
                kind="revenue",
                metric=RevenueSpec(),
                target=baseline * value_mean * 1.2 + 1,
                name="revenue",
                **goal_kw,
            ),
            Goal(
                kind="conversion",
                metric=OrdersSpec(),
                target=baseline * 1.3 + 1,
                name="orders",
                **goal_kw,
            ),
        ),
        **plan,
    )
    return SyntheticCampaign(log=log, campaign=campaign, truth=_truth())
