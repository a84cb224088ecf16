"""evaluate(..., assignment=stored): the checks of the given table, on both routes.

The engine route checks the ids for repeats in one hash pass (Polars when installed, else
Arrow); both routes refuse a user listed twice with a typed error, and code the labels in one
pass whatever their dtype.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import assign, evaluate
from useropslib.datasets import synthetic_campaign
from useropslib.events import LazyEventLog
from useropslib.exceptions import InvalidParameterError

pa = pytest.importorskip("pyarrow")


def _lazy(frame: pd.DataFrame, engine: str) -> LazyEventLog:
    if engine == "polars":
        pl = pytest.importorskip("polars")
        native: object = pl.from_pandas(frame).lazy()
    else:
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        native = con.from_df(frame)
    return LazyEventLog.scan(native, tz="Asia/Shanghai")


@pytest.fixture(scope="module")
def campaign_data() -> tuple[object, pd.DataFrame, pd.Series]:
    data = synthetic_campaign(n_users=1200, lift=0.3, seed=6, control="holdout")
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    before = frame.loc[frame["timestamp"] < data.truth["launch"], "user_id"].unique()
    stored = assign(list(before), data.campaign)
    return data, frame, stored


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
@pytest.mark.parametrize("polars_check", [True, False])
def test_repeated_user_refused_on_both_routes(
    campaign_data: tuple[object, pd.DataFrame, pd.Series],
    engine: str,
    polars_check: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, frame, stored = campaign_data
    if not polars_check:  # the Arrow fallback, as without Polars installed
        monkeypatch.setitem(sys.modules, "polars", None)
        if engine == "polars":
            pytest.skip("the Polars engine needs Polars")
    lazy = _lazy(frame, engine)
    # the same user twice, once in each arm: a join would count them twice
    twice = pd.concat([stored, pd.Series(["control"], index=[stored.index[0]])])
    # Arrow-backed and categorical copies of the same table
    arrow = pd.Series(
        pd.Categorical(twice.to_numpy(), categories=["control", "treatment"]),
        index=pd.Index(pd.array(np.asarray(twice.index), dtype="string[pyarrow]")),
    )
    for table in (twice, arrow):
        with pytest.raises(InvalidParameterError, match="lists a user more than once"):
            evaluate(data.campaign, lazy, assignment=table)  # type: ignore[attr-defined]
    with pytest.raises(InvalidParameterError, match=r"lists a user more than once \(1 repeated"):
        evaluate(data.campaign, data.log, assignment=twice)  # type: ignore[attr-defined]
    # without the repeat both routes agree
    got = evaluate(data.campaign, lazy, assignment=arrow.iloc[:-1])  # type: ignore[attr-defined]
    want = evaluate(data.campaign, data.log, assignment=stored)  # type: ignore[attr-defined]
    assert got.arms["n"].tolist() == want.arms["n"].tolist()
    pd.testing.assert_frame_equal(got.arms, want.arms, rtol=1e-12)


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        (["control", None], r"\['(None|nan)'\]"),  # pandas 3's str dtype holds None as NaN
        (["control", np.nan], r"\['nan'\]"),
        (["control", 1], r"\['1'\]"),
        (["treatment ", "control"], r"\['treatment '\]"),
        (pd.Categorical(["control", "Control"]), r"\['Control'\]"),
    ],
)
def test_bad_labels_named_on_both_routes(
    campaign_data: tuple[object, pd.DataFrame, pd.Series], labels: object, shown: str
) -> None:
    data, frame, stored = campaign_data
    lazy = _lazy(frame, "duckdb")
    bad = pd.Series(labels, index=stored.index[:2])
    for events in (lazy, data.log):  # type: ignore[attr-defined]
        with pytest.raises(
            InvalidParameterError, match=r"must be 'treatment' or 'control'.*" + shown
        ):
            evaluate(data.campaign, events, assignment=bad)  # type: ignore[attr-defined]


def test_labels_of_any_dtype_give_one_answer(
    campaign_data: tuple[object, pd.DataFrame, pd.Series],
) -> None:
    data, frame, stored = campaign_data
    lazy = _lazy(frame, "duckdb")
    want = evaluate(data.campaign, data.log, assignment=stored)  # type: ignore[attr-defined]
    labels = stored.to_numpy(dtype=object)
    variants = [
        pd.Series(pd.Categorical(labels, categories=["treatment", "control", "unused"])),
        pd.Series(pd.array(labels, dtype="string[pyarrow]")),
        pd.Series(labels.astype(str)),  # numpy unicode
    ]
    for v in variants:
        table = v.set_axis(stored.index)
        got = evaluate(data.campaign, lazy, assignment=table)  # type: ignore[attr-defined]
        assert got.arms["n"].tolist() == want.arms["n"].tolist()
        pd.testing.assert_frame_equal(got.table, want.table, rtol=1e-12)


@pytest.mark.parametrize("polars_check", [True, False])
def test_has_repeats_exact_on_text_integers_and_nulls(
    polars_check: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from useropslib.events._engine import has_repeats

    if not polars_check:
        monkeypatch.setitem(sys.modules, "polars", None)
    else:
        pytest.importorskip("polars")
    texts = ["u1", "用户", "😀", "", "u1 ", "U1"]
    assert not has_repeats(pa.array(texts))
    assert has_repeats(pa.array([*texts, "用户"]))
    assert has_repeats(pa.array([*texts, ""], pa.large_string()))
    assert not has_repeats(pa.chunked_array([texts[:3], texts[3:]]))
    assert has_repeats(pa.chunked_array([texts[:3], texts[2:]]))
    assert not has_repeats(pa.array([*texts, None]))
    assert has_repeats(pa.array([None, *texts, None]))  # a null counts as a value
    assert not has_repeats(pa.array(np.arange(10_000, dtype=np.int64)))
    assert has_repeats(pa.array(np.r_[np.arange(10_000), 9_999]))
    assert not has_repeats(pa.array([], pa.string()))
