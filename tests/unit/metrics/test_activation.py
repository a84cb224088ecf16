"""Hand-computed cases for activation() and onboarding(), every option, and their errors."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics._activation import (
    ActivationResult,
    OnboardingResult,
    activation,
    onboarding,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")  # a Monday
DAY = pd.Timedelta("1D")
NS = pd.Timedelta(1, unit="ns")


def frame(rows: list[tuple[str, str, pd.Timestamp]], **props: list[object]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    for name, values in props.items():
        df[name] = values
    return df


@pytest.fixture
def log() -> EventLog:
    """Four users; key event 'post'.

    a: first seen Jan 1, posts Jan 3 (2 days)           -> activated
    b: first seen Jan 1, posts exactly 7 days later      -> activated (inclusive bound)
    c: first seen Jan 2, posts 7 days + 1 ns later      -> not activated
    d: first seen Jan 9 (next week), posts Jan 10       -> activated (1 day)
    """
    rows = [
        ("a", "open", T0),
        ("a", "post", T0 + 2 * DAY),
        ("b", "signup", T0),
        ("b", "post", T0 + 7 * DAY),
        ("c", "signup", T0 + DAY),
        ("c", "post", T0 + 8 * DAY + NS),
        ("d", "signup", T0 + 8 * DAY),
        ("d", "post", T0 + 9 * DAY),
    ]
    return EventLog.from_pandas(frame(rows), as_of=T0 + 30 * DAY)


# --------------------------------------------------------------------------------- activation
def test_rate_counts_the_inclusive_bound(log: EventLog) -> None:
    res = activation(log, key_event="post", within="7D")
    assert isinstance(res, ActivationResult)
    assert res.overall["users"] == 4
    assert res.overall["activated"] == 3
    assert res.rate == pytest.approx(0.75)
    flags = dict(zip(res.per_user["user_id"], res.per_user["activated"], strict=True))
    assert flags == {"a": True, "b": True, "c": False, "d": True}
    first = res.per_user.set_index("user_id")["first_key_event"]
    assert first["c"] == T0 + 8 * DAY + NS  # reported even though outside the window


def test_time_to_activate_mean_median_quantiles(log: EventLog) -> None:
    res = activation(log, key_event="post", within="7D", quantiles=(0.25, 0.5))
    # activated delays: 2D, 7D, 1D
    o = res.overall
    assert o["time_to_activate_mean"] == pd.Timedelta("10D") / 3
    assert o["time_to_activate_median"] == pd.Timedelta("2D")
    assert o["time_to_activate_p25"] == pd.Timedelta("1.5D")
    assert o["time_to_activate_p50"] == pd.Timedelta("2D")


def test_by_week_cohorts(log: EventLog) -> None:
    res = activation(log, key_event="post", within="7D", breakdown="week")
    t = res.table
    assert t.index.name == "cohort"
    assert list(t.index) == [T0, T0 + 7 * DAY]
    assert t["users"].tolist() == [3, 1]
    assert t["activated"].tolist() == [2, 1]
    assert t["activation_rate"].tolist() == pytest.approx([2 / 3, 1.0])
    assert t["time_to_activate_median"].tolist() == [pd.Timedelta("4.5D"), pd.Timedelta("1D")]


def test_by_day_in_another_time_zone(log: EventLog) -> None:
    # in Shanghai (UTC+8) the UTC midnights of Jan 1 and Jan 2 are 08:00 the same local days
    res = activation(log, key_event="post", within="7D", breakdown="day", tz="Asia/Shanghai")
    starts = [str(x) for x in res.table.index]
    assert starts == [
        "2024-01-01 00:00:00+08:00",
        "2024-01-02 00:00:00+08:00",
        "2024-01-09 00:00:00+08:00",
    ]
    assert res.table["users"].tolist() == [2, 1, 1]
    # in Honolulu (UTC-10) every anchor falls on the previous local day
    res = activation(log, key_event="post", within="7D", breakdown="day", tz="Pacific/Honolulu")
    assert [str(x.date()) for x in res.table.index] == ["2023-12-31", "2024-01-01", "2024-01-08"]


def test_week_start_sunday_moves_the_cohort_boundary() -> None:
    # Sunday Jan 7 and Monday Jan 8: one Sunday-start week, two Monday-start weeks
    rows = [("a", "post", T0 + 6 * DAY), ("b", "post", T0 + 7 * DAY)]
    df = frame(rows)
    monday = activation(df, key_event="post", breakdown="week", incomplete="include")
    sunday = activation(
        df, key_event="post", breakdown="week", week_start="sunday", incomplete="include"
    )
    assert monday.table["users"].tolist() == [1, 1]
    assert sunday.table["users"].tolist() == [2]
    assert str(sunday.table.index[0].date()) == "2024-01-07"


def test_key_event_at_the_anchor_counts_with_zero_delay() -> None:
    res = activation(frame([("a", "post", T0)]), key_event="post", incomplete="include")
    assert res.overall["activated"] == 1
    assert res.overall["time_to_activate_mean"] == pd.Timedelta(0)


def test_signup_event_anchor_ignores_earlier_key_events_and_users_without_it() -> None:
    rows = [
        ("a", "post", T0),  # before the signup: ignored
        ("a", "signup", T0 + DAY),
        ("a", "post", T0 + 3 * DAY),
        ("b", "post", T0),  # never signs up: not counted
        ("c", "signup", T0),
        ("c", "post", T0 - DAY),  # before signup only
    ]
    log = EventLog.from_pandas(frame(rows), as_of=T0 + 30 * DAY)
    res = activation(log, key_event="post", within="7D", signup_event="signup")
    assert res.overall["users"] == 2
    assert res.overall["activated"] == 1
    assert res.overall["time_to_activate_mean"] == pd.Timedelta("2D")
    assert set(res.per_user["user_id"]) == {"a", "c"}
    # first seen instead: a is activated at once by the early post
    res = activation(log, key_event="post", within="7D")
    assert res.overall["users"] == 3
    assert res.per_user.set_index("user_id").loc["a", "activated"]


def test_key_event_list_any_of_them(log: EventLog) -> None:
    res = activation(log, key_event=["post", "signup"], within="1D")
    # b, c and d activate at once through their signup; a posts after 2 days
    assert res.overall["activated"] == 3


def test_incomplete_windows_are_pending_or_included() -> None:
    rows = [
        ("a", "open", T0),
        ("a", "post", T0 + DAY),
        ("b", "open", T0 + 5 * DAY),  # window ends Jan 13 > as_of
        ("c", "open", T0 + 6 * DAY),
        ("c", "post", T0 + 6 * DAY),  # already activated, but window still open
    ]
    df = frame(rows)
    res = activation(df, key_event="post", within="7D", as_of=T0 + 10 * DAY)
    assert res.overall["users"] == 1
    assert res.overall["pending"] == 2
    assert res.rate == 1.0
    inc = activation(df, key_event="post", within="7D", as_of=T0 + 10 * DAY, incomplete="include")
    assert inc.overall["users"] == 3
    assert inc.overall["pending"] == 0
    assert inc.rate == pytest.approx(2 / 3)
    # a window ending exactly at as_of is complete
    edge = activation(df, key_event="post", within="7D", as_of=T0 + 12 * DAY)
    assert edge.overall["users"] == 2


def test_events_after_as_of_are_ignored(log: EventLog) -> None:
    res = activation(log, key_event="post", within="7D", as_of=T0 + 8 * DAY, incomplete="include")
    # d is first seen at as_of itself; c's and d's posts come later
    assert res.per_user.set_index("user_id")["activated"].to_dict() == {
        "a": True,
        "b": True,
        "c": False,
        "d": False,
    }
    same = activation(log.until(T0 + 8 * DAY), key_event="post", within="7D", incomplete="include")
    pd.testing.assert_frame_equal(res.table, same.table)


def test_by_property_is_first_touch() -> None:
    rows = [
        ("a", "open", T0),
        ("a", "open", T0 + DAY),
        ("a", "post", T0 + DAY),
        ("b", "open", T0),
        ("c", "open", T0),
    ]
    df = frame(rows, source=[None, "ads", "seo", "seo", None])
    res = activation(df, key_event="post", breakdown="source", incomplete="include")
    t = res.table
    assert t.index.name == "source"
    assert t.index.tolist() == ["ads", "seo"]
    assert t["users"].tolist() == [1, 1]
    assert t["activated"].tolist() == [1, 0]
    # c has no source: only in the overall row
    assert res.overall["users"] == 3
    groups = res.per_user.set_index("user_id")["group"]
    assert groups[["a", "b"]].tolist() == ["ads", "seo"]
    assert pd.isna(groups["c"])


def test_by_property_ties_are_broken_by_value_not_row_order() -> None:
    rows = [("a", "open", T0), ("a", "open", T0)]
    kw = {"key_event": "open", "breakdown": "src", "incomplete": "include"}
    one = activation(frame(rows, src=["z", "b"]), **kw)  # type: ignore[arg-type]
    two = activation(frame(rows[::-1], src=["b", "z"]), **kw)  # type: ignore[arg-type]
    assert one.per_user["group"].tolist() == two.per_user["group"].tolist() == ["b"]


def test_by_mapping_and_series(log: EventLog) -> None:
    mapping = {"a": "ads", "b": "ads", "c": "organic", "zz": "ads"}
    res = activation(log, key_event="post", within="7D", breakdown=mapping)
    assert res.table.index.name == "group"
    assert res.table["users"].to_dict() == {"ads": 2, "organic": 1}
    assert res.table["activated"].to_dict() == {"ads": 2, "organic": 0}
    assert res.overall["users"] == 4  # d has no channel but counts overall
    ser = pd.Series(mapping, name="channel")
    res2 = activation(log, key_event="post", within="7D", breakdown=ser)
    assert res2.table.index.name == "channel"
    assert res2.params["breakdown"] == "channel"


def test_accepts_a_frame_and_never_mutates_it() -> None:
    df = frame([("a", "open", T0), ("a", "post", T0 + DAY)])
    before = df.copy()
    res = activation(df, key_event="post", breakdown="day", incomplete="include")
    assert res.overall["activated"] == 1
    pd.testing.assert_frame_equal(df, before)


def test_result_api(log: EventLog) -> None:
    res = activation(log, key_event="post", within="7D", breakdown="week")
    flat = res.to_frame()
    assert flat.columns[0] == "cohort"
    assert len(flat) == 2
    json.dumps(res.to_dict())
    text = repr(res)
    assert text.startswith("ActivationResult(key_event='post'")
    assert res.as_of == T0 + 30 * DAY
    ax = res.plot()
    assert ax.get_ylabel() == "activation rate"
    plt.close(ax.figure)


def test_no_anchor_warns_and_gives_nan() -> None:
    log = EventLog.from_pandas(frame([("a", "post", T0)]))
    with pytest.warns(InsufficientDataWarning, match="no user has an anchor"):
        res = activation(log, key_event="post", signup_event="post", as_of=T0 - DAY)
    assert np.isnan(res.rate)
    assert res.per_user.empty


def test_all_pending_warns() -> None:
    with pytest.warns(InsufficientDataWarning, match="complete activation window"):
        res = activation(frame([("a", "post", T0)]), key_event="post", within="7D")
    assert res.overall["pending"] == 1
    assert np.isnan(res.rate)


# ---------------------------------------------------------------------------- activation errors
def test_unknown_key_event_lists_close_names(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"key_event.*'psot'.*did you mean 'post'"):
        activation(log, key_event="psot")


def test_unknown_signup_event(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"signup_event.*did you mean 'signup'"):
        activation(log, key_event="post", signup_event="sign_up")


@pytest.mark.parametrize("within", ["0D", "-1D", pd.Timedelta(0)])
def test_window_must_be_positive(log: EventLog, within: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid within=.*positive"):
        activation(log, key_event="post", within=within)


def test_unreadable_window(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"within='1 month'.*no fixed length"):
        activation(log, key_event="post", within="1 month")


def test_empty_key_event(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"key_event=\[\] names no event"):
        activation(log, key_event=[])


def test_unknown_by_property_suggests(log: EventLog) -> None:
    df = frame([("a", "open", T0)], channel=["ads"])
    with pytest.raises(InvalidParameterError, match=r"breakdown='chanel'.*did you mean 'channel'"):
        activation(df, key_event="open", breakdown="chanel")
    with pytest.raises(InvalidParameterError, match=r"Unknown property breakdown='wek'"):
        activation(log, key_event="post", breakdown="wek")


def test_by_mapping_that_matches_nobody(log: EventLog) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"No user of the log is in breakdown.*str vs int"
    ):
        activation(log, key_event="post", breakdown={1: "ads", 2: "seo"})


def test_by_mapping_with_duplicate_ids(log: EventLog) -> None:
    ser = pd.Series(["x", "y"], index=["a", "a"])
    with pytest.raises(InvalidParameterError, match=r"user ids \['a'\] appear more than once"):
        activation(log, key_event="post", breakdown=ser)


def test_by_frame_or_other_types(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"got a DataFrame.*set_index"):
        activation(log, key_event="post", breakdown=pd.DataFrame({"user_id": ["a"]}))
    with pytest.raises(InvalidParameterError, match=r"Invalid breakdown=3 of type int"):
        activation(log, key_event="post", breakdown=3)  # type: ignore[arg-type]


def test_bad_incomplete_quantiles_tz(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"incomplete='drop'.*'exclude'"):
        activation(log, key_event="post", incomplete="drop")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"quantiles=\(1.5,\).*between 0 and 1"):
        activation(log, key_event="post", quantiles=(1.5,))
    with pytest.raises(InvalidParameterError, match=r"Unknown time zone 'Asia/Shanghia'"):
        activation(log, key_event="post", breakdown="day", tz="Asia/Shanghia")
    with pytest.raises(InvalidParameterError, match=r"Invalid week_start='someday'"):
        activation(log, key_event="post", week_start="someday")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- onboarding
STEPS = ["signup", "profile", "avatar"]


@pytest.fixture
def onb() -> EventLog:
    """a: all in order; b: avatar before profile; c: signup + profile (same instant);
    d: signup twice, profile after the second; e: never signs up."""
    rows = [
        ("a", "signup", T0),
        ("a", "profile", T0 + pd.Timedelta("10min")),
        ("a", "avatar", T0 + pd.Timedelta("30min")),
        ("b", "signup", T0),
        ("b", "avatar", T0 + pd.Timedelta("5min")),
        ("b", "profile", T0 + pd.Timedelta("6min")),
        ("c", "profile", T0 - DAY),  # before signing up: ignored
        ("c", "signup", T0),
        ("c", "profile", T0),
        ("d", "signup", T0),
        ("d", "signup", T0 + 2 * DAY),
        ("d", "profile", T0 + 2 * DAY + pd.Timedelta("1min")),
        ("e", "profile", T0),
        ("e", "avatar", T0),
    ]
    return EventLog.from_pandas(frame(rows))


def test_onboarding_counts_in_order(onb: EventLog) -> None:
    res = onboarding(onb, STEPS)
    assert isinstance(res, OnboardingResult)
    t = res.table
    assert t.index.name == "step"
    assert t.index.tolist() == [1, 2, 3]
    assert t["event"].tolist() == STEPS
    assert t["users"].tolist() == [4, 4, 1]  # a, b, c, d; then only a in order
    assert t["ever"].tolist() == [4, 4, 2]  # b did the avatar, out of order
    assert t["conversion_rate"].tolist() == pytest.approx([1.0, 1.0, 0.25])
    assert t["step_conversion_rate"].tolist() == pytest.approx([1.0, 1.0, 0.25])
    assert t["drop_off"].tolist() == [0, 0, 3]
    assert t["drop_off_rate"].tolist() == pytest.approx([0.0, 0.0, 0.75])
    assert res.average_step_loss_rate == pytest.approx(1 - 0.25**0.5)
    assert res.per_user.set_index("user_id")["furthest_step"].to_dict() == {
        "a": 3,
        "b": 2,
        "c": 2,
        "d": 2,
    }


def test_onboarding_times_from_previous(onb: EventLog) -> None:
    t = onboarding(onb, STEPS).table
    assert pd.isna(t.loc[1, "time_from_previous_mean"])
    # profile delays: a 10 min, b 6 min, c 0, d 2 days + 1 min
    mean = (pd.Timedelta("16min") + pd.Timedelta("2D 1min")) / 4
    assert t.loc[2, "time_from_previous_mean"] == mean
    assert t.loc[2, "time_from_previous_median"] == pd.Timedelta("8min")
    assert t.loc[3, "time_from_previous_median"] == pd.Timedelta("20min")


def test_onboarding_window_is_inclusive_from_the_first_entry(onb: EventLog) -> None:
    res = onboarding(onb, STEPS, within="10min")
    assert res.table["users"].tolist() == [4, 3, 0]  # a (exactly 10 min), b, c
    assert res.table["ever"].tolist() == [4, 3, 1]  # b's avatar at 5 min
    res = onboarding(onb, STEPS, within="2D")
    assert res.table["users"].tolist() == [4, 3, 1]  # d's profile is 2 days 1 min after entry


def test_onboarding_as_of(onb: EventLog) -> None:
    res = onboarding(onb, STEPS, as_of=T0 + pd.Timedelta("7min"))
    assert res.table["users"].tolist() == [4, 2, 0]
    assert str(res.as_of) == "2024-01-01 00:07:00+00:00"


def test_onboarding_result_api(onb: EventLog) -> None:
    res = onboarding(onb, STEPS)
    assert res.to_frame()["step"].tolist() == [1, 2, 3]
    json.dumps(res.to_dict())
    assert "OnboardingResult(steps=('signup', 'profile', 'avatar')" in repr(res)
    ax = res.plot()
    assert ax.get_ylabel() == "people"
    reached = [float(p.get_height()) for p in ax.patches][: len(res.table)]
    assert reached == res.table["users"].astype(float).tolist()
    plt.close(ax.figure)


def test_onboarding_single_step(onb: EventLog) -> None:
    res = onboarding(onb, ["signup"])
    assert res.table["users"].tolist() == [4]
    assert np.isnan(res.average_step_loss_rate)


def test_onboarding_nobody_enters_warns(onb: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="no user did the first step 'signup'"):
        res = onboarding(onb, STEPS, as_of=T0 - pd.Timedelta("1h"))
    assert res.table["users"].tolist() == [0, 0, 0]
    assert res.table["conversion_rate"].isna().all()


def test_onboarding_errors(onb: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"a single string.*steps=\['signup', \.\.\.\]"):
        onboarding(onb, "signup")
    with pytest.raises(InvalidParameterError, match=r"steps=\[\]: no steps"):
        onboarding(onb, [])
    with pytest.raises(InvalidParameterError, match=r"\['profile'\] appear more than once"):
        onboarding(onb, ["signup", "profile", "profile"])
    with pytest.raises(
        InvalidParameterError, match=r"Unknown event.* in steps.*did you mean 'avatar'"
    ):
        onboarding(onb, ["signup", "avatr"])
    with pytest.raises(InvalidParameterError, match=r"within='-5min'.*positive"):
        onboarding(onb, STEPS, within="-5min")
    with pytest.raises(InvalidParameterError, match=r"Expected event names"):
        onboarding(onb, ["signup", 3])  # type: ignore[list-item]


def test_onboarding_on_synthetic_data_loses_about_ten_percent_a_step() -> None:
    from useropslib.datasets import ONBOARDING_STEPS, synthetic

    log, _ = synthetic(n_users=3000, days=20, seed=4)
    res = onboarding(log, ONBOARDING_STEPS)
    assert res.table["users"].iloc[0] == 3000
    assert 0.07 < res.average_step_loss_rate < 0.13


# ------------------------------------------------------------- fast kernels equal slow versions
@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from("abcdef"), min_size=n, max_size=n))
    names = draw(
        st.lists(st.sampled_from(["open", "signup", "post", "avatar"]), min_size=n, max_size=n)
    )
    hours = draw(st.lists(st.integers(0, 24 * 20), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": names,
            "timestamp": T0 + pd.to_timedelta(hours, unit="h"),
        }
    )


def slow_activation(
    df: pd.DataFrame, key: str, within: pd.Timedelta, as_of: pd.Timestamp
) -> dict[str, tuple[bool, bool]]:
    out = {}
    df = df[df["timestamp"] <= as_of]
    for user, g in df.groupby("user_id"):
        anchor = g["timestamp"].min()
        keys = g.loc[(g["event"] == key) & (g["timestamp"] >= anchor), "timestamp"]
        activated = bool(((keys - anchor) <= within).any())
        eligible = anchor + within <= as_of
        out[str(user)] = (activated, eligible)
    return out


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    df=logs(),
    hours=st.integers(1, 24 * 8),
    cut=st.integers(0, 24 * 21),
    seed=st.integers(0, 1000),
)
def test_activation_equals_slow_version_and_ignores_row_order(
    df: pd.DataFrame, hours: int, cut: int, seed: int
) -> None:
    if not (df["event"] == "post").any():
        df.loc[df.index[0], "event"] = "post"
    within = pd.Timedelta(hours, unit="h")
    as_of = T0 + pd.Timedelta(cut, unit="h")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = activation(df, key_event="post", within=within, as_of=as_of, breakdown="day")
        shuffled = activation(
            df.sample(frac=1.0, random_state=seed),
            key_event="post",
            within=within,
            as_of=as_of,
            breakdown="day",
        )
    pd.testing.assert_frame_equal(res.table, shuffled.table)
    got = {str(r.user_id): (bool(r.activated), bool(r.eligible)) for r in res.per_user.itertuples()}
    assert got == slow_activation(df, "post", within, as_of)
    expected = sum(a and e for a, e in got.values())
    assert res.overall["activated"] == expected
    rate = res.overall["activation_rate"]
    assert np.isnan(rate) or 0.0 <= rate <= 1.0


def slow_onboarding(df: pd.DataFrame, steps: list[str]) -> list[int]:
    counts = [0] * len(steps)
    for _, g in df.groupby("user_id"):
        g = g.sort_values("timestamp")
        entries = g.loc[g["event"] == steps[0], "timestamp"]
        if entries.empty:
            continue
        t = entries.min()
        counts[0] += 1
        for k, step in enumerate(steps[1:], start=1):
            later = g.loc[(g["event"] == step) & (g["timestamp"] >= t), "timestamp"]
            if later.empty:
                break
            t = later.min()
            counts[k] += 1
    return counts


@settings(max_examples=30, deadline=None, derandomize=True)
@given(df=logs(), seed=st.integers(0, 1000))
def test_onboarding_equals_slow_version_and_ignores_row_order(df: pd.DataFrame, seed: int) -> None:
    steps = ["signup", "post", "avatar"]
    present = set(df["event"])
    for i, s in enumerate(steps):
        if s not in present:
            df.loc[df.index[i % len(df)], "event"] = s
            present = set(df["event"])
    if not set(steps) <= present:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = onboarding(df, steps)
        shuffled = onboarding(df.sample(frac=1.0, random_state=seed), steps)
    assert res.table["users"].tolist() == slow_onboarding(df, steps)
    pd.testing.assert_frame_equal(res.table, shuffled.table)
    users = res.table["users"].to_numpy()
    assert (np.diff(users) <= 0).all()
    assert (res.table["ever"].to_numpy() >= users).all()
