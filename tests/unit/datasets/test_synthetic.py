from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from useropslib.datasets import (
    EVENT_NAMES,
    ONBOARDING_STEPS,
    SyntheticData,
    synthetic,
    synthetic_frame,
)
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError


@pytest.fixture(scope="module")
def data() -> SyntheticData:
    return synthetic(n_users=20_000, days=90, seed=7)


@pytest.fixture(scope="module")
def frame(data: SyntheticData) -> pd.DataFrame:
    return data.events.to_pandas()


# ---------------------------------------------------------------------------- shape and types
def test_unpacks_as_log_and_users(data: SyntheticData) -> None:
    log, users = data
    assert log is data.events
    assert users is data.users
    assert isinstance(log, EventLog)
    assert len(list(data)) == 2


def test_repr_is_short(data: SyntheticData) -> None:
    text = repr(data)
    assert text.startswith("SyntheticData(events=EventLog(")
    assert "users=20,000 rows" in text
    assert len(text) < 400


def test_frame_columns_and_dtypes() -> None:
    df = synthetic_frame(n_users=300, days=20, seed=2)
    assert df.columns.tolist() == ["user_id", "event", "timestamp", "value", "channel"]
    assert df["user_id"].dtype == object
    assert df["event"].dtype == object
    assert str(df["timestamp"].dtype) == "datetime64[ns, Asia/Shanghai]"
    assert df["value"].dtype == np.float64
    assert df["channel"].dtype == object
    assert df["timestamp"].is_monotonic_increasing
    assert set(df["event"]) <= set(EVENT_NAMES)
    assert df.index.equals(pd.RangeIndex(len(df)))


def test_log_carries_tz_values_and_channel_property(data: SyntheticData) -> None:
    log = data.events
    assert log.tz == "Asia/Shanghai"
    assert log.values is not None
    assert log.properties.columns.tolist() == ["channel"]
    assert set(log.event_names) == set(EVENT_NAMES)


def test_users_table(data: SyntheticData) -> None:
    users = data.users
    assert users.columns.tolist() == [
        "user_id",
        "signup_time",
        "channel",
        "acquisition_cost",
        "region",
        "device",
        "age_band",
    ]
    assert len(users) == 20_000
    assert users["user_id"].is_unique
    assert users["user_id"].iloc[0] == "u00000"
    assert users["signup_time"].is_monotonic_increasing  # ids are numbered in signup order
    assert str(users["signup_time"].dtype) == "datetime64[ns, Asia/Shanghai]"
    assert set(users["device"]) == {"android", "ios", "web"}
    assert set(users["age_band"]) == {"18-24", "25-34", "35-44", "45-54", "55+"}
    assert users["acquisition_cost"].ge(0).all()


def test_channels_table(data: SyntheticData) -> None:
    ch = data.channels
    assert ch.columns.tolist() == ["channel", "cost_per_user", "users", "spend"]
    assert ch["users"].sum() == 20_000
    np.testing.assert_allclose(ch["spend"], ch["cost_per_user"] * ch["users"])
    counts = data.users["channel"].value_counts()
    assert dict(zip(ch["channel"], ch["users"], strict=True)) == counts.to_dict()
    cost = dict(zip(ch["channel"], ch["cost_per_user"], strict=True))
    assert (data.users["acquisition_cost"] == data.users["channel"].map(cost)).all()


def test_tags_table(data: SyntheticData) -> None:
    tags = data.tags
    assert tags.columns.tolist() == ["user_id", "tag"]
    assert set(tags["tag"]) == {"vip", "newsletter", "student", "beta_tester"}
    assert not tags.duplicated().any()
    assert tags["user_id"].isin(data.users["user_id"]).all()
    share = tags["tag"].value_counts() / len(data.users)
    assert 0.25 < share["newsletter"] < 0.35
    assert share["vip"] < 0.08
    # students are mostly young
    young = set(data.users.loc[data.users["age_band"] == "18-24", "user_id"])
    students = tags.loc[tags["tag"] == "student", "user_id"]
    assert students.isin(young).mean() > 0.7


def test_params_are_recorded(data: SyntheticData) -> None:
    assert data.params == {
        "n_users": 20_000,
        "days": 90,
        "seed": 7,
        "start": "2024-01-01",
        "tz": "Asia/Shanghai",
        "intensity": 1.0,
        "campaign_day": 60,
    }


def test_frozen(data: SyntheticData) -> None:
    with pytest.raises(AttributeError):
        data.users = pd.DataFrame()  # type: ignore[misc]


# ---------------------------------------------------------------------------- determinism
def test_same_seed_same_data() -> None:
    a = synthetic(n_users=500, days=30, seed=11)
    b = synthetic(n_users=500, days=30, seed=11)
    assert a.events.equals(b.events)
    pd.testing.assert_frame_equal(a.users, b.users)
    pd.testing.assert_frame_equal(a.tags, b.tags)
    pd.testing.assert_frame_equal(a.campaign, b.campaign)
    pd.testing.assert_frame_equal(
        synthetic_frame(n_users=500, days=30, seed=11),
        synthetic_frame(n_users=500, days=30, seed=11),
    )


def test_different_seeds_differ() -> None:
    a = synthetic_frame(n_users=500, days=30, seed=1)
    b = synthetic_frame(n_users=500, days=30, seed=2)
    assert len(a) != len(b) or not a.equals(b)
    assert not a["timestamp"].head(50).equals(b["timestamp"].head(50))


def test_frame_and_log_hold_the_same_events() -> None:
    df = synthetic_frame(n_users=400, days=21, seed=5, tz="Europe/Berlin")
    log = synthetic(n_users=400, days=21, seed=5, tz="Europe/Berlin").events
    assert log.equals(EventLog.from_pandas(df, tz="Europe/Berlin"))


def test_intensity_scales_sessions() -> None:
    low = synthetic_frame(n_users=2_000, days=60, seed=3)
    high = synthetic_frame(n_users=2_000, days=60, seed=3, intensity=3.0)
    n_low = int((low["event"] == "app_open").sum())
    n_high = int((high["event"] == "app_open").sum())
    assert 2.6 * n_low < n_high < 3.4 * n_low
    # onboarding does not scale
    assert (low["event"] == "signup").sum() == (high["event"] == "signup").sum() == 2_000


def test_about_ten_events_per_user_over_half_a_year() -> None:
    df = synthetic_frame(n_users=5_000, days=180, seed=0)
    assert 8 < len(df) / 5_000 < 13


# ---------------------------------------------------------------------------- time and identity
def test_events_inside_window_and_after_signup(data: SyntheticData, frame: pd.DataFrame) -> None:
    start = pd.Timestamp("2024-01-01", tz="Asia/Shanghai")
    assert frame["timestamp"].min() >= start
    assert frame["timestamp"].max() < start + pd.Timedelta(days=90)
    signup = data.users.set_index("user_id")["signup_time"]
    assert (frame["timestamp"] >= frame["user_id"].map(signup)).all()
    first = frame.groupby("user_id", sort=False)["event"].first()
    assert (first == "signup").all()


def test_window_bounds_follow_local_midnights_across_dst() -> None:
    df = synthetic_frame(n_users=3_000, days=10, seed=4, start="2024-03-05", tz="America/New_York")
    local = df["timestamp"].dt.tz_localize(None)
    assert local.min() >= pd.Timestamp("2024-03-05")
    assert local.max() < pd.Timestamp("2024-03-15")
    opens = local[df["event"] == "app_open"]
    assert opens.dt.hour.value_counts().idxmax() in range(18, 23)  # evening peak, local time


def test_every_event_user_is_a_known_user(data: SyntheticData, frame: pd.DataFrame) -> None:
    assert set(frame["user_id"]) == set(data.users["user_id"])
    signups = frame.loc[frame["event"] == "signup"].set_index("user_id")["timestamp"]
    assert signups.index.is_unique
    assert len(signups) == len(data.users)
    pd.testing.assert_series_equal(
        signups.sort_index(),
        data.users.set_index("user_id")["signup_time"].sort_index(),
        check_names=False,
        check_index_type=False,  # the ids' values match; pandas 3 may infer its str dtype
    )


def test_user_ids_pad_to_one_width() -> None:
    users = synthetic(n_users=12, days=5, seed=0).users
    assert users["user_id"].tolist()[:3] == ["u00", "u01", "u02"]
    assert users["user_id"].iloc[-1] == "u11"
    assert synthetic(n_users=1, days=2, seed=0).users["user_id"].tolist() == ["u0"]


# ---------------------------------------------------------------------------- behaviour
def test_onboarding_loses_about_ten_percent_per_step(frame: pd.DataFrame) -> None:
    reached = [frame.loc[frame["event"] == s, "user_id"].nunique() for s in ONBOARDING_STEPS]
    assert reached[0] == 20_000
    ratios = np.array(reached[1:]) / np.array(reached[:-1])
    np.testing.assert_allclose(ratios, 0.9, atol=0.015)
    # and in order: a step is only reached by users who reached the previous one
    for prev, step in itertools.pairwise(ONBOARDING_STEPS):
        did_step = set(frame.loc[frame["event"] == step, "user_id"])
        assert did_step <= set(frame.loc[frame["event"] == prev, "user_id"])


def test_purchases_have_positive_values_from_a_minority(frame: pd.DataFrame) -> None:
    buys = frame["event"] == "purchase"
    assert buys.sum() > 100
    assert (frame.loc[buys, "value"] > 0).all()
    assert frame.loc[~buys, "value"].isna().all()
    payers = frame.loc[buys, "user_id"].nunique() / 20_000
    assert 0.01 < payers < 0.2
    v = frame.loc[buys, "value"]
    assert v.mean() > v.median()  # right-skewed (lognormal)


def test_retention_flattens_and_avatar_uploaders_stay(frame: pd.DataFrame) -> None:
    active = frame[~frame["event"].str.startswith("message_")]
    first = active.groupby("user_id")["timestamp"].min()
    age_days = (active["timestamp"] - active["user_id"].map(first)).dt.days
    early = first[first < pd.Timestamp("2024-01-22", tz="Asia/Shanghai")].index
    in_early = active["user_id"].isin(early)

    def share(lo: int, hi: int) -> float:
        users = active.loc[in_early & age_days.between(lo, hi - 1), "user_id"].nunique()
        return users / len(early)

    week1, week4, week8 = share(7, 14), share(28, 35), share(56, 63)
    assert week1 > week4 > 0.05
    assert week8 > 0.5 * week4  # a share of long-lived users: the curve flattens
    retained = set(active.loc[age_days >= 45, "user_id"])
    avatar = set(frame.loc[frame["event"] == "upload_avatar", "user_id"])
    users = pd.Index(first.index)
    kept = users.isin(list(retained))
    has_avatar = users.isin(list(avatar))
    assert kept[has_avatar].mean() > 1.5 * kept[~has_avatar].mean()


def test_some_lapsed_users_come_back(frame: pd.DataFrame) -> None:
    active = frame[frame["event"] == "app_open"].sort_values(["user_id", "timestamp"])
    gap = active.groupby("user_id")["timestamp"].diff().dt.days
    back = active.loc[gap >= 21, "user_id"].nunique()
    assert back / 20_000 > 0.02


def test_campaign_table_matches_message_events(data: SyntheticData, frame: pd.DataFrame) -> None:
    camp = data.campaign
    assert camp.columns.tolist() == [
        "user_id",
        "arm",
        "channel",
        "sent",
        "delivered",
        "opened",
        "clicked",
    ]
    assert set(camp["arm"]) == {"treatment", "control"}
    assert 0.45 < (camp["arm"] == "treatment").mean() < 0.55
    # the audience is everyone who signed up before the campaign day
    before = data.users["signup_time"] < pd.Timestamp("2024-03-01", tz="Asia/Shanghai")
    assert set(camp["user_id"]) == set(data.users.loc[before, "user_id"])
    control = camp[camp["arm"] == "control"]
    assert not control[["sent", "delivered", "opened", "clicked"]].any().any()
    assert control["channel"].isna().all()
    treated = camp[camp["arm"] == "treatment"]
    assert set(treated["channel"]) == {"email", "sms", "push"}
    for flag in ("sent", "delivered", "opened", "clicked"):
        users = set(frame.loc[frame["event"] == f"message_{flag}", "user_id"])
        assert users == set(camp.loc[camp[flag], "user_id"]), flag
    assert (treated["delivered"] <= treated["sent"]).all()
    assert (treated["opened"] <= treated["delivered"]).all()
    assert (treated["clicked"] <= treated["opened"]).all()
    assert treated["sent"].mean() > treated["delivered"].mean() > treated["opened"].mean()
    assert treated["opened"].mean() > treated["clicked"].mean() > 0
    msgs = frame[frame["event"].str.startswith("message_")]
    assert msgs["channel"].notna().all()
    assert frame.loc[~frame.index.isin(msgs.index), "channel"].isna().all()
    by_user = treated.set_index("user_id")["channel"]
    assert (msgs["channel"] == msgs["user_id"].map(by_user)).all()
    assert msgs["timestamp"].min() >= data.campaign_start


def test_campaign_has_a_real_effect(data: SyntheticData, frame: pd.DataFrame) -> None:
    start = data.campaign_start
    assert str(start) == "2024-03-01 10:00:00+08:00"
    after = frame[
        (frame["event"] == "app_open")
        & (frame["timestamp"] >= start)
        & (frame["timestamp"] < start + pd.Timedelta(days=14))
    ]
    camp = data.campaign.assign(returned=data.campaign["user_id"].isin(set(after["user_id"])))
    rate = camp.groupby("arm")["returned"].mean()
    assert rate["treatment"] - rate["control"] > 0.05


def test_campaign_day_and_start_are_honoured() -> None:
    d = synthetic(n_users=300, days=20, seed=0, start=dt.date(2024, 6, 1), campaign_day=5)
    assert str(d.campaign_start) == "2024-06-06 10:00:00+08:00"
    assert d.params["start"] == "2024-06-01"
    aware = synthetic(
        n_users=50, days=3, seed=0, start=pd.Timestamp("2024-06-01", tz="UTC"), tz="UTC"
    )
    assert aware.params["start"] == "2024-06-01"


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_users": 0}, r"Invalid n_users=0\. Expected an integer >= 1"),
        ({"n_users": 2.5}, r"Invalid n_users=2\.5\. Expected an integer"),
        ({"n_users": True}, r"Invalid n_users=True"),
        ({"days": 1}, r"Invalid days=1\. Expected an integer >= 2\. Hint: the window"),
        ({"seed": -1}, r"Invalid seed=-1\. Expected an integer >= 0"),
        ({"intensity": 0}, r"Invalid intensity=0\. Expected a finite number > 0"),
        ({"intensity": float("nan")}, r"Invalid intensity=nan"),
        ({"intensity": "high"}, r"Invalid intensity='high'"),
        ({"campaign_day": 0}, r"Invalid campaign_day=0\. Expected an integer >= 1"),
        (
            {"days": 10, "campaign_day": 10},
            r"Invalid campaign_day=10: the window has days 0 to 9\. Expected 1 <= campaign_day "
            r"<= 9\. Hint: leave it unset for day 6",
        ),
        ({"start": "not a date"}, r"Invalid start='not a date'\. Expected a calendar date"),
        ({"start": 20240101}, r"Invalid start=20240101\. Expected a calendar date"),
        (
            {"start": "2024-01-01 08:00"},
            r"it has a time of day\. .* Hint: pass start='2024-01-01'",
        ),
        ({"tz": "Asia/Shangai"}, r"Unknown time zone 'Asia/Shangai'.*Asia/Shanghai"),
    ],
)
def test_invalid_parameters(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"n_users": 10, "days": 5, "seed": 0, **kwargs}
    with pytest.raises(InvalidParameterError, match=match):
        synthetic(**args)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=match):
        synthetic_frame(**args)  # type: ignore[arg-type]


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        synthetic(100)  # type: ignore[misc]
