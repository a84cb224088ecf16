"""The log summary's two ways of counting distinct (group, user) pairs give the same tables."""

from __future__ import annotations

import pytest

import useropslib as uo
from useropslib.report import _report


def test_flag_table_and_sort_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    log = uo.datasets.synthetic(n_users=800, days=60, seed=5).events
    flags = _report.log_report(log)
    monkeypatch.setattr(_report, "_SEEN_LIMIT", 0)  # force the sort-and-diff path
    sorted_ = _report.log_report(log)
    assert [s.key for s in flags.sections] == [s.key for s in sorted_.sections]
    for a, b in zip(flags.sections, sorted_.sections, strict=True):
        assert (a.table is None) == (b.table is None)
        if a.table is not None:
            assert a.table.equals(b.table), a.key
    weekly = next(s for s in flags.sections if s.key == "weekly").table
    assert weekly is not None
    assert len(weekly) >= 8


def test_weekly_revenue_with_and_without_missing_values() -> None:
    """Revenue per week sums the values, a missing value counting as 0 (hand-computed)."""
    import numpy as np
    import pandas as pd

    def revenue(values: list[float]) -> list[str]:
        df = pd.DataFrame(
            {
                "user_id": ["a", "b", "a", "b"],
                "event": ["purchase"] * 4,
                "timestamp": pd.to_datetime(
                    [
                        "2024-01-01 10:00",
                        "2024-01-02 10:00",
                        "2024-01-09 10:00",
                        "2024-01-10 10:00",
                    ],
                    utc=True,
                ),
                "value": values,
            }
        )
        rep = _report.log_report(uo.EventLog.from_pandas(df, value_col="value"))
        weekly = next(s for s in rep.sections if s.key == "weekly").table
        assert weekly is not None
        return [str(v) for v in weekly["revenue"]]

    assert revenue([1.5, 2.0, 4.0, 0.25]) == ["3.50", "4.25"]
    assert revenue([1.5, np.nan, 4.0, 0.25]) == ["1.50", "4.25"]
