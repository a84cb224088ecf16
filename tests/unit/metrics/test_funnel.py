"""Hand-computed cases for funnel(): every option and every error."""

from __future__ import annotations

import json
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError, UseropsError
from useropslib.metrics._funnel import FunnelResult, funnel

matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


def frame(rows: list[tuple[object, ...]], *extra: str) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", *extra])
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    return df


def users(res: FunnelResult) -> list[int]:
    return [int(v) for v in res.table["users"]]


def reach(res: FunnelResult) -> dict[str, int]:
    pu = res.per_user
    return dict(zip(pu["user_id"], pu["furthest_step"].astype(int), strict=True))


@pytest.fixture
def shop() -> pd.DataFrame:
    """a: visit, cart 10 min later, buy 1 h later; b: visit, cart 30 min later; c: visit."""
    return frame(
        [
            ("a", "visit", at(0)),
            ("a", "cart", at(10)),
            ("a", "buy", at(70)),
            ("b", "visit", at(0)),
            ("b", "cart", at(30)),
            ("c", "visit", at(5)),
        ]
    )


# ============================================================================ the table


def test_table_columns_and_values(shop: pd.DataFrame) -> None:
    res = funnel(shop, ["visit", "cart", "buy"], window="1D")
    t = res.table
    assert list(t.columns) == [
        "step",
        "name",
        "users",
        "conversion_rate",
        "step_conversion_rate",
        "drop_off",
        "drop_off_rate",
        "mean_time_to_convert",
        "median_time_to_convert",
    ]
    assert users(res) == [3, 2, 1]
    assert t["conversion_rate"].tolist() == pytest.approx([1.0, 2 / 3, 1 / 3])
    assert t["step_conversion_rate"].tolist() == pytest.approx([1.0, 2 / 3, 0.5])
    assert t["drop_off"].tolist() == [0, 1, 1]
    assert t["drop_off_rate"].tolist() == pytest.approx([0.0, 1 / 3, 0.5])
    assert pd.isna(t["mean_time_to_convert"].iloc[0])
    assert t["mean_time_to_convert"].iloc[1] == pd.Timedelta(minutes=20)
    assert t["median_time_to_convert"].iloc[1] == pd.Timedelta(minutes=20)
    assert t["mean_time_to_convert"].iloc[2] == pd.Timedelta(hours=1)
    assert res.bottleneck == 2
    assert res.excluded_users == 0
    assert res.breakdown_table is None


def test_bottleneck_is_none_without_loss_or_with_one_step() -> None:
    df = frame([("a", "x", at(0)), ("a", "y", at(1))])
    assert funnel(df, ["x", "y"]).bottleneck is None
    assert funnel(df, ["x"]).bottleneck is None


def test_bottleneck_ties_take_the_earliest_step() -> None:
    df = frame(
        [
            *[("a", "x", at(0)), ("a", "y", at(1)), ("a", "z", at(2))],
            *[("b", "x", at(0)), ("b", "y", at(1))],
            ("c", "x", at(0)),
            *[("d", "x", at(0)), ("d", "y", at(1)), ("d", "z", at(2))],
        ]
    )
    res = funnel(df, ["x", "y", "z"])
    assert res.table["drop_off_rate"].tolist() == pytest.approx([0.0, 0.25, 1 / 3])
    assert res.bottleneck == 2


def test_single_step_is_allowed(shop: pd.DataFrame) -> None:
    res = funnel(shop, ["cart"])
    assert users(res) == [2]
    assert res.table["conversion_rate"].tolist() == [1.0]
    assert res.per_user["converted"].all()


def test_per_user_frame(shop: pd.DataFrame) -> None:
    res = funnel(shop, ["visit", "cart", "buy"], window="1D", tz="Asia/Shanghai")
    pu = res.per_user
    assert list(pu.columns) == [
        "user_id",
        "furthest_step",
        "converted",
        "step_0_time",
        "step_1_time",
        "step_2_time",
    ]
    assert pu["user_id"].tolist() == ["a", "b", "c"]
    assert pu["furthest_step"].tolist() == [2, 1, 0]
    assert pu["converted"].tolist() == [True, False, False]
    assert pu["step_1_time"].iloc[0] == at(10)
    assert str(pu["step_1_time"].dt.tz) == "Asia/Shanghai"
    assert pd.isna(pu["step_2_time"].iloc[1])
    assert res.per_user is pu  # computed once


def test_to_frame_to_dict_and_repr(shop: pd.DataFrame) -> None:
    res = funnel(shop, ["visit", "cart"], window="1D")
    pd.testing.assert_frame_equal(res.to_frame(), res.table)
    assert res.to_frame() is not res.table
    d = res.to_dict()
    assert set(d) == {
        "params",
        "as_of",
        "table",
        "bottleneck",
        "excluded_users",
        "breakdown_table",
    }
    assert d["table"][1]["median_time_to_convert"] == "P0DT0H20M0S"
    assert d["table"][0]["mean_time_to_convert"] is None
    json.dumps(d)
    text = repr(res)
    assert text.startswith("FunnelResult(steps=['visit', 'cart'], window='1D'")
    assert "bottleneck: 1" in text


def test_plot_returns_axes(shop: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    res = funnel(shop, ["visit", "cart", "buy"])
    ax = res.plot()
    assert ax.get_ylabel() == "people"
    assert len(ax.patches) == 3
    _fig, ax2 = plt.subplots()
    shop = shop.assign(src=["ads", "ads", "ads", "seo", "seo", "ads"])
    assert funnel(shop, ["visit", "cart"], breakdown="src").plot(ax=ax2) is ax2
    plt.close("all")


def test_accepts_a_frame_and_never_mutates_it(shop: pd.DataFrame) -> None:
    before = shop.copy()
    a = funnel(shop, ["visit", "cart"])
    b = funnel(EventLog.from_pandas(shop), ["visit", "cart"])
    pd.testing.assert_frame_equal(shop, before)
    pd.testing.assert_frame_equal(a.table, b.table)


# ============================================================================ window and order


def test_window_is_inclusive_and_measured_from_step_0() -> None:
    df = frame(
        [
            ("in", "a", at(0)),
            ("in", "b", at(30)),
            ("in", "c", at(60)),  # exactly one hour after step 0
            ("out", "a", at(0)),
            ("out", "b", at(30)),
            ("out", "c", at(60) + pd.Timedelta(1, "ns")),
        ]
    )
    res = funnel(df, ["a", "b", "c"], window="1h")
    assert reach(res) == {"in": 2, "out": 1}


def test_same_timestamp_events_count_as_in_order() -> None:
    df = frame([("u", "b", at(0)), ("u", "a", at(0)), ("u", "c", at(0))])
    assert users(funnel(df, ["a", "b", "c"])) == [1, 1, 1]


def test_other_events_in_between_are_fine_when_ordered() -> None:
    df = frame([("u", "a", at(0)), ("u", "z", at(1)), ("u", "b", at(2))])
    assert users(funnel(df, ["a", "b"])) == [1, 1]
    assert users(funnel(df, ["b", "a"])) == [1, 0]  # order matters


def test_repeated_event_names_need_distinct_events() -> None:
    one = frame([("u", "view", at(0)), ("u", "buy", at(1))])
    two = frame([("u", "view", at(0)), ("u", "view", at(1)), ("u", "buy", at(2))])
    tied = frame([("u", "view", at(0)), ("u", "view", at(0)), ("u", "buy", at(0))])
    steps = ["view", "view", "buy"]
    assert users(funnel(one, steps)) == [1, 0, 0]
    assert users(funnel(two, steps)) == [1, 1, 1]
    assert users(funnel(tied, steps)) == [1, 1, 1]


def test_steps_with_property_filters() -> None:
    df = frame(
        [
            ("a", "visit", at(0), "ads"),
            ("a", "buy", at(1), "pro"),
            ("b", "visit", at(0), "seo"),
            ("b", "buy", at(1), "free"),
            ("c", "visit", at(0), "ads"),
            ("c", "buy", at(1), "team"),
        ],
        "tag",
    )
    assert users(funnel(df, ["visit", ("buy", {"tag": "pro"})])) == [3, 1]
    assert users(funnel(df, ["visit", ("buy", {"tag": ["pro", "team"]})])) == [3, 2]
    assert users(funnel(df, [("visit", {"tag": "ads"}), "buy"])) == [2, 2]
    res = funnel(df, [("visit", {"tag": "ads"}), ("buy", {"tag": ["pro", "team"]})])
    assert res.table["name"].tolist() == ["visit (tag='ads')", "buy (tag=['pro', 'team'])"]


def test_strict_order_breaks_on_any_event_in_between() -> None:
    df = frame(
        [
            ("ok", "a", at(0)),
            ("ok", "b", at(1)),
            ("broken", "a", at(0)),
            ("broken", "z", at(1)),
            ("broken", "b", at(2)),
            ("retry", "a", at(0)),
            ("retry", "z", at(1)),
            ("retry", "a", at(2)),
            ("retry", "b", at(3)),
        ]
    )
    assert reach(funnel(df, ["a", "b"], order="strict")) == {"broken": 0, "ok": 1, "retry": 1}
    assert reach(funnel(df, ["a", "b"], order="ordered")) == {"broken": 1, "ok": 1, "retry": 1}


def test_strict_ignores_other_events_at_the_same_instant_as_a_step() -> None:
    df = frame(
        [
            ("u", "a", at(0)),
            ("u", "z", at(0)),  # same instant as step a: not "in between"
            ("u", "b", at(1)),
            ("u", "z", at(1)),  # same instant as step b
            ("u", "c", at(2)),
        ]
    )
    assert users(funnel(df, ["a", "b", "c"], order="strict")) == [1, 1, 1]
    df2 = frame([("u", "a", at(0)), ("u", "z", at(1)), ("u", "z", at(1)), ("u", "b", at(2))])
    assert users(funnel(df2, ["a", "b"], order="strict")) == [1, 0]


def test_unordered_counts_distinct_steps_in_any_order() -> None:
    df = frame(
        [
            ("all", "c", at(0)),
            ("all", "a", at(1)),
            ("all", "b", at(2)),
            ("two", "b", at(0)),
            ("two", "b", at(1)),
            ("late", "a", at(0)),
            ("late", "c", at(120)),  # outside the window
        ]
    )
    res = funnel(df, ["a", "b", "c"], order="unordered", window="1h")
    assert reach(res) == {"all": 2, "late": 0, "two": 0}
    assert res.table["name"].tolist() == [
        "Completed 1 step",
        "Completed 2 steps",
        "Completed 3 steps",
    ]
    assert res.table["mean_time_to_convert"].tolist()[1:] == [pd.Timedelta(minutes=1)] * 2
    # a repeated step needs as many distinct events
    assert users(funnel(df, ["b", "b"], order="unordered")) == [2, 1]
    assert users(funnel(df.iloc[:3], ["b", "b"], order="unordered")) == [1, 0]


def test_unordered_takes_the_best_window() -> None:
    df = frame([("u", "a", at(0)), ("u", "b", at(90)), ("u", "c", at(100))])
    res = funnel(df, ["a", "b", "c"], order="unordered", window="1h")
    assert users(res) == [1, 1, 0]
    assert res.per_user["step_0_time"].iloc[0] == at(90)


# ============================================================================ attempts


@pytest.fixture
def retry() -> pd.DataFrame:
    """u: first attempt at 0 fails (buy too late), second attempt at 3 days converts."""
    return frame(
        [
            ("u", "signup", at(0)),
            ("u", "signup", at(3 * 1440)),
            ("u", "buy", at(3 * 1440 + 60)),
            ("v", "signup", at(0)),
            ("v", "buy", at(60)),
        ]
    )


def test_attempts_best_and_first(retry: pd.DataFrame) -> None:
    assert reach(funnel(retry, ["signup", "buy"], window="1D")) == {"u": 1, "v": 1}
    first = funnel(retry, ["signup", "buy"], window="1D", attempts="first")
    assert reach(first) == {"u": 0, "v": 1}
    assert first.per_user["step_0_time"].iloc[0] == at(0)


def test_best_attempt_times_come_from_the_latest_entry() -> None:
    """PostHog reports the time from the last step-0 event before the conversion."""
    df = frame([("u", "a", at(0)), ("u", "a", at(60)), ("u", "b", at(120))])
    res = funnel(df, ["a", "b"])
    assert res.table["mean_time_to_convert"].iloc[1] == pd.Timedelta(hours=1)
    assert res.per_user["step_0_time"].iloc[0] == at(60)


def test_best_attempt_prefers_the_earliest_completion() -> None:
    df = frame(
        [
            ("u", "a", at(0)),
            ("u", "b", at(10)),
            ("u", "a", at(20)),
            ("u", "b", at(25)),
        ]
    )
    res = funnel(df, ["a", "b"])
    assert res.per_user["step_1_time"].iloc[0] == at(10)


# ============================================================================ exclusions


@pytest.fixture
def excl() -> pd.DataFrame:
    return frame(
        [
            ("between", "a", at(0)),
            ("between", "x", at(5)),
            ("between", "b", at(10)),
            ("before", "x", at(0)),
            ("before", "a", at(1)),
            ("before", "b", at(10)),
            ("tied", "a", at(0)),
            ("tied", "x", at(0)),
            ("tied", "b", at(10)),
            ("open", "a", at(0)),
            ("open", "x", at(30)),  # never reached b, window still open
            ("expired", "a", at(0)),
            ("expired", "x", at(120)),  # after the window: ignored
        ]
    )


def test_exclusion_between_steps(excl: pd.DataFrame) -> None:
    res = funnel(excl, ["a", "b"], window="1h", exclusions=["x"])
    assert reach(res) == {"before": 1, "expired": 0, "tied": 1}
    assert res.excluded_users == 2
    assert users(res) == [3, 2]


def test_exclusion_at_the_window_end_still_counts() -> None:
    df = frame([("u", "a", at(0)), ("u", "x", at(60)), ("v", "a", at(0)), ("v", "b", at(90))])
    res = funnel(df, ["a", "b"], window="1h", exclusions=["x"])
    assert res.excluded_users == 1
    df2 = frame([("u", "a", at(0)), ("u", "x", at(60) + pd.Timedelta(1, "ns")), ("u", "b", at(90))])
    assert funnel(df2, ["a", "b"], window="1h", exclusions=["x"]).excluded_users == 0


def test_exclusion_range_is_per_step_pair() -> None:
    df = frame([("u", "a", at(0)), ("u", "b", at(1)), ("u", "x", at(2)), ("u", "c", at(3))])
    steps = ["a", "b", "c"]
    assert users(funnel(df, steps, exclusions=[("x", 0, 1)])) == [1, 1, 1]
    assert users(funnel(df, steps, exclusions=[("x", 1, 2)])) == [0, 0, 0]
    assert users(funnel(df, steps, exclusions=[(("x", {}), 0, 2)])) == [0, 0, 0]


def test_exclusion_with_property_filter() -> None:
    df = frame(
        [("u", "a", at(0), 0), ("u", "x", at(1), 1), ("u", "b", at(2), 0)],
        "p",
    )
    assert users(funnel(df, ["a", "b"], exclusions=[("x", {"p": 0})])) == [1, 1]
    assert users(funnel(df, ["a", "b"], exclusions=[("x", {"p": 1})])) == [0, 0]


def test_a_clean_attempt_survives_an_excluded_one() -> None:
    df = frame(
        [
            ("u", "a", at(0)),
            ("u", "x", at(1)),
            ("u", "b", at(2)),  # first attempt is disqualified ...
            ("u", "a", at(3)),
            ("u", "b", at(4)),  # ... the second is clean
        ]
    )
    best = funnel(df, ["a", "b"], exclusions=["x"])
    assert users(best) == [1, 1]
    assert best.per_user["step_0_time"].iloc[0] == at(3)
    first = funnel(df, ["a", "b"], exclusions=["x"], attempts="first")
    assert users(first) == [0, 0]
    assert first.excluded_users == 1


def test_unordered_exclusion_over_the_whole_funnel() -> None:
    df = frame([("u", "b", at(0)), ("u", "x", at(1)), ("u", "a", at(2)), ("v", "a", at(0))])
    res = funnel(df, ["a", "b"], order="unordered", exclusions=["x"])
    # u's window from b is disqualified; its window from a (alone) is clean
    assert reach(res) == {"u": 0, "v": 0}
    df2 = frame([("u", "b", at(0)), ("u", "x", at(1)), ("u", "a", at(2))])
    res2 = funnel(df2, ["a", "b"], order="unordered", exclusions=["x"], attempts="first")
    assert users(res2) == [0, 0]
    assert res2.excluded_users == 1


# ============================================================================ range and as_of


def test_start_and_end_bound_the_entries_only() -> None:
    df = frame(
        [
            ("early", "a", at(0)),
            ("early", "b", at(10)),
            ("inside", "a", at(100)),
            ("inside", "b", at(300)),  # after end, inside the window
            ("at_end", "a", at(200)),
        ]
    )
    res = funnel(df, ["a", "b"], start=at(50), end=at(200))
    assert reach(res) == {"inside": 1}
    assert res.params["start"] == at(50)


def test_naive_bounds_are_read_in_tz() -> None:
    df = frame([("u", "a", "2024-01-01T17:00Z"), ("v", "a", "2024-01-01T15:00Z")])
    res = funnel(df, ["a"], start="2024-01-02 00:00", tz="Asia/Shanghai")  # 16:00 UTC
    assert reach(res) == {"u": 0}


def test_events_after_as_of_are_ignored(shop: pd.DataFrame) -> None:
    res = funnel(shop, ["visit", "cart", "buy"], as_of=at(20))
    assert users(res) == [3, 1, 0]
    assert res.as_of == at(20)
    log = EventLog.from_pandas(shop)
    pd.testing.assert_frame_equal(
        res.table, funnel(log.until(at(20)), ["visit", "cart", "buy"]).table
    )


def test_empty_range_warns_and_returns_zeros(shop: pd.DataFrame) -> None:
    with pytest.warns(InsufficientDataWarning, match="No entry event"):
        res = funnel(shop, ["visit", "cart"], start="2030-01-01", end="2030-02-01")
    assert users(res) == [0, 0]
    assert res.table["conversion_rate"].isna().all()
    assert res.bottleneck is None
    assert len(res.per_user) == 0


def test_everyone_excluded_is_not_an_empty_range() -> None:
    df = frame([("u", "a", at(0)), ("u", "x", at(1)), ("w", "b", at(2))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = funnel(df, ["a", "b"], exclusions=["x"])
    assert users(res) == [0, 0]
    assert res.excluded_users == 1


# ============================================================================ breakdown


@pytest.fixture
def touches() -> pd.DataFrame:
    return frame(
        [
            ("a", "visit", at(0), None),
            ("a", "visit", at(1), "ads"),
            ("a", "buy", at(2), "email"),
            ("b", "visit", at(0), "seo"),
            ("b", "buy", at(1), None),
            ("c", "visit", at(0), None),
        ],
        "src",
    )


def test_breakdown_first_touch(touches: pd.DataFrame) -> None:
    res = funnel(touches, ["visit", "buy"], breakdown="src")
    bt = res.breakdown_table
    assert bt is not None
    assert list(bt.columns)[:3] == ["src", "step", "name"]
    assert bt["src"].tolist() == ["(none)", "(none)", "ads", "ads", "seo", "seo"]
    assert bt["users"].tolist() == [1, 0, 1, 1, 1, 1]
    assert res.per_user["src"].tolist() == ["ads", "seo", "(none)"]
    pd.testing.assert_frame_equal(res.to_frame(), bt)
    assert users(res) == [3, 2]


def test_breakdown_last_touch_and_step(touches: pd.DataFrame) -> None:
    last = funnel(touches, ["visit", "buy"], breakdown="src", attribution="last_touch")
    assert last.per_user["src"].tolist() == ["email", "seo", "(none)"]
    step1 = funnel(touches, ["visit", "buy"], breakdown="src", attribution=("step", 1))
    assert step1.per_user["src"].tolist() == ["email", "(none)", "(none)"]
    step0 = funnel(touches, ["visit", "buy"], breakdown="src", attribution=("step", 0))
    assert step0.per_user["src"].tolist() == ["ads", "seo", "(none)"]  # a's counted entry at 1


def test_breakdown_by_user_mapping(shop: pd.DataFrame) -> None:
    res = funnel(
        shop, ["visit", "cart"], breakdown=pd.Series({"a": "vip", "b": "vip"}, name="tier")
    )
    bt = res.breakdown_table
    assert bt is not None
    assert bt["tier"].tolist() == ["vip", "vip", "(none)", "(none)"]
    assert bt["users"].tolist() == [2, 2, 1, 0]
    res2 = funnel(shop, ["visit", "cart"], breakdown={"c": "new"})
    assert res2.per_user["group"].tolist() == ["(none)", "(none)", "new"]


def test_breakdown_with_packed_and_unpacked_sorts() -> None:
    """A breakdown needs the original rows back; both sort paths must keep them right."""
    rows = [
        ("u", "a", pd.Timestamp("1975-01-01T00:00:00.000000001Z"), "x"),
        ("u", "b", pd.Timestamp("1975-01-01T00:00:01Z"), "y"),
        ("v", "a", pd.Timestamp("2100-01-01T00:00:00.000000003Z"), "z"),
    ]
    df = frame(rows, "src")
    res = funnel(df, ["a", "b"], breakdown="src", attribution=("step", 1))
    assert res.per_user["src"].tolist() == ["y", "(none)"]
    assert users(res) == [2, 1]
    df2 = df.assign(timestamp=df["timestamp"].dt.floor("s"))
    assert funnel(df2, ["a", "b"], breakdown="src").per_user["src"].tolist() == ["x", "z"]


# ============================================================================ errors


def test_unknown_event_names_list_close_names(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['crat'\].*'cart'"):
        funnel(shop, ["visit", "crat"], strict=True)
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['vist'\]"):
        funnel(shop, ["visit", "cart"], exclusions=["vist"], strict=True)


@pytest.mark.parametrize("steps", [[], ()])
def test_empty_steps(shop: pd.DataFrame, steps: list[str]) -> None:
    with pytest.raises(InvalidParameterError, match=r"steps is empty.*Expected at least one step"):
        funnel(shop, steps)


def test_steps_given_as_one_string(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"single step 'visit'.*steps=\['visit'\]"):
        funnel(shop, "visit")  # type: ignore[arg-type]


def test_malformed_step(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"Cannot read step 1 3.*event name or a pair"):
        funnel(shop, ["visit", 3])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError, match="property names must be strings"):
        funnel(shop, ["visit", ("cart", {1: "x"})])
    with pytest.raises(InvalidParameterError, match="must be a scalar or a list of scalars"):
        funnel(shop, ["visit", ("cart", {"p": [["x"]]})])


def test_unknown_property_in_filter(shop: pd.DataFrame) -> None:
    shop = shop.assign(plan="pro")
    with pytest.raises(
        InvalidParameterError, match=r"Missing property 'plna'.*Did you mean 'plan'"
    ):
        funnel(shop, ["visit", ("cart", {"plna": "pro"})])


@pytest.mark.parametrize("window", ["0D", "-1D", "0s"])
def test_window_must_be_positive(shop: pd.DataFrame, window: str) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"(Window must be positive|Cannot read window)"
    ):
        funnel(shop, ["visit", "cart"], window=window)


def test_window_in_months_is_refused(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="no fixed length"):
        funnel(shop, ["visit", "cart"], window="1M")


def test_end_before_start(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"end=.*is before start=.*Hint: swap them"):
        funnel(shop, ["visit", "cart"], start="2024-02-01", end="2024-01-01")


def test_missing_breakdown_column(shop: pd.DataFrame) -> None:
    shop = shop.assign(source="ads")
    with pytest.raises(
        InvalidParameterError, match=r"Missing breakdown column 'sorce'.*Did you mean 'source'"
    ):
        funnel(shop, ["visit", "cart"], breakdown="sorce")


def test_invalid_breakdown_type_and_duplicates(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="Cannot read breakdown of type int"):
        funnel(shop, ["visit", "cart"], breakdown=3)  # type: ignore[arg-type]
    dup = pd.Series(["x", "y"], index=["a", "a"])
    with pytest.raises(InvalidParameterError, match="maps some users more than once"):
        funnel(shop, ["visit", "cart"], breakdown=dup)


def test_invalid_time_zone(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Asia/Shangai'"):
        funnel(shop, ["visit", "cart"], tz="Asia/Shangai")


def test_unreadable_bound(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="Cannot read start='soon'"):
        funnel(shop, ["visit", "cart"], start="soon")


def test_invalid_order_attempts_attribution(shop: pd.DataFrame) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"Invalid order='strcit'.*Did you mean 'strict'"
    ):
        funnel(shop, ["visit", "cart"], order="strcit")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Invalid attempts='all'"):
        funnel(shop, ["visit", "cart"], attempts="all")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Invalid attribution='first'"):
        funnel(shop, ["visit", "cart"], attribution="first")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"attribution=\('step', 2\) is out of range"):
        funnel(shop, ["visit", "cart"], attribution=("step", 2))


def test_invalid_exclusions(shop: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="between steps 1 and 1 is out of range"):
        funnel(shop, ["visit", "cart"], exclusions=[("buy", 1, 1)])
    with pytest.raises(InvalidParameterError, match="from_step must be an integer"):
        funnel(shop, ["visit", "cart"], exclusions=[("buy", "0", 1)])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError, match="needs a funnel of at least two steps"):
        funnel(shop, ["visit"], exclusions=["buy"])
    with pytest.raises(InvalidParameterError, match="exclusions must be a list"):
        funnel(shop, ["visit", "cart"], exclusions="buy")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="unordered funnel has no step order"):
        funnel(shop, ["visit", "cart", "buy"], order="unordered", exclusions=[("buy", 0, 1)])


def test_unordered_overlapping_filters() -> None:
    df = frame([("u", "view", at(0), "x"), ("u", "buy", at(1), "x")], "page")
    with pytest.raises(InvalidParameterError, match="each event may count for one kind of step"):
        funnel(df, ["view", ("view", {"page": "x"}), "buy"], order="unordered")
    # identical or disjoint steps are fine
    assert users(funnel(df, ["view", "view", "buy"], order="unordered")) == [1, 1, 0]


def test_too_many_steps() -> None:
    df = frame([("u", "a", at(0))])
    with pytest.raises(InvalidParameterError, match="Too many steps and exclusions: 63"):
        funnel(df, ["a"] * 63)


def test_plot_without_matplotlib(shop: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    res = funnel(shop, ["visit", "cart"])
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(UseropsError, match=r'pip install "useropslib\[plot\]"'):
        res.plot()


@pytest.mark.parametrize(
    ("n_users", "unit_ns"),
    [
        (400, 1_000_000_000),  # second times: one sort of a bit-packed key
        (5000, 1),  # nanosecond times, many users: the key does not fit, a 2-key lexsort
    ],
)
def test_matches_a_pandas_computation_on_a_larger_log(n_users: int, unit_ns: int) -> None:
    """A larger random log: the funnel matches a straightforward pandas merge_asof recipe."""
    rng = np.random.default_rng(7)
    n = 6000
    span = 30 * 86400 * 1_000_000_000 // unit_ns
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, n_users, n).astype(str),
            "event": rng.choice(["a", "b", "c", "z"], n),
            "timestamp": pd.to_datetime(T0.value + rng.integers(0, span, n) * unit_ns, utc=True),
        }
    )
    res = funnel(df, ["a", "b", "c"], window="2D")
    w = pd.Timedelta(days=2)
    a = df[df.event == "a"].sort_values("timestamp")
    b = df[df.event == "b"].sort_values("timestamp").rename(columns={"timestamp": "tb"})
    c = df[df.event == "c"].sort_values("timestamp").rename(columns={"timestamp": "tc"})
    j = pd.merge_asof(
        a,
        b[["user_id", "tb"]],
        left_on="timestamp",
        right_on="tb",
        by="user_id",
        direction="forward",
        allow_exact_matches=True,
    )
    j = j.dropna(subset=["tb"]).sort_values("tb")
    j2 = pd.merge_asof(
        j,
        c[["user_id", "tc"]],
        left_on="tb",
        right_on="tc",
        by="user_id",
        direction="forward",
        allow_exact_matches=True,
    )
    step2 = j[j.tb - j.timestamp <= w].user_id.nunique()
    step3 = j2[j2.tc - j2.timestamp <= w].user_id.nunique()
    assert users(res) == [a.user_id.nunique(), step2, step3]
