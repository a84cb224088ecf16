"""Transitions, paths, top paths, step matrix, conversion and core paths: hand-computed cases."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from useropslib.events import strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.paths import (
    MAX_STEPS,
    clean_log,
    conversion_paths,
    core_path,
    paths,
    step_matrix,
    top_paths,
    transitions,
)


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    """Unknown event names raise here, so the messages below stay pinned (the default warning
    is tested in test_vocabulary.py)."""
    with strict_events():
        yield


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], format="ISO8601").dt.tz_localize("UTC")
    return df


# a: home home search buy  (10:00 .. 10:03), then a new session at 12:00: home search
# b: home search search    (11:00 .. 11:02)
LOG = frame(
    [
        ("a", "home", "2024-01-01 10:00"),
        ("a", "home", "2024-01-01 10:01"),
        ("a", "search", "2024-01-01 10:02"),
        ("a", "buy", "2024-01-01 10:03"),
        ("a", "home", "2024-01-01 12:00"),
        ("a", "search", "2024-01-01 12:01"),
        ("b", "home", "2024-01-01 11:00"),
        ("b", "search", "2024-01-01 11:01"),
        ("b", "search", "2024-01-01 11:02"),
    ]
)


def pairs(result: object, col: str = "count") -> dict[tuple[str, str], int]:
    t = result.table  # type: ignore[attr-defined]
    return {(s, d): int(c) for s, d, c in zip(t["source"], t["target"], t[col], strict=True)}


def test_transition_counting_units() -> None:
    occ = transitions(LOG)
    assert pairs(occ) == {
        ("home", "home"): 1,
        ("home", "search"): 3,
        ("search", "buy"): 1,
        ("buy", "home"): 1,
        ("search", "search"): 1,
    }
    # per user: a and b both did home -> search
    assert pairs(transitions(LOG, count="users"))[("home", "search")] == 2
    # per path (session): a's two sessions and b's
    per_session = transitions(LOG, within="session", count="paths")
    assert pairs(per_session)[("home", "search")] == 3
    assert ("buy", "home") not in pairs(per_session)  # the session break cuts it
    assert per_session.n_paths == 3


def test_collapse_first_or_last_and_shares() -> None:
    first = transitions(LOG, collapse="first")
    assert ("home", "home") not in pairs(first)
    assert ("search", "search") not in pairs(first)
    a_first = LOG.iloc[:4]  # home 10:00, home 10:01, search 10:02, buy 10:03
    keep_first = transitions(a_first, collapse="first").table.set_index(["source", "target"])
    assert keep_first.loc[("home", "search"), "mean_time"] == pd.Timedelta("2min")
    keep_last = transitions(a_first, collapse="last").table.set_index(["source", "target"])
    assert keep_last.loc[("home", "search"), "mean_time"] == pd.Timedelta("1min")
    assert first.table["share_of_total"].sum() == pytest.approx(1.0)
    assert first.table["proba_out"].groupby(first.table["source"]).sum().tolist() == [1.0] * 3


def test_group_by_mapping_and_pattern_and_exclusion() -> None:
    got = transitions(LOG, group={"home": "browse", "sea*": "browse"}, collapse="first")
    assert pairs(got) == {("browse", "buy"): 1, ("buy", "browse"): 1}
    ex = transitions(LOG, exclude=["buy"], collapse="first")
    assert pairs(ex) == {("home", "search"): 3, ("search", "home"): 1}
    inc = transitions(LOG, include="home")
    assert pairs(inc) == {("home", "home"): 2}


def test_min_weight_drops_rare_edges_after_shares() -> None:
    got = transitions(LOG, min_weight=2)
    assert pairs(got) == {("home", "search"): 3}
    assert got.table["share_of_total"].item() == pytest.approx(3 / 7)


def test_markers_and_matrix() -> None:
    got = transitions(LOG, markers=True, within="session", collapse="first")
    m = got.matrix("count")
    assert list(m.index) == ["path_start", "buy", "home", "search", "path_end"]
    assert m.loc["path_start", "home"] == 3
    assert m.loc["search", "path_end"] == 2
    assert m.loc["buy", "path_end"] == 1
    assert m.to_numpy().sum() == 3 + 3 + 1 + 3  # starts, home->search, search->buy, ends
    with pytest.raises(InvalidParameterError, match=r"Invalid weight='prob'.*Did you mean"):
        got.matrix("prob")  # type: ignore[arg-type]


def test_tie_rule_orders_same_instant_events() -> None:
    df = frame([("a", "zeta", "2024-01-01 10:00"), ("a", "alpha", "2024-01-01 10:00")])
    assert pairs(transitions(df)) == {("alpha", "zeta"): 1}
    assert pairs(transitions(df, ties="input")) == {("zeta", "alpha"): 1}
    assert pairs(transitions(df, ties=["zeta", "alpha"])) == {("zeta", "alpha"): 1}


def test_paths_from_start_and_to_end() -> None:
    got = paths(LOG, start="search")
    assert got.table[["source", "target", "value"]].values.tolist() == [
        ["1_search", "2_buy", 1],
    ]
    assert got.n_paths == 3
    to_buy = paths(LOG, end="buy")
    assert to_buy.table[["source", "target", "value"]].values.tolist() == [
        ["1_home", "2_search", 1],
        ["2_search", "3_buy", 1],
    ]
    short = paths(LOG, end="buy", steps=2)
    assert short.table[["source", "target"]].values.tolist() == [["1_search", "2_buy"]]
    users = paths(LOG, count="users")
    assert users.table.set_index("source").loc["1_home", "value"] == 2


def test_paths_edge_limit_and_reachability() -> None:
    got = paths(LOG, edge_limit=1)
    assert len(got.table) == 1
    assert got.table["source"].item().startswith("1_")


def test_paths_warn_when_no_path_has_the_start() -> None:
    df = frame([("a", "home", "2024-01-01 10:00"), ("a", "buy", "2024-01-01 12:00")])
    with pytest.warns(InsufficientDataWarning, match="No path contains"):
        got = paths(df, start="buy", end="home")
    assert got.table.empty


def test_top_paths_with_conversion() -> None:
    got = top_paths(LOG, target="buy", collapse="first")
    tab = got.table.set_index("path")
    assert tab.loc["home → search", "paths"] == 2
    assert tab.loc["home → search", "users"] == 2
    assert tab.loc["home → search", "converted"] == 0
    assert tab.loc["home → search → buy", "converted"] == 1
    assert got.n_paths == 3
    assert tab["share"].sum() == pytest.approx(1.0)


def test_step_matrix_and_its_difference() -> None:
    got = step_matrix(LOG, steps=3, collapse="first")
    m = got.matrix
    assert m.sum().round(12).tolist() == [1.0] * 4
    assert m.loc["home", 1] == 1.0
    assert m.loc["path_end", 3] == 0.5  # b's path home, search ended after step 2
    diff = step_matrix(LOG, steps=3, collapse="first", groups=(["a"], ["b"]))
    assert diff.matrix.sum().round(12).tolist() == [0.0] * 4
    assert diff.matrix.loc["buy", 3] == 1.0
    assert diff.matrix_a is not None
    assert diff.matrix_a.loc["buy", 3] == 1.0
    with pytest.warns(InsufficientDataWarning, match="Group B has no path"):
        step_matrix(LOG, steps=3, groups=(["a"], ["nobody"]))
    with pytest.raises(InvalidParameterError, match=r"groups must be a pair"):
        step_matrix(LOG, groups=(["a"],))  # type: ignore[arg-type]
    long = got.to_frame()
    assert set(long.columns) == {"label", "step", "share"}


def test_conversion_paths_best_path() -> None:
    df = frame(
        [
            ("a", "land", "2024-01-01 10:00"),
            ("a", "coupon", "2024-01-01 10:01"),
            ("a", "buy", "2024-01-01 10:02"),
            ("b", "land", "2024-01-01 10:00"),
            ("b", "coupon", "2024-01-01 10:01"),
            ("c", "land", "2024-01-01 10:00"),
            ("c", "browse", "2024-01-01 10:01"),
            ("c", "buy", "2024-01-09 10:02"),  # outside the 7-day window
        ]
    )
    got = conversion_paths(df, entry="land", target="buy")
    tab = got.table.set_index("path")
    assert tab.loc["land → coupon", "users"] == 2
    assert tab.loc["land → coupon", "conversion_rate"] == 0.5
    assert tab.loc["land → browse", "converted"] == 0
    assert (got.users, got.converted) == (3, 1)
    assert got.best()["path"] == "land → coupon"
    assert got.best(min_users=2)["path"] == "land → coupon"
    with pytest.raises(InsufficientDataError, match=r"No path has at least 5 users"):
        got.best(min_users=5)
    with pytest.warns(InsufficientDataWarning, match=r"No user has the entry event 'buy'"):
        empty = conversion_paths(
            df.assign(event=df["event"].replace("land", "x")),
            entry="buy",
            target="coupon",
            as_of="2024-01-01 10:01:30",
        )
    assert empty.table.empty  # counting: a zero-size result
    assert empty.users == 0
    with pytest.raises(InvalidParameterError, match=r"same event"):
        conversion_paths(df, entry="land", target="land")
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*'lnad'.*did you mean"):
        conversion_paths(df, entry="lnad", target="buy")


def test_core_path_through_and_detours() -> None:
    df = frame(
        [
            ("a", "land", "2024-01-01 10:00"),
            ("a", "claim", "2024-01-01 10:01"),
            ("a", "claim", "2024-01-01 10:01:30"),  # a repeat is no detour
            ("a", "buy", "2024-01-01 10:02"),
            ("b", "land", "2024-01-01 10:00"),
            ("b", "browse", "2024-01-01 10:01"),
            ("b", "claim", "2024-01-01 10:02"),
            ("b", "buy", "2024-01-01 10:03"),
            ("c", "land", "2024-01-01 10:00"),
            ("c", "claim", "2024-01-01 10:01"),
            ("d", "browse", "2024-01-01 10:00"),
        ]
    )
    got = core_path(df, steps=["land", "claim", "buy"])
    assert (got.participants, got.through, got.completed) == (3, 1, 2)
    assert got.table["on_path"].tolist() == [3, 2, 1]
    assert got.table["left_after"].tolist() == [1, 1, 0]
    det = got.detours.set_index(["after_name", "next_event"])["users"].to_dict()
    assert det == {("land", "browse"): 1, ("claim", "(no further event)"): 1}
    assert got.through_rate == pytest.approx(1 / 3)
    ignored = core_path(df, steps=["land", "claim", "buy"], ignore="browse")
    assert ignored.through == 2
    with pytest.raises(InvalidParameterError, match=r"both core steps and ignored"):
        core_path(df, steps=["land", "claim"], ignore=["claim"])
    with pytest.raises(InvalidParameterError, match=r"at least 2 event names"):
        core_path(df, steps=["land"])
    with pytest.warns(InsufficientDataWarning, match=r"No user has the first core step"):
        nobody = core_path(df, steps=["land", "buy"], as_of="2023-12-31")
    assert (nobody.participants, nobody.through, nobody.completed) == (0, 0, 0)


@pytest.mark.parametrize("steps", [0, MAX_STEPS + 1, 10_000])
def test_steps_beyond_the_bound(steps: int) -> None:
    with pytest.raises(InvalidParameterError, match=r"steps must be between 1 and 50.*grows as"):
        paths(LOG, steps=steps)


def test_bad_inputs_have_typed_errors() -> None:
    with pytest.raises(InvalidParameterError, match=r"steps must be an integer"):
        top_paths(LOG, steps=2.5)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidParameterError,
        match=r"Unknown event name\(s\) \['hom'\] in start.*did you mean 'home'",
    ):
        paths(LOG, start="hom")
    with pytest.raises(InvalidParameterError, match=r"end 'buy' is not a path label.*left out"):
        paths(LOG, end="buy", exclude=["buy"])
    with pytest.raises(InvalidParameterError, match=r"group key 'srch\*' matches no event"):
        transitions(LOG, group={"srch*": "s"})
    with pytest.raises(InvalidParameterError, match=r"group must be a mapping"):
        transitions(LOG, group=[("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"Invalid count='path'.*Did you mean 'paths'"):
        transitions(LOG, count="path")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"min_weight must be 0 or more"):
        transitions(LOG, min_weight=-1)
    with pytest.raises(InvalidParameterError, match=r"edge_limit must be a positive integer"):
        paths(LOG, edge_limit=0)
    with pytest.raises(InvalidParameterError, match=r"collapse_only names unknown path label"):
        transitions(LOG, collapse="first", collapse_only=["hme"])
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['serch'\]"):
        transitions(LOG, exclude=["serch"])
    clash = LOG.assign(event=LOG["event"].replace("buy", "path_end"))
    with pytest.raises(InvalidParameterError, match=r"collide with the path markers"):
        transitions(clash, markers=True)
    with pytest.raises(InvalidParameterError, match=r"n must be a positive integer"):
        top_paths(LOG, n=0)


def test_unicode_names_and_empty_selection() -> None:
    df = frame([("用户", "首页", "2024-01-01 10:00"), ("用户", "购买", "2024-01-01 10:01")])
    assert pairs(transitions(df)) == {("首页", "购买"): 1}
    with pytest.warns(InsufficientDataWarning, match="No events to form paths"):
        empty = transitions(df, as_of="2023-01-01")  # counting: warns, zero-size
    assert empty.table.empty
    assert empty.n_paths == 0


def test_clean_log_keeps_values_and_labels() -> None:
    df = LOG.assign(value=np.arange(len(LOG), dtype=float))
    got = clean_log(df, collapse="last", group={"search": "find"})
    pdf = got.to_pandas()
    assert "find" in set(pdf["event"])
    # the last home of a's first run (value 1.0) is kept
    assert pdf["value"].tolist()[:3] == [1.0, 2.0, 3.0]


def test_results_plot_and_serialise() -> None:
    import matplotlib

    matplotlib.use("Agg")
    for r in (
        transitions(LOG),
        paths(LOG),
        top_paths(LOG, target="buy"),
        step_matrix(LOG),
        step_matrix(LOG, groups=(["a"], ["b"])),
        conversion_paths(LOG, entry="home", target="buy"),
        core_path(LOG, steps=["home", "search", "buy"]),
    ):
        assert r.plot() is not None
        assert isinstance(r.to_frame(), pd.DataFrame)
        assert isinstance(r.to_dict(), dict)
        assert type(r).__name__ in repr(r)


def _campaign(funnel: object) -> object:
    from useropslib.models import Campaign, Goal, NewUsersSpec

    goal = Goal(
        kind="acquisition",
        metric=NewUsersSpec(),
        target=10,
        start="2024-01-01T00:00:00Z",
        deadline="2024-02-01T00:00:00Z",
    )
    return Campaign(id="c1", name="Spring", type="conversion", primary_goal=goal, funnel=funnel)


def test_core_path_through_a_campaign_funnel() -> None:
    from useropslib.models import ParticipationFunnel

    df = frame(
        [
            ("a", "banner", "2024-01-01 10:00"),
            ("a", "landing_b", "2024-01-01 10:01"),  # either landing counts as interest
            ("a", "buy", "2024-01-01 10:02"),
            ("b", "banner", "2024-01-01 10:00"),
            ("b", "browse", "2024-01-01 10:01"),
            ("b", "landing_a", "2024-01-01 10:02"),
            ("b", "buy", "2024-01-01 10:03"),
        ]
    )
    camp = _campaign(
        ParticipationFunnel(attention="banner", interest=["landing_a", "landing_b"], action="buy")
    )
    got = core_path(df, steps=camp)  # type: ignore[arg-type]
    assert got.table["stage"].tolist() == ["attention", "interest", "action"]
    assert got.table["name"].tolist() == ["banner", "landing_a | landing_b", "buy"]
    assert (got.participants, got.through, got.completed) == (2, 1, 2)
    assert got.params["campaign"] == "c1"
    with pytest.raises(InvalidParameterError, match=r"has no participation funnel"):
        core_path(df, steps=_campaign(None))  # type: ignore[arg-type]
