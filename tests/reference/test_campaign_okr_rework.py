"""OKR grading against Google re:Work's published example.

Source: ../shared/cases/campaign_okr_grading_rework.json (re:Work "Grade OKRs"; colour bands from
Doerr, Measure What Matters, 2018).
"""

from __future__ import annotations

from useropslib.campaigns import grade_key_result, grade_okrs, okr_band
from useropslib.models import KeyResult, Objective, OKRSet

KRS = [
    KeyResult(text="Launch six new features", target=6, achieved=3),
    KeyResult(text="Launch a new widget marketing campaign", done=False),
    KeyResult(text="Launch a new widget marketing campaign", done=True),
]


def test_key_result_grades_exact() -> None:
    assert [grade_key_result(kr) for kr in KRS] == [0.5, 0.0, 1.0]


def test_objective_grade_is_the_mean() -> None:
    res = grade_okrs(OKRSet(objectives=[Objective(text="Widgets", key_results=KRS)]))
    assert res.table["grade"].tolist() == [0.5, 0.0, 1.0]
    assert res.grade == 0.5
    assert res.objectives.loc[0, "band"] == "yellow"


def test_colour_bands() -> None:
    # green 0.7-1.0, yellow 0.4-0.6, red 0.0-0.3 (gaps closed at 0.4 and 0.7)
    assert [okr_band(g) for g in (0.0, 0.3, 0.4, 0.6, 0.7, 1.0)] == [
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
    ]


def test_sweet_spot_and_committed() -> None:
    asp = Objective(text="a", key_results=[KeyResult(text="k", target=10, achieved=6.5)])
    com = Objective(
        text="c", commitment="committed", key_results=[KeyResult(text="k", target=10, achieved=9)]
    )
    res = grade_okrs(OKRSet(objectives=[asp, com]))
    assert res.objectives["assessment"].tolist()[0] == "sweet spot"
    assert res.objectives["assessment"].tolist()[1].startswith("missed")
    assert any("committed" in f for f in res.findings)
