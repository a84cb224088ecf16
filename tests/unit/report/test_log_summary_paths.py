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
