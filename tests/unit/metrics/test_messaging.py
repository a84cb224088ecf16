"""Hand-computed cases for message_funnel(), every option, its errors, and a slow twin."""

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
from useropslib.metrics._messaging import (
    RATE_DEFINITIONS,
    MessageFunnelResult,
    message_funnel,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-03-01 10:00", tz="UTC")
DAY = pd.Timedelta("1D")
NS = pd.Timedelta(1, unit="ns")
SENT, DELIV, OPEN, CLICK = "message_sent", "message_delivered", "message_opened", "message_clicked"


def frame(rows: list[tuple[str, str, pd.Timestamp, object]], **props: list[object]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "channel"])
    for name, values in props.items():
        df[name] = values
    return df


@pytest.fixture
def log() -> EventLog:
    """Email to a, b, c, d; push to d and e.

    a: delivered, opened, clicked, returns after 1 day                 (email)
    b: delivered, clicked without a recorded open, returns at 7 days   (email, inclusive)
    c: not delivered, returns 7 days + 1 ns later                      (email: too late)
    d: email delivered + opened; push sent 2 days later, not delivered; returns at day 3
    e: push delivered, returns before the send only
    """
    rows = [
        ("a", SENT, T0, "email"),
        ("a", DELIV, T0, "email"),
        ("a", OPEN, T0 + DAY, "email"),
        ("a", CLICK, T0 + DAY, "email"),
        ("a", "app_open", T0 + DAY, None),
        ("b", SENT, T0, "email"),
        ("b", DELIV, T0, "email"),
        ("b", CLICK, T0 + DAY, "email"),
        ("b", "app_open", T0 + 7 * DAY, None),
        ("c", SENT, T0, "email"),
        ("c", "app_open", T0 + 7 * DAY + NS, None),
        ("d", SENT, T0, "email"),
        ("d", DELIV, T0, "email"),
        ("d", OPEN, T0 + DAY, "email"),
        ("d", SENT, T0 + 2 * DAY, "push"),
        ("d", "purchase", T0 + 3 * DAY, None),
        ("e", "app_open", T0 - DAY, None),
        ("e", SENT, T0, "push"),
        ("e", DELIV, T0, "push"),
    ]
    return EventLog.from_pandas(frame(rows), as_of=T0 + 30 * DAY)


def test_counts_and_rates_by_channel(log: EventLog) -> None:
    res = message_funnel(log)
    assert isinstance(res, MessageFunnelResult)
    t = res.table
    assert t.index.name == "channel"
    assert t.index.tolist() == ["email", "push"]
    assert t["sent"].tolist() == [4, 2]
    assert t["delivered"].tolist() == [3, 1]
    assert t["opened"].tolist() == [3, 0]  # b's click implies an open
    assert t["clicked"].tolist() == [2, 0]
    # email: a (1 day), b (exactly 7 days), d (3 days); push: d (1 day after the push)
    assert t["returned"].tolist() == [3, 1]
    assert t["returned_delivered"].tolist() == [3, 0]
    assert t["window_open"].tolist() == [0, 0]
    assert t.loc["email", "delivery_rate"] == pytest.approx(3 / 4)
    assert t.loc["email", "open_rate"] == pytest.approx(1.0)
    assert t.loc["email", "click_rate"] == pytest.approx(2 / 3)
    assert t.loc["email", "click_through_rate"] == pytest.approx(2 / 3)
    assert t.loc["email", "return_rate"] == pytest.approx(3 / 4)
    assert t.loc["email", "return_rate_delivered"] == pytest.approx(1.0)
    assert t.loc["push", "delivery_rate"] == pytest.approx(0.5)
    assert np.isnan(t.loc["push", "click_through_rate"])  # no opens: undefined, not 0
    assert t.loc["push", "return_rate_delivered"] == 0.0


def test_each_rate_names_its_denominator(log: EventLog) -> None:
    rates = message_funnel(log).rates
    assert rates.columns.tolist() == [
        "channel",
        "rate",
        "numerator",
        "denominator",
        "numerator_count",
        "denominator_count",
        "value",
    ]
    email = rates[rates["channel"] == "email"].set_index("rate")
    assert email.loc["click_rate", "denominator"] == "delivered"
    assert email.loc["click_through_rate", "denominator"] == "opened"
    assert email.loc["delivery_rate", "denominator"] == "sent"
    assert email.loc["return_rate", "denominator"] == "sent"
    assert email.loc["return_rate_delivered", "denominator"] == "delivered"
    assert email.loc["return_rate", ["numerator_count", "denominator_count"]].tolist() == [3, 4]
    assert set(rates["rate"]) == set(RATE_DEFINITIONS)
    assert ((rates["value"] >= 0) & (rates["value"] <= 1) | rates["value"].isna()).all()


def test_by_none_counts_each_user_once_from_the_first_send(log: EventLog) -> None:
    res = message_funnel(log, breakdown=None)
    t = res.table
    assert t.index.tolist() == ["all"]
    assert t["sent"].tolist() == [5]
    assert t["delivered"].tolist() == [4]
    assert t["opened"].tolist() == [3]
    assert t["clicked"].tolist() == [2]
    assert t["returned"].tolist() == [3]  # a, b and d (3 days after her first send)
    assert res.params["breakdown"] is None


def test_return_event_and_window(log: EventLog) -> None:
    res = message_funnel(log, return_event="purchase")
    assert res.table["returned"].tolist() == [1, 1]  # only d buys
    wide = message_funnel(log, return_within="8D")
    assert wide.table["returned"].tolist() == [4, 1]  # c now inside
    short = message_funnel(log, return_within="1D")
    assert short.table["returned"].tolist() == [1, 1]  # a at exactly 1 day; d after the push
    with pytest.raises(InvalidParameterError, match=r"return_event.*did you mean 'app_open'"):
        message_funnel(log, return_event="app_opn")


def test_same_timestamp_return_counts_and_earlier_activity_does_not() -> None:
    rows = [
        ("a", "app_open", T0 - NS, None),
        ("a", SENT, T0, "sms"),
        ("b", SENT, T0, "sms"),
        ("b", "app_open", T0, None),
    ]
    res = message_funnel(frame(rows), delivered=None, opened=None, clicked=None)
    assert res.table["returned"].tolist() == [1]


def test_skipped_stages_have_no_columns(log: EventLog) -> None:
    res = message_funnel(log, opened=None)
    t = res.table
    assert "opened" not in t.columns
    assert "open_rate" not in t.columns
    assert "click_through_rate" not in t.columns
    assert t["clicked"].tolist() == [2, 0]
    assert t["delivered"].tolist() == [3, 1]
    assert set(res.rates["rate"]) == {
        "delivery_rate",
        "click_rate",
        "return_rate",
        "return_rate_delivered",
    }
    only_sent = message_funnel(log, delivered=None, opened=None, clicked=None)
    assert only_sent.table.columns.tolist() == ["sent", "returned", "window_open", "return_rate"]


def test_campaign_filter_on_message_events_only() -> None:
    rows = [
        ("a", SENT, T0, "email"),
        ("a", DELIV, T0, "email"),
        ("b", SENT, T0, "email"),
        ("b", DELIV, T0, "email"),
        ("c", SENT, T0, "push"),
        ("a", "app_open", T0 + DAY, None),
        ("c", "app_open", T0 + DAY, None),
    ]
    campaigns = ["spring", "spring", "summer", "summer", "spring", None, None]
    df = frame(rows, campaign=campaigns)
    res = message_funnel(df, campaign="spring", clicked=None, opened=None)
    assert res.table["sent"].tolist() == [1, 1]
    assert res.table["returned"].tolist() == [1, 1]
    both = message_funnel(df, campaign=["spring", "summer"], clicked=None, opened=None)
    assert both.table["sent"].tolist() == [2, 1]
    df2 = df.rename(columns={"campaign": "cid"})
    res2 = message_funnel(df2, campaign="summer", campaign_col="cid", clicked=None, opened=None)
    assert res2.table.loc["email", "sent"] == 1
    with pytest.raises(InvalidParameterError, match=r"No message event has campaign='autumn'"):
        message_funnel(df, campaign="autumn", clicked=None, opened=None)
    with pytest.raises(InvalidParameterError, match=r"campaign_col='campain'.*'campaign'"):
        message_funnel(df, campaign="spring", campaign_col="campain", clicked=None, opened=None)


def test_message_events_without_a_channel_are_left_out() -> None:
    rows = [("a", SENT, T0, "email"), ("b", SENT, T0, None)]
    res = message_funnel(frame(rows), delivered=None, opened=None, clicked=None)
    assert res.table["sent"].tolist() == [1]
    assert message_funnel(
        frame(rows), breakdown=None, delivered=None, opened=None, clicked=None
    ).table["sent"].tolist() == [2]


def test_by_another_property() -> None:
    rows = [("a", SENT, T0, "email"), ("b", SENT, T0, "email")]
    df = frame(rows, template=["t1", "t2"])
    res = message_funnel(df, breakdown="template", delivered=None, opened=None, clicked=None)
    assert res.table.index.name == "template"
    assert res.table["sent"].tolist() == [1, 1]


def test_as_of_ignores_later_events_and_counts_open_windows(log: EventLog) -> None:
    res = message_funnel(log, as_of=T0 + 2 * DAY)
    t = res.table
    # d's push (at as_of) counts; later returns are unseen
    assert t["sent"].tolist() == [4, 2]
    assert t["returned"].tolist() == [1, 0]
    assert t["window_open"].tolist() == [3, 2]
    assert str(res.as_of) == "2024-03-03 10:00:00+00:00"


def test_nothing_sent_warns(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="no 'message_sent' event"):
        res = message_funnel(log, as_of=T0 - DAY)
    assert res.table.empty
    assert res.rates.empty


def test_result_api(log: EventLog) -> None:
    res = message_funnel(log)
    tidy = res.to_frame()
    assert len(tidy) == 2 * len(RATE_DEFINITIONS)
    tidy.loc[0, "value"] = -1.0
    assert res.rates.loc[0, "value"] != -1.0  # a copy
    json.dumps(res.to_dict())
    assert repr(res).startswith("MessageFunnelResult(sent='message_sent'")
    ax = res.plot()
    assert ax.get_ylabel() == "users"
    plt.close(ax.figure)


def test_frame_input_is_not_mutated() -> None:
    df = frame([("a", SENT, T0, "email"), ("a", "x", T0 + DAY, None)])
    before = df.copy()
    message_funnel(df, delivered=None, opened=None, clicked=None)
    pd.testing.assert_frame_equal(df, before)


def test_errors(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown event.* in opened.*'message_opened'"):
        message_funnel(log, opened="message_open")
    with pytest.raises(InvalidParameterError, match=r"Unknown event.* in sent.*'message_sent'"):
        message_funnel(log, sent="msg_sent")
    with pytest.raises(InvalidParameterError, match=r"Invalid sent=None"):
        message_funnel(log, sent=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"return_within='0D'.*positive"):
        message_funnel(log, return_within="0D")
    with pytest.raises(InvalidParameterError, match=r"breakdown='chanel'.*did you mean 'channel'"):
        message_funnel(log, breakdown="chanel")
    with pytest.raises(InvalidParameterError, match=r"Invalid breakdown=\['channel'\]"):
        message_funnel(log, breakdown=["channel"])  # type: ignore[arg-type]


def test_synthetic_campaign_flags_match() -> None:
    from useropslib.datasets import synthetic

    data = synthetic(n_users=3000, days=30, seed=5)
    res = message_funnel(data.events)
    flags = data.campaign.dropna(subset=["channel"]).groupby("channel")[
        ["sent", "delivered", "opened", "clicked"]
    ]
    expected = flags.sum().astype(np.int64)
    got = res.table[["sent", "delivered", "opened", "clicked"]]
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    assert (res.table["return_rate_delivered"] >= 0).all()


# --------------------------------------------------------------------------- slow twin
@st.composite
def message_logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from("abcde"), min_size=n, max_size=n))
    names = draw(
        st.lists(st.sampled_from([SENT, DELIV, OPEN, CLICK, "open", "buy"]), min_size=n, max_size=n)
    )
    hours = draw(st.lists(st.integers(0, 24 * 15), min_size=n, max_size=n))
    chans = draw(st.lists(st.sampled_from(["email", "sms"]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": names,
            "timestamp": T0 + pd.to_timedelta(hours, unit="h"),
            "channel": [
                c if e.startswith("message") else None for c, e in zip(chans, names, strict=True)
            ],
        }
    )


def slow_funnel(df: pd.DataFrame, within: pd.Timedelta) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    msgs = df[df["event"].str.startswith("message")]
    other = df[~df["event"].str.startswith("message")]
    for channel, g in msgs.groupby("channel"):
        counts = dict.fromkeys(["sent", "delivered", "opened", "clicked", "returned"], 0)
        for user, gu in g.groupby("user_id"):
            did = set(gu["event"])
            if SENT not in did:
                continue
            counts["sent"] += 1
            clicked = CLICK in did
            opened = clicked or OPEN in did
            delivered = opened or DELIV in did
            counts["clicked"] += clicked
            counts["opened"] += opened
            counts["delivered"] += delivered
            t0 = gu.loc[gu["event"] == SENT, "timestamp"].min()
            mine = other.loc[other["user_id"] == user, "timestamp"]
            counts["returned"] += bool(((mine >= t0) & (mine <= t0 + within)).any())
        out[str(channel)] = counts
    return out


@settings(max_examples=40, deadline=None, derandomize=True)
@given(df=message_logs(), hours=st.integers(1, 24 * 8), seed=st.integers(0, 1000))
def test_fast_equals_slow_and_ignores_row_order(df: pd.DataFrame, hours: int, seed: int) -> None:
    every_stage = frame([("a", name, T0, "email") for name in (SENT, DELIV, OPEN, CLICK)])
    df = pd.concat([df, every_stage], ignore_index=True)
    within = pd.Timedelta(hours, unit="h")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = message_funnel(df, return_within=within)
        shuffled = message_funnel(df.sample(frac=1.0, random_state=seed), return_within=within)
    pd.testing.assert_frame_equal(res.table, shuffled.table)
    cols = ["sent", "delivered", "opened", "clicked", "returned"]
    got = {str(k): {c: int(v[c]) for c in cols} for k, v in res.table[cols].iterrows()}
    expected = slow_funnel(df, within)
    assert {k: v for k, v in got.items() if v["sent"]} == {
        k: v for k, v in expected.items() if v["sent"]
    }
    rates = res.table[list(RATE_DEFINITIONS)].to_numpy(dtype=float)
    assert np.all(np.isnan(rates) | ((rates >= 0) & (rates <= 1)))
