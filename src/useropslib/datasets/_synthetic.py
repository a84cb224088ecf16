"""A seeded, vectorised generator of realistic product event logs.

The model, in the order it is drawn (every step is a whole-array numpy operation, no loop over
users or events):

1. **Acquisition.**  Signup days grow over the window (more on weekends), at local times that
   follow a daily rhythm; each user comes from a channel with a cost per acquired user and has a
   region, a device, an age band and a few tags.
2. **Onboarding.**  ``signup -> complete_profile -> upload_avatar -> first_post -> add_friend``,
   each step reached by 90% of those who reached the one before, minutes apart.
3. **Activity.**  Each user is either *long-lived* (a minority, more likely after uploading an
   avatar, posting, coming from organic or referral channels, on iOS, or tagged VIP) or
   *short-lived*; lifetimes are exponential (mean 400 days and 6 days), so retention curves drop
   and then flatten.  Sessions follow a Poisson process whose rate is power-law distributed
   across users (Pareto) and decays with account age.  Some users who lapsed come back after a
   dormant gap (resurrection).  A session is an ``app_open`` followed by actions (``view_item``,
   ``like``, ``post``, ``share``, ``add_to_cart``).
4. **Monetisation.**  A minority of users are payers; their ``add_to_cart`` turns into a
   ``purchase`` 60% of the time, with a lognormal value.
5. **Campaign.**  Users who signed up before the campaign day are the audience, split at random
   into treatment and control.  The treatment arm gets a message by email, SMS or push:
   ``message_sent -> message_delivered -> message_opened -> message_clicked`` (with a ``channel``
   property); users who open or click come back for a while, so treated users return more than
   control users after the campaign.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog, check_tz
from useropslib.exceptions import InvalidParameterError
from useropslib.models import DateLike

__all__ = ["EVENT_NAMES", "ONBOARDING_STEPS", "SyntheticData", "synthetic", "synthetic_frame"]

#: Onboarding steps in order; each is reached by about 90% of the users who reached the previous.
ONBOARDING_STEPS: tuple[str, ...] = (
    "signup",
    "complete_profile",
    "upload_avatar",
    "first_post",
    "add_friend",
)
_ACTIONS: tuple[str, ...] = ("view_item", "like", "post", "share", "add_to_cart")
_MESSAGES: tuple[str, ...] = (
    "message_sent",
    "message_delivered",
    "message_opened",
    "message_clicked",
)
#: Every event name the generator can emit.
EVENT_NAMES: tuple[str, ...] = (
    *ONBOARDING_STEPS,
    "app_open",
    *_ACTIONS,
    "purchase",
    *_MESSAGES,
)
_E = {name: np.int8(i) for i, name in enumerate(EVENT_NAMES)}

_STEP_RATE = 0.9  # share of users reaching an onboarding step who reach the next one
_STEP_GAP_DAYS = 4.0 / 1440  # mean minutes between onboarding steps, in days

# acquisition channels: share of signups, cost per acquired user, long-lived log-odds effect
_CHANNELS: tuple[str, ...] = ("organic", "search", "social", "referral", "ads")
_CHANNEL_SHARE = np.array([0.35, 0.20, 0.20, 0.10, 0.15])
_CHANNEL_COST = np.array([0.0, 4.0, 2.5, 1.5, 6.0])
_CHANNEL_EFFECT = np.array([0.4, 0.1, -0.2, 0.6, -0.5])

_REGIONS: tuple[str, ...] = ("cn", "hk", "tw", "sg", "us")
_REGION_SHARE = np.array([0.70, 0.08, 0.07, 0.08, 0.07])
_DEVICES: tuple[str, ...] = ("android", "ios", "web")
_DEVICE_SHARE = np.array([0.55, 0.35, 0.10])
_DEVICE_EFFECT = np.array([0.0, 0.2, -0.3])
_AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
_AGE_SHARE = np.array([0.28, 0.36, 0.20, 0.10, 0.06])

# tags: (name, share among 18-24 year olds, share among the others)
_TAGS: tuple[tuple[str, float, float], ...] = (
    ("vip", 0.04, 0.04),
    ("newsletter", 0.30, 0.30),
    ("student", 0.45, 0.03),
    ("beta_tester", 0.02, 0.02),
)

# local hour-of-day rhythm (signups and sessions)
_HOURLY = np.array(
    [
        [1.5, 1.0, 0.6, 0.4, 0.4, 0.6, 1.5, 3.0, 4.0, 4.0, 4.5, 5.0],  # 00:00 - 11:59
        [5.5, 5.0, 4.5, 4.5, 5.0, 5.5, 6.5, 7.5, 8.5, 8.5, 6.5, 3.5],  # 12:00 - 23:59
    ]
).ravel()
_HOURLY_P = _HOURLY / _HOURLY.sum()
_WEEKDAY_KEEP = np.array([0.85, 0.85, 0.85, 0.85, 0.9, 1.0, 1.0])  # Monday ... Sunday

# lifetimes and activity
_LONG_MEAN_DAYS = 400.0
_SHORT_MEAN_DAYS = 6.0
_BASE_RATE = 0.08  # sessions per day of a typical (Pareto minimum) user at signup
_RATE_SHAPE = 2.2  # Pareto tail index of users' session rates
_RATE_CAP = 30.0
_DECAY_TAU = 3.0  # days
_DECAY_BETA = 0.4  # rate(age) = rate * (1 + age / tau) ** -beta
_RESURRECT_P = 0.25
_ACTIONS_PER_SESSION = 1.4
_ACTION_P = np.array([0.50, 0.25, 0.08, 0.05, 0.12])
_ACTION_GAP_DAYS = 1.5 / 1440
_PURCHASE_P = 0.6
_VALUE_MEDIAN = 25.0
_VALUE_SIGMA = 0.9

# campaign
_MSG_CHANNELS: tuple[str, ...] = ("email", "sms", "push")
_MSG_SHARE_APP = np.array([0.3, 0.2, 0.5])
_MSG_SHARE_WEB = np.array([0.7, 0.3, 0.0])
_DELIVER_P = np.array([0.95, 0.97, 0.88])
_OPEN_P = np.array([0.22, 0.08, 0.12])
_CLICK_P = 0.35
_RETURN_P = {"clicked": 0.75, "opened": 0.35, "delivered": 0.08}
_RETURN_MEAN_DAYS = 14.0
_CAMPAIGN_HOUR = 10
_MS = 1_000_000  # nanoseconds


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class SyntheticData:
    """What :func:`synthetic` returns: an event log plus the tables that describe its users.

    Unpacking yields only the first two fields, so ``log, users = synthetic(...)`` works; reach
    the others by name.

    Attributes
    ----------
    events : EventLog
        The events, in the requested time zone.
    users : pandas.DataFrame
        One row per user: ``user_id``, ``signup_time`` (aware, local), ``channel`` (acquisition
        channel), ``acquisition_cost``, ``region``, ``device``, ``age_band``.
    tags : pandas.DataFrame
        One row per (``user_id``, ``tag``) a user carries: ``vip``, ``newsletter``,
        ``student``, ``beta_tester``.
    channels : pandas.DataFrame
        One row per acquisition channel: ``channel``, ``cost_per_user``, ``users`` acquired and
        ``spend``.
    campaign : pandas.DataFrame
        One row per audience member: ``user_id``, ``arm`` (``"treatment"`` or ``"control"``),
        ``channel`` (``"email"``, ``"sms"`` or ``"push"``; missing for control users) and the
        flags ``sent``, ``delivered``, ``opened``, ``clicked``, which match the ``message_*``
        events of the log.
    campaign_start : pandas.Timestamp
        When the campaign was sent (aware, local).
    params : dict
        The arguments that produced the data.
    """

    events: EventLog
    users: pd.DataFrame
    tags: pd.DataFrame
    channels: pd.DataFrame
    campaign: pd.DataFrame
    campaign_start: pd.Timestamp
    params: dict[str, Any]

    def __iter__(self) -> Iterator[Any]:
        """Yield ``events`` then ``users``, for ``log, users = synthetic(...)``."""
        yield self.events
        yield self.users

    def __repr__(self) -> str:
        return (
            f"SyntheticData(events={self.events!r}, users={len(self.users):,} rows, "
            f"tags={len(self.tags):,} rows, channels={len(self.channels)} rows, "
            f"campaign={len(self.campaign):,} rows, campaign_start={self.campaign_start})"
        )


@dataclasses.dataclass(frozen=True)
class _Generated:
    frame: pd.DataFrame
    users: pd.DataFrame
    tags: pd.DataFrame
    channels: pd.DataFrame
    campaign: pd.DataFrame
    campaign_start: pd.Timestamp
    params: dict[str, Any]


# ---------------------------------------------------------------------------- public functions
def synthetic(
    *,
    n_users: int = 10_000,
    days: int = 90,
    seed: int = 0,
    start: DateLike = "2024-01-01",
    tz: str = "Asia/Shanghai",
    intensity: float = 1.0,
    campaign_day: int | None = None,
) -> SyntheticData:
    """Generate a realistic, seeded event log of a consumer app, with its users and a campaign.

    The log has acquisition by channel (with a cost per user), an onboarding funnel losing about
    10% per step, power-law activity that decays with account age, dormancy and resurrection,
    retention curves that flatten, purchases with lognormal values from a minority of payers, user
    attributes and tags, and a randomised message campaign with a real effect.  The same
    arguments always give the same data.  About 10 events per user over 180 days; one million
    users take a few seconds.

    Parameters
    ----------
    n_users : int, default 10_000
        Users to sign up; ids are ``"u0"``-style strings zero-padded to one width, numbered in
        signup order.
    days : int, default 90
        Length of the window, in local calendar days; at least 2.
    seed : int, default 0
        Seed of the random generator.
    start : str, date or Timestamp, default "2024-01-01"
        First local calendar day of the window.
    tz : str, default "Asia/Shanghai"
        IANA time zone of the calendar (daily rhythm, day boundaries) and of the log.
    intensity : float, default 1.0
        Multiplies every user's session rate; session events grow roughly in proportion, while
        onboarding and campaign events do not.
    campaign_day : int, optional
        Day of the window (0-based) on which the campaign is sent at 10:00 local time.
        Default: two thirds into the window.

    Returns
    -------
    SyntheticData
        ``events`` (an :class:`~useropslib.events.EventLog`), ``users``, ``tags``,
        ``channels``, ``campaign``, ``campaign_start`` and ``params``.  Unpacks as
        ``log, users``.

    Raises
    ------
    InvalidParameterError
        For a non-positive ``n_users``, fewer than 2 ``days``, a negative ``seed``, an
        unreadable ``start``, an unknown ``tz``, a non-positive ``intensity`` or a
        ``campaign_day`` outside the window.

    See Also
    --------
    synthetic_frame : The same events as a pandas DataFrame.

    Notes
    -----
    Every event lies in ``[start, start + days)`` in ``tz`` and no user has an event before
    their ``signup``.  Timestamps are exact UTC instants; local day boundaries follow the zone's
    daylight-saving rules.

    Examples
    --------
    >>> import useropslib as uo
    >>> log, users = uo.datasets.synthetic(n_users=200, days=30, seed=1)
    >>> log.n_users, log.tz
    (200, 'Asia/Shanghai')
    >>> users.columns.tolist()
    ['user_id', 'signup_time', 'channel', 'acquisition_cost', 'region', 'device', 'age_band']
    >>> data = uo.datasets.synthetic(n_users=200, days=30, seed=1)
    >>> data.campaign.columns.tolist()
    ['user_id', 'arm', 'channel', 'sent', 'delivered', 'opened', 'clicked']
    >>> str(data.campaign_start)
    '2024-01-21 10:00:00+08:00'
    """
    g = _generate(
        n_users=n_users,
        days=days,
        seed=seed,
        start=start,
        tz=tz,
        intensity=intensity,
        campaign_day=campaign_day,
    )
    log = EventLog.from_pandas(g.frame, tz=g.params["tz"])
    return SyntheticData(
        events=log,
        users=g.users,
        tags=g.tags,
        channels=g.channels,
        campaign=g.campaign,
        campaign_start=g.campaign_start,
        params=g.params,
    )


def synthetic_frame(
    *,
    n_users: int = 10_000,
    days: int = 90,
    seed: int = 0,
    start: DateLike = "2024-01-01",
    tz: str = "Asia/Shanghai",
    intensity: float = 1.0,
    campaign_day: int | None = None,
) -> pd.DataFrame:
    """Generate the events of :func:`synthetic` as a plain pandas DataFrame.

    Same arguments, same events: ``EventLog.from_pandas(synthetic_frame(...), tz=tz)`` equals
    ``synthetic(...).events``.

    Parameters
    ----------
    n_users, days, seed, start, tz, intensity, campaign_day
        As in :func:`synthetic`.

    Returns
    -------
    pandas.DataFrame
        Rows sorted by time, columns ``user_id`` (str), ``event`` (str), ``timestamp`` (aware,
        in ``tz``), ``value`` (float, the amount of a ``purchase``, NaN elsewhere) and ``channel``
        (``"email"``, ``"sms"`` or ``"push"`` on ``message_*`` events, None elsewhere).

    Raises
    ------
    InvalidParameterError
        As :func:`synthetic`.

    Examples
    --------
    >>> from useropslib.datasets import synthetic_frame
    >>> df = synthetic_frame(n_users=50, days=14, seed=3)
    >>> df.columns.tolist()
    ['user_id', 'event', 'timestamp', 'value', 'channel']
    >>> str(df["timestamp"].dtype)
    'datetime64[ns, Asia/Shanghai]'
    >>> df["event"].iloc[0], bool(df["timestamp"].is_monotonic_increasing)
    ('signup', True)
    """
    return _generate(
        n_users=n_users,
        days=days,
        seed=seed,
        start=start,
        tz=tz,
        intensity=intensity,
        campaign_day=campaign_day,
    ).frame


# ---------------------------------------------------------------------------- validation
def _check_int(value: Any, name: str, minimum: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidParameterError(
            f"Invalid {name}={value!r}. Expected an integer >= {minimum}. Hint: {hint}"
        )
    return int(value)


def _check_start(start: Any, tz: str) -> pd.Timestamp:
    parsed: Any
    try:
        parsed = pd.Timestamp(start)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.NaT
    if not isinstance(parsed, pd.Timestamp) or isinstance(start, (bool, int, float)):
        raise InvalidParameterError(
            f"Invalid start={start!r}. Expected a calendar date such as '2024-01-01'. "
            "Hint: pass an ISO date string, a datetime.date or a pandas Timestamp."
        )
    ts: pd.Timestamp = parsed
    if ts.tzinfo is not None:
        ts = ts.tz_convert(tz).tz_localize(None)
    if ts != ts.normalize():
        raise InvalidParameterError(
            f"Invalid start={start!r}: it has a time of day. Expected a calendar date (the "
            f"window starts at local midnight in {tz}). Hint: pass start='{ts.date()}'."
        )
    return ts


def _params(
    *,
    n_users: Any,
    days: Any,
    seed: Any,
    start: Any,
    tz: Any,
    intensity: Any,
    campaign_day: Any,
) -> dict[str, Any]:
    n = _check_int(n_users, "n_users", 1, "pass the number of users to generate, e.g. 10_000.")
    d = _check_int(days, "days", 2, "the window needs at least two days (e.g. days=90).")
    for name, value, most in (("n_users", n, 10_000_000), ("days", d, 3_650)):
        if value > most:
            raise InvalidParameterError(
                f"Invalid {name}={value!r}. Expected at most {most:,}: synthetic logs are for "
                "tests and demos. Hint: generate several smaller logs."
            )
    s = _check_int(seed, "seed", 0, "pass a non-negative integer such as seed=0.")
    z = check_tz(tz)
    first_day = _check_start(start, z)
    if (
        isinstance(intensity, bool)
        or not isinstance(intensity, numbers.Real)
        or not math.isfinite(float(intensity))
        or not 0 < float(intensity) <= 100
    ):
        raise InvalidParameterError(
            f"Invalid intensity={intensity!r}. Expected a finite number > 0 (1.0 gives about 10 "
            "events per user over 180 days). Hint: use 2.0 for about twice as many sessions."
        )
    if campaign_day is None:
        c = max(1, (2 * d) // 3)
    else:
        c = _check_int(campaign_day, "campaign_day", 1, f"use a day from 1 to {d - 1}.")
        if c >= d:
            raise InvalidParameterError(
                f"Invalid campaign_day={campaign_day!r}: the window has days 0 to {d - 1}. "
                f"Expected 1 <= campaign_day <= {d - 1}. Hint: leave it unset for day "
                f"{(2 * d) // 3}."
            )
    return {
        "n_users": n,
        "days": d,
        "seed": s,
        "start": first_day.date().isoformat(),
        "tz": z,
        "intensity": float(intensity),
        "campaign_day": c,
    }


# ---------------------------------------------------------------------------- generation
def _user_ids(n: int) -> npt.NDArray[np.object_]:
    """``u0``-style ids zero-padded to one width, built without a Python loop."""
    width = len(str(n - 1))
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    points = np.empty((n, width + 1), dtype=np.uint32)
    points[:, 0] = ord("u")
    points[:, 1:] = np.arange(n, dtype=np.int64)[:, None] // powers % 10 + ord("0")
    text = points.view(np.dtype(f"U{width + 1}")).ravel()
    return text.astype(object)


def _objects(values: npt.NDArray[np.object_]) -> pd.Series:
    """Wrap a new object array of str/None without copying or type inference."""
    out: pd.Series = pd.Series(values, dtype=object, copy=False)
    return out


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def _cum_hazard(
    length: npt.NDArray[np.float64], beta: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Integral over [0, length] of (1 + a / tau) ** -beta."""
    one = 1.0 - beta
    out: npt.NDArray[np.float64] = _DECAY_TAU / one * ((1.0 + length / _DECAY_TAU) ** one - 1.0)
    return out


def _inverse_cum_hazard(
    y: npt.NDArray[np.float64], beta: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    one = 1.0 - beta
    out: npt.NDArray[np.float64] = _DECAY_TAU * ((1.0 + y * one / _DECAY_TAU) ** (1.0 / one) - 1.0)
    return out


def _intraday(rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    """Fractions of a local day following the hourly rhythm."""
    hour = rng.choice(24, size=size, p=_HOURLY_P)
    out: npt.NDArray[np.float64] = (hour + rng.random(size)) / 24.0
    return out


def _generate(**kwargs: Any) -> _Generated:
    p = _params(**kwargs)
    n, days, tz = p["n_users"], p["days"], p["tz"]
    rng = np.random.default_rng(p["seed"])

    # local midnights of days 0..days as UTC instants (DST-correct)
    try:
        naive = pd.date_range(p["start"], periods=days + 1, freq="D")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InvalidParameterError(
            f"start={p['start']!r} with days={days} runs past the dates pandas can hold "
            "(1677-09-22 to 2262-04-11). Hint: start='2024-01-01'."
        ) from None
    midnights = naive.tz_localize(
        tz, ambiguous=np.zeros(days + 1, dtype=bool), nonexistent="shift_forward"
    )
    day_ns = np.asarray(midnights.as_unit("ns").asi8, dtype=np.int64)
    day_len = np.diff(day_ns)
    weekday = np.asarray(naive.day_of_week[:days], dtype=np.int64)

    # ---- 1. acquisition ------------------------------------------------------------------------
    growth = (1.0 + 0.8 * np.arange(days) / days) * np.where(weekday >= 5, 1.15, 1.0)
    signup_day = rng.choice(days, size=n, p=growth / growth.sum())
    signup_t = np.sort(signup_day + _intraday(rng, n))  # ids are numbered in signup order
    channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_SHARE)
    region = rng.choice(len(_REGIONS), size=n, p=_REGION_SHARE)
    device = rng.choice(len(_DEVICES), size=n, p=_DEVICE_SHARE)
    age = rng.choice(len(_AGE_BANDS), size=n, p=_AGE_SHARE)
    young = age == 0
    tag_draws = rng.random((len(_TAGS), n))
    tag_has = np.stack([tag_draws[k] < np.where(young, t[1], t[2]) for k, t in enumerate(_TAGS)])
    vip = tag_has[0]

    # ---- 2. onboarding -------------------------------------------------------------------------
    n_steps = len(ONBOARDING_STEPS)
    reached = np.ones((n_steps, n), dtype=bool)
    step_t = np.empty((n_steps, n))
    step_t[0] = signup_t
    step_draws = rng.random((n_steps - 1, n))
    step_gaps = rng.exponential(_STEP_GAP_DAYS, size=(n_steps - 1, n))
    for k in range(1, n_steps):  # over the 5 steps, never over users
        reached[k] = reached[k - 1] & (step_draws[k - 1] < _STEP_RATE)
        step_t[k] = step_t[k - 1] + step_gaps[k - 1]

    # ---- 3. lifetimes and session rates --------------------------------------------------------
    logit = (
        -3.0
        + 0.4 * reached[1]
        + 1.0 * reached[2]
        + 0.5 * reached[3]
        + 0.3 * reached[4]
        + _CHANNEL_EFFECT[channel]
        + _DEVICE_EFFECT[device]
        + 0.5 * vip
    )
    long_lived = rng.random(n) < _sigmoid(logit)
    lifetime = rng.exponential(1.0, size=n) * np.where(
        long_lived, _LONG_MEAN_DAYS, _SHORT_MEAN_DAYS
    )
    rate = (
        _BASE_RATE
        * p["intensity"]
        * np.minimum(rng.pareto(_RATE_SHAPE, size=n) + 1.0, _RATE_CAP)
        * np.where(long_lived, 1.5, 1.0)
    )
    payer = rng.random(n) < _sigmoid(-1.6 + 1.5 * vip + 0.5 * (device == 1) + 0.7 * long_lived)

    # segments of activity: (user, start, length, rate, decay exponent)
    seg_user = [np.arange(n)]
    seg_start = [signup_t]
    seg_len = [np.minimum(lifetime, days - signup_t)]
    seg_rate = [rate]
    seg_beta = [np.full(n, _DECAY_BETA)]

    # resurrection of some lapsed users after a dormant gap
    back = signup_t + lifetime + 10.0 + rng.exponential(25.0, size=n)
    res_len = rng.exponential(8.0, size=n)
    resurrect = (rng.random(n) < _RESURRECT_P) & (back < days)
    seg_user.append(np.flatnonzero(resurrect))
    seg_start.append(back[resurrect])
    seg_len.append(np.minimum(res_len[resurrect], days - back[resurrect]))
    seg_rate.append(0.7 * rate[resurrect])
    seg_beta.append(np.zeros(int(resurrect.sum())))

    # ---- 5. campaign (before sessions: it adds a segment of activity) --------------------------
    c_day = p["campaign_day"]
    campaign_start = (
        pd.Timestamp(p["start"]) + pd.Timedelta(days=c_day, hours=_CAMPAIGN_HOUR)
    ).tz_localize(tz, ambiguous=False, nonexistent="shift_forward")
    t_campaign = c_day + (campaign_start.value - day_ns[c_day]) / day_len[c_day]
    audience = np.flatnonzero(signup_t < c_day)
    treated = rng.random(audience.size) < 0.5
    t_users = audience[treated]
    m = t_users.size
    web = device[t_users] == 2
    msg_u = rng.random(m)
    cdf_app, cdf_web = np.cumsum(_MSG_SHARE_APP), np.cumsum(_MSG_SHARE_WEB)
    msg_ch = np.where(
        web,
        np.searchsorted(cdf_web, msg_u * cdf_web[-1], side="right"),
        np.searchsorted(cdf_app, msg_u * cdf_app[-1], side="right"),
    )
    alive = (signup_t[t_users] + lifetime[t_users]) > t_campaign
    t_sent = t_campaign + rng.random(m) * (30.0 / 1440)
    t_deliv = t_sent + rng.exponential(1.0 / 1440, size=m)
    t_open = t_deliv + rng.exponential(3.0 / 24, size=m)
    t_click = t_open + rng.exponential(2.0 / 1440, size=m)
    delivered = (rng.random(m) < _DELIVER_P[msg_ch]) & (t_deliv < days)
    open_p = np.minimum(_OPEN_P[msg_ch] * np.where(alive, 1.8, 1.0), 1.0)
    opened = delivered & (rng.random(m) < open_p) & (t_open < days)
    clicked = opened & (rng.random(m) < _CLICK_P) & (t_click < days)
    sent = t_sent < days
    return_p = np.select(
        [clicked, opened, delivered],
        [_RETURN_P["clicked"], _RETURN_P["opened"], _RETURN_P["delivered"]],
        0.0,
    )
    returns = rng.random(m) < return_p
    ret_start = np.where(clicked, t_click, np.where(opened, t_open, t_deliv))[returns]
    seg_user.append(t_users[returns])
    seg_start.append(ret_start)
    seg_len.append(
        np.minimum(rng.exponential(_RETURN_MEAN_DAYS, size=int(returns.sum())), days - ret_start)
    )
    seg_rate.append(np.maximum(rate[t_users[returns]], p["intensity"]))  # >= intensity/day
    seg_beta.append(np.zeros(int(returns.sum())))

    # ---- 3b. sessions: a Poisson process per segment, placed by the inverse cumulative rate ----
    su, ss = np.concatenate(seg_user), np.concatenate(seg_start)
    sl, sr, sb = np.concatenate(seg_len), np.concatenate(seg_rate), np.concatenate(seg_beta)
    sl = np.maximum(sl, 0.0)
    total = _cum_hazard(sl, sb)
    n_sess = rng.poisson(sr * total)
    which = np.repeat(np.arange(su.size), n_sess)
    offset = _inverse_cum_hazard(rng.random(which.size) * total[which], sb[which])
    sess_t = ss[which] + np.minimum(offset, sl[which])
    sess_u = su[which]
    # daily rhythm: keep the session's day, redraw its time of day; never before the segment
    day_of = np.floor(sess_t)
    sess_t = day_of + _intraday(rng, sess_t.size)
    seg_begin = ss[which]
    early = sess_t < seg_begin
    sess_t[early] = seg_begin[early] + rng.random(int(early.sum())) * (
        day_of[early] + 1.0 - seg_begin[early]
    )
    # a quieter working week
    keep = (
        rng.random(sess_t.size)
        < _WEEKDAY_KEEP[weekday[np.minimum(day_of, days - 1).astype(np.int64)]]
    )
    sess_t, sess_u = sess_t[keep], sess_u[keep]

    # actions inside sessions, a minute or two apart
    n_act = rng.poisson(_ACTIONS_PER_SESSION, size=sess_t.size)
    act_sess = np.repeat(np.arange(sess_t.size), n_act)
    gaps = rng.exponential(_ACTION_GAP_DAYS, size=act_sess.size)
    csum = np.cumsum(gaps)
    busy = n_act > 0
    first = (np.cumsum(n_act) - n_act)[busy]
    base = np.repeat(csum[first] - gaps[first], n_act[busy])
    act_t = sess_t[act_sess] + (csum - base)
    act_u = sess_u[act_sess]
    act_kind = rng.choice(len(_ACTIONS), size=act_sess.size, p=_ACTION_P)
    act_code = (_E[_ACTIONS[0]] + act_kind).astype(np.int8)

    # ---- 4. purchases --------------------------------------------------------------------------
    cart = (act_code == _E["add_to_cart"]) & payer[act_u]
    buy = cart & (rng.random(act_u.size) < _PURCHASE_P)
    buy_u = act_u[buy]
    buy_t = act_t[buy] + rng.exponential(2.0 / 1440, size=buy_u.size)
    value = np.round(
        _VALUE_MEDIAN
        * np.exp(_VALUE_SIGMA * rng.standard_normal(buy_u.size))
        * np.where(vip[buy_u], 1.5, 1.0),
        2,
    )
    value = np.maximum(value, 0.01)

    # ---- assemble ------------------------------------------------------------------------------
    onb_u = np.concatenate([np.flatnonzero(reached[k]) for k in range(n_steps)])
    onb_t = np.concatenate([step_t[k][reached[k]] for k in range(n_steps)])
    onb_code = np.repeat(np.arange(n_steps, dtype=np.int8), reached.sum(axis=1))
    msg_flags = (sent, delivered, opened, clicked)
    msg_times = (t_sent, t_deliv, t_open, t_click)
    msg_u = np.concatenate([t_users[f] for f in msg_flags])
    msg_t = np.concatenate([t[f] for t, f in zip(msg_times, msg_flags, strict=True)])
    msg_code = np.repeat(
        np.array([_E[name] for name in _MESSAGES], dtype=np.int8), [int(f.sum()) for f in msg_flags]
    )
    msg_chan = np.concatenate([msg_ch[f] + 1 for f in msg_flags]).astype(np.int8)

    parts_u = [onb_u, sess_u, act_u, buy_u, msg_u]
    parts_t = [onb_t, sess_t, act_t, buy_t, msg_t]
    parts_code = [
        onb_code,
        np.full(sess_u.size, _E["app_open"], dtype=np.int8),
        act_code,
        np.full(buy_u.size, _E["purchase"], dtype=np.int8),
        msg_code,
    ]
    sizes = [a.size for a in parts_u]
    ev_u = np.concatenate(parts_u).astype(np.int32)
    ev_t = np.concatenate(parts_t)
    ev_code = np.concatenate(parts_code)
    ev_value = np.full(ev_u.size, np.nan)
    buy_at = sum(sizes[:3])
    ev_value[buy_at : buy_at + buy_u.size] = value
    ev_chan = np.zeros(ev_u.size, dtype=np.int8)
    ev_chan[ev_u.size - msg_u.size :] = msg_chan

    inside = ev_t < days
    ev_u, ev_t, ev_code = ev_u[inside], ev_t[inside], ev_code[inside]
    ev_value, ev_chan = ev_value[inside], ev_chan[inside]
    whole = ev_t.astype(np.int64)
    ev_ns = day_ns[whole] + ((ev_t - whole) * day_len[whole]).astype(np.int64)
    ev_ns -= ev_ns % _MS  # millisecond precision, as most trackers record
    order = np.argsort(ev_ns, kind="stable")

    ids = _user_ids(n)
    timestamps = pd.DatetimeIndex(ev_ns[order].view("datetime64[ns]")).tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "user_id": _objects(ids[ev_u[order]]),
            "event": _objects(np.array(EVENT_NAMES, dtype=object)[ev_code[order]]),
            "timestamp": timestamps.tz_convert(tz),
            "value": ev_value[order],
            "channel": _objects(np.array([None, *_MSG_CHANNELS], dtype=object)[ev_chan[order]]),
        },
        copy=False,  # the arrays are new: consolidating them into blocks would copy 10M rows
    )

    # ---- the descriptive tables ----------------------------------------------------------------
    whole_s = signup_t.astype(np.int64)
    signup_ns = day_ns[whole_s] + ((signup_t - whole_s) * day_len[whole_s]).astype(np.int64)
    signup_ns -= signup_ns % _MS
    users = pd.DataFrame(
        {
            "user_id": _objects(ids),
            "signup_time": pd.DatetimeIndex(signup_ns.view("datetime64[ns]"))
            .tz_localize("UTC")
            .tz_convert(tz),
            "channel": np.array(_CHANNELS, dtype=object)[channel],
            "acquisition_cost": _CHANNEL_COST[channel],
            "region": np.array(_REGIONS, dtype=object)[region],
            "device": np.array(_DEVICES, dtype=object)[device],
            "age_band": np.array(_AGE_BANDS, dtype=object)[age],
        },
        copy=False,
    )
    tag_u = np.concatenate([np.flatnonzero(has) for has in tag_has])
    tag_k = np.repeat(np.arange(len(_TAGS)), tag_has.sum(axis=1))
    tag_order = np.lexsort((tag_k, tag_u))
    tags = pd.DataFrame(
        {
            "user_id": ids[tag_u[tag_order]],
            "tag": np.array([t[0] for t in _TAGS], dtype=object)[tag_k[tag_order]],
        }
    )
    acquired = np.bincount(channel, minlength=len(_CHANNELS))
    channels = pd.DataFrame(
        {
            "channel": list(_CHANNELS),
            "cost_per_user": _CHANNEL_COST,
            "users": acquired,
            "spend": _CHANNEL_COST * acquired,
        }
    )
    arm_chan = np.zeros(audience.size, dtype=np.int64)
    arm_chan[treated] = msg_ch + 1
    flags = {}
    for name, f in zip(("sent", "delivered", "opened", "clicked"), msg_flags, strict=True):
        col = np.zeros(audience.size, dtype=bool)
        col[treated] = f
        flags[name] = col
    campaign = pd.DataFrame(
        {
            "user_id": ids[audience],
            "arm": np.where(treated, "treatment", "control").astype(object),
            "channel": np.array([None, *_MSG_CHANNELS], dtype=object)[arm_chan],
            **flags,
        }
    )
    return _Generated(
        frame=frame,
        users=users,
        tags=tags,
        channels=channels,
        campaign=campaign,
        campaign_start=campaign_start,
        params=p,
    )
