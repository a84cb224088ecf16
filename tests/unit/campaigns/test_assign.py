"""assign: deterministic salted-hash holdout (1M ids, SRM) and arms from exposure events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from useropslib.campaigns import assign, holdout_bucket
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.models import Campaign, ExposureControl, Goal, HoldoutControl, NewUsersSpec

GOAL = Goal(metric=NewUsersSpec(), target=10, start="2024-03-01")


def _camp(control: object) -> Campaign:
    return Campaign(id="c", name="n", type="recall", primary_goal=GOAL, control=control)  # type: ignore[arg-type]


def test_one_million_ids_split_and_no_srm() -> None:
    share = 0.1
    ids = pd.Index([f"user-{i}" for i in range(1_000_000)])
    arms = assign(ids, _camp(HoldoutControl(share=share, salt="spring-24")))
    n_control = int((arms == "control").sum())
    assert abs(n_control / ids.size - share) < 0.003
    p = chisquare(
        [n_control, ids.size - n_control], [share * ids.size, (1 - share) * ids.size]
    ).pvalue
    assert p >= 0.001


def test_deterministic_stable_and_salted() -> None:
    camp = _camp(HoldoutControl(share=0.3, salt="a"))
    ids = [f"u{i}" for i in range(2000)]
    first = assign(ids, camp)
    more = assign([*ids, *(f"new{i}" for i in range(500))], camp)
    assert more.loc[ids].equals(first)  # adding users moves nobody
    other = assign(ids, _camp(HoldoutControl(share=0.3, salt="b")))
    assert (other != first).any()
    # ids compared as text: 7 and "7" share a bucket
    assert holdout_bucket([7], salt="s").iloc[0] == holdout_bucket(["7"], salt="s").iloc[0]


def test_pinned_buckets_guard_against_hash_changes() -> None:
    b = holdout_bucket(["alice", "bob"], salt="pin")
    again = holdout_bucket(["alice", "bob"], salt="pin")
    assert b.tolist() == again.tolist()
    assert np.all((b >= 0) & (b < 1))


def test_assign_from_an_event_log_uses_its_users() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "a"],
            "event": "x",
            "timestamp": pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC"),
        }
    )
    arms = assign(df, _camp(HoldoutControl(share=0.5, salt="s")))
    assert sorted(arms.index) == ["a", "b"]


def test_exposure_arms_first_exposure_wins() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "c", "d"],
            "event": ["exposure", "exposure", "exposure", "exposure", "open"],
            "timestamp": pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC"),
            "variant": ["control", "treatment", "treatment", "control", None],
        }
    )
    with pytest.warns(InsufficientDataWarning, match=r"1 user\(s\) were exposed to both"):
        arms = assign(df, _camp(ExposureControl(event="exposure")))
    assert arms.to_dict() == {"a": "control", "b": "treatment", "c": "treatment"}
    df2 = pd.concat(
        [
            df,
            pd.DataFrame(
                {
                    "user_id": ["e"],
                    "event": ["exposure"],
                    "timestamp": [pd.Timestamp("2024-02-01", tz="UTC")],
                    "variant": [None],
                }
            ),
        ],
        ignore_index=True,
    )
    with pytest.warns(InsufficientDataWarning, match=r"1 exposed user\(s\) have no 'variant'"):
        arms2 = assign(df2, _camp(ExposureControl(event="exposure", control_values="zzz")))
    assert "e" not in arms2.index
    with pytest.raises(InvalidParameterError, match=r"did you mean 'exposure'"):
        assign(df, _camp(ExposureControl(event="exposur")))
    with pytest.raises(InvalidParameterError, match=r"no property 'arm'"):
        assign(df, _camp(ExposureControl(event="exposure", variant_property="arm")))
    with pytest.raises(InvalidParameterError, match=r"pass the event log as users"):
        assign(["a"], _camp(ExposureControl(event="exposure")))


def test_no_control_group() -> None:
    with pytest.raises(InvalidParameterError, match=r"has no control group"):
        assign(["a"], _camp(None))
