"""OKR grading on the 0.0-1.0 scale (Google re:Work), from given values or from the log."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from useropslib._checks import is_real
from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._measure import measure_value
from useropslib.events import EventsLike
from useropslib.exceptions import InvalidParameterError
from useropslib.models import DateLike, KeyResult, OKRSet

__all__ = ["OKR_BANDS", "OKRGrades", "grade_key_result", "grade_okrs", "okr_band"]

OKR_BANDS: dict[str, tuple[float, float]] = {
    "red": (0.0, 0.4),
    "yellow": (0.4, 0.7),
    "green": (0.7, 1.0),
}
"""Colour bands of a grade, ``[low, high)`` (green includes 1.0): Doerr's 0.0-0.3 red,
0.4-0.6 yellow, 0.7-1.0 green, with the published gaps closed at 0.4 and 0.7."""

SWEET_SPOT: tuple[float, float] = (0.6, 0.7)
"""re:Work's expected grade of an aspirational objective (inclusive bounds)."""


def okr_band(grade: float) -> str:
    """Return the colour band of a grade: ``"red"`` (< 0.4), ``"yellow"`` (< 0.7) or ``"green"``.

    Parameters
    ----------
    grade : float
        In [0, 1].

    Returns
    -------
    str

    Examples
    --------
    >>> okr_band(0.35), okr_band(0.4), okr_band(0.7)
    ('red', 'yellow', 'green')
    """
    if not is_real(grade) or not 0.0 <= grade <= 1.0:
        raise InvalidParameterError(f"a grade lies in [0, 1], got {grade!r}.")
    if grade < 0.4:
        return "red"
    return "yellow" if grade < 0.7 else "green"


def _assessment(grade: float, commitment: str) -> str:
    if commitment == "committed":
        return "met" if grade >= 1.0 else "missed (committed OKRs are expected at 1.0)"
    lo, hi = SWEET_SPOT
    if grade >= 1.0:
        return "fully achieved (if this is usual, the targets are not ambitious enough)"
    if grade > hi:
        return "above the sweet spot"
    if grade >= lo:
        return "sweet spot"
    return "below the sweet spot (learn from it; do not punish)"


def grade_key_result(
    key_result: KeyResult,
    events: EventsLike | None = None,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    achieved: float | None = None,
) -> float:
    """Grade one key result on 0.0-1.0.

    Parameters
    ----------
    key_result : KeyResult
    events : EventLog, LazyEventLog or DataFrame, optional
        Measure a numeric KR's metric over ``[start, end)`` when no achieved value is known.
    start, end : str, datetime or Timestamp, optional
        The OKR period, for measuring.
    achieved : float, optional
        The value reached; overrides ``key_result.achieved``.

    Returns
    -------
    float
        Binary KRs: 1.0 when done, else 0.0.  Numeric KRs: ``achieved / target`` clipped to
        [0, 1] (re:Work), or with a ``baseline`` the share of the way from baseline to target,
        clipped.

    Raises
    ------
    InvalidParameterError
        When a numeric KR has no achieved value, and no metric, log or period to measure one.

    Examples
    --------
    >>> from useropslib.models import KeyResult
    >>> grade_key_result(KeyResult(text="Launch six new features", target=6, achieved=3))
    0.5
    >>> grade_key_result(KeyResult(text="Launch the campaign", done=True))
    1.0
    """
    if not isinstance(key_result, KeyResult):
        raise InvalidParameterError(
            f"key_result must be a KeyResult, got {type(key_result).__name__}."
        )
    kr = key_result
    if kr.kind == "binary":
        return 1.0 if kr.done else 0.0
    value = achieved if achieved is not None else kr.achieved
    if value is None:
        if kr.metric is None or events is None or start is None or end is None:
            raise InvalidParameterError(
                f"key result {kr.text!r} has no achieved value. Hint: give achieved=..., or a "
                "metric on the KR plus the log and the OKR period (start, end) to measure it."
            )
        value = measure_value(kr.metric, events, start=start, end=end)
    if not np.isfinite(value):
        return float("nan")
    assert kr.target is not None  # numeric KRs always have one (model invariant)
    if kr.baseline is None:
        raw = value / kr.target
    else:
        raw = (value - kr.baseline) / (kr.target - kr.baseline)
    return float(min(max(raw, 0.0), 1.0))


@dataclasses.dataclass(frozen=True, repr=False)
class OKRGrades(MetricResult):
    """Grades of an OKR set: per key result, per objective and overall.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per key result: ``objective``, ``key_result``, ``kind``, ``achieved``,
        ``target``, ``weight``, ``grade``.
    objectives : pandas.DataFrame
        One row per objective: ``objective``, ``commitment``, ``grade`` (weighted mean of its
        KR grades), ``band`` (red / yellow / green) and ``assessment`` (re:Work reading).
    grade : float
        The objectives' weighted mean.
    findings : tuple of str
        Set-level readings (e.g. every aspirational objective at 1.0: targets too low).
    """

    table: pd.DataFrame
    objectives: pd.DataFrame
    grade: float
    findings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Return the key-result table.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the objectives' grades as horizontal bars over the colour bands.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import okr_grades

        return okr_grades(
            self.objectives["objective"].astype(str).tolist(),
            self.objectives["grade"].to_numpy(dtype=float),
            ax=axes_or_new(ax),
        )

    def __repr__(self) -> str:
        rows = [f"OKRGrades(grade={self.grade:.2f})"]
        for _, r in self.objectives.iterrows():
            rows.append(f"  {r['grade']:.2f} {r['band']:<6} {r['objective']} [{r['assessment']}]")
        rows.extend(f"  ! {f}" for f in self.findings)
        return "\n".join(rows)


def _weighted(grades: list[float], weights: list[float]) -> float:
    g = np.asarray(grades, dtype=float)
    w = np.asarray(weights, dtype=float)
    ok = np.isfinite(g)
    return float(np.sum(g[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else float("nan")


def grade_okrs(okrs: OKRSet, events: EventsLike | None = None) -> OKRGrades:
    """Grade every key result, objective and the whole set on 0.0-1.0.

    Parameters
    ----------
    okrs : OKRSet
    events : EventLog, LazyEventLog or DataFrame, optional
        Numeric key results without an ``achieved`` value are measured from their metric over
        the set's ``[start, end)``.

    Returns
    -------
    OKRGrades

    Raises
    ------
    InvalidParameterError
        When a numeric KR can be neither read nor measured.

    See Also
    --------
    grade_key_result

    Notes
    -----
    Google re:Work's convention: KR grade = achieved / target (clipped to [0, 1]; over-achievement
    counts as 1.0) for numeric KRs, 0 or 1 for binary ones; objective grade = the (weighted) mean
    of its KRs.  0.6-0.7 is the sweet spot of an aspirational objective; committed objectives are
    expected at 1.0; grades consistently at 1.0 mean the targets are not ambitious.  Colour bands
    follow Doerr (red below 0.4, yellow below 0.7, green from 0.7).

    Examples
    --------
    >>> from useropslib.models import KeyResult, Objective, OKRSet
    >>> okrs = OKRSet(objectives=[Objective(text="Grow the widget", key_results=[
    ...     KeyResult(text="Launch six new features", target=6, achieved=3),
    ...     KeyResult(text="Launch a widget campaign", done=True)])])
    >>> res = grade_okrs(okrs)
    >>> res.table["grade"].tolist(), res.grade
    ([0.5, 1.0], 0.75)
    """
    if not isinstance(okrs, OKRSet):
        raise InvalidParameterError(
            f"okrs must be an OKRSet, got {type(okrs).__name__}. Hint: OKRSet(objectives=[...])."
        )
    rows = []
    obj_rows = []
    for obj in okrs.objectives:
        grades = []
        for kr in obj.key_results:
            g = grade_key_result(kr, events, start=okrs.start, end=okrs.end)
            grades.append(g)
            rows.append(
                {
                    "objective": obj.text,
                    "key_result": kr.text,
                    "kind": kr.kind,
                    "achieved": kr.achieved if kr.kind == "numeric" else kr.done,
                    "target": kr.target,
                    "weight": kr.weight,
                    "grade": g,
                }
            )
        og = _weighted(grades, [kr.weight for kr in obj.key_results])
        obj_rows.append(
            {
                "objective": obj.text,
                "commitment": obj.commitment,
                "weight": obj.weight,
                "grade": og,
                "band": okr_band(og) if np.isfinite(og) else None,
                "assessment": _assessment(og, obj.commitment) if np.isfinite(og) else None,
            }
        )
    objectives = pd.DataFrame(obj_rows)
    overall = _weighted(objectives["grade"].tolist(), objectives["weight"].tolist())
    findings = []
    asp = objectives[objectives["commitment"] == "aspirational"]
    if len(asp) and bool((asp["grade"] >= 1.0).all()):
        findings.append(
            "every aspirational objective graded 1.0: the targets are probably not ambitious"
        )
    missed = objectives[(objectives["commitment"] == "committed") & (objectives["grade"] < 1.0)]
    if len(missed):
        findings.append(
            f"{len(missed)} committed objective(s) below 1.0: committed OKRs are expected at 1.0"
        )
    return OKRGrades(
        params={"start": okrs.start, "end": okrs.end, "name": okrs.name},
        as_of=None,
        table=pd.DataFrame(rows),
        objectives=objectives,
        grade=overall,
        findings=tuple(findings),
    )
