"""The shipped CDNOW sample matches the reference copy and the paper's counts."""

from __future__ import annotations

import pathlib

import pandas as pd
import pytest

from useropslib.datasets import load_cdnow_sample
from useropslib.exceptions import InvalidParameterError

REFERENCE = pathlib.Path(__file__).parents[2] / "reference" / "data" / "CDNOW_sample.txt"


def test_frame_matches_the_reference_file() -> None:
    frame = load_cdnow_sample(as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    raw = pd.read_csv(REFERENCE, sep=r"\s+", header=None)
    assert len(frame) == len(raw) == 6919
    assert frame["customer_id"].nunique() == 2357  # Fader, Hardie & Lee (2005): 2,357 customers
    assert frame["cds"].sum() == raw[3].sum()
    assert frame["date"].min() == pd.Timestamp("1997-01-01")
    assert frame["date"].max() == pd.Timestamp("1998-06-30")


def test_log_places_purchases_at_local_noon() -> None:
    log = load_cdnow_sample(tz="Asia/Shanghai")
    assert log.tz == "Asia/Shanghai"
    first = log.to_pandas()["timestamp"].min()
    assert (first.hour, str(first.date())) == (12, "1997-01-01")


def test_unknown_zone() -> None:
    with pytest.raises(InvalidParameterError, match="Unknown tz='Mars/Base'"):
        load_cdnow_sample(tz="Mars/Base")
