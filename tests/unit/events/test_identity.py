"""Identity merging: anonymous and device ids become users before anything is counted."""

from __future__ import annotations

import pandas as pd

from useropslib.events import EventLog
from useropslib.models import IdentityLink


def _df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["dev-1", "u1", "dev-2", "u2", "dev-3"],
            "event": ["open", "signup", "open", "signup", "open"],
            "timestamp": pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC"),
        }
    )


def test_links_from_mapping_frame_and_models_agree() -> None:
    mapping = {"dev-1": "u1", "dev-2": "u2"}
    a = EventLog.from_pandas(_df(), identities=mapping)
    b = EventLog.from_pandas(
        _df(),
        identities=pd.DataFrame({"anonymous_id": ["dev-1", "dev-2"], "user_id": ["u1", "u2"]}),
    )
    c = EventLog.from_pandas(
        _df(), identities=[IdentityLink(anonymous_id="dev-1", user_id="u1"), ("dev-2", "u2")]
    )
    assert a.equals(b)
    assert a.equals(c)
    assert a.n_users == 3  # u1, u2 and the unlinked dev-3
    assert a.summary().identities_merged == 2
    assert sorted(a.to_pandas()["user_id"].unique()) == ["dev-3", "u1", "u2"]


def test_chained_links_resolve_transitively() -> None:
    log = EventLog.from_pandas(_df(), identities={"dev-1": "dev-2", "dev-2": "u2"})
    out = log.to_pandas()
    assert set(out.loc[out["event"] == "open", "user_id"]) == {"u2", "dev-3"}


def test_anonymous_column_links_and_attributes() -> None:
    df = pd.DataFrame(
        {
            "user_id": [None, "u1", "u1", None],
            "device": ["d1", "d1", None, "d9"],
            "event": ["open", "signup", "buy", "open"],
            "timestamp": pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC"),
        }
    )
    log = EventLog.from_pandas(df, anonymous_col="device")
    assert log.to_pandas()["user_id"].tolist() == ["u1", "u1", "u1", "d9"]
    assert log.n_users == 2
    assert "device" not in log.properties.columns


def test_self_links_are_harmless() -> None:
    log = EventLog.from_pandas(_df(), identities={"u1": "u1"})
    assert log.n_users == 5
