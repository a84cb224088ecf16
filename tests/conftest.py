"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """A local PySpark session in UTC (skips the test when PySpark is not installed)."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("useropslib-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture
def small_df() -> pd.DataFrame:
    """A tiny valid event table with naive local times (read in Asia/Shanghai)."""
    return pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3", "u2"],
            "event": ["signup", "purchase", "signup", "signup", "open"],
            "timestamp": [
                "2024-05-01 09:00",
                "2024-05-03 20:15",
                "2024-05-02 11:30",
                "2024-05-06 00:10",
                "2024-05-07 23:59",
            ],
            "value": [None, 19.9, None, None, None],
            "channel": ["ads", "ads", "seo", "ads", "seo"],
        }
    )
