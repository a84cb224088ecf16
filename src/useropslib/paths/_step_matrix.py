"""The step matrix (retentioneering): share of paths at each step doing each event."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventsLike
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.metrics import MetricResult
from useropslib.models import DateLike
from useropslib.paths._query import (
    PathRows,
    Split,
    Ties,
    Within,
    check_steps,
    frame_paths,
    positions,
)
from useropslib.paths._transitions import END, START

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["StepMatrixResult", "step_matrix"]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]


# ============================================================================ step matrix


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class StepMatrixResult(MetricResult):
    """Share of paths at each step doing each event (retentioneering's step matrix).

    Attributes
    ----------
    matrix : pandas.DataFrame
        Rows ``path_start``, the labels, ``path_end``; columns steps 0..``steps``.  Step 0 is
        ``path_start`` for every path; step k is the k-th event; after its last event a path is
        at ``path_end`` for every later step.  Each cell is a share of all paths, so columns sum
        to 1.  With two groups, ``matrix`` is group A minus group B (columns sum to 0).
    matrix_a, matrix_b : pandas.DataFrame or None
        The two groups' matrices, with ``groups``.
    n_paths : int
        Paths counted (both groups together with ``groups``).
    """

    matrix: pd.DataFrame
    matrix_a: pd.DataFrame | None
    matrix_b: pd.DataFrame | None
    n_paths: int

    def to_frame(self) -> pd.DataFrame:
        """Return the matrix in long form: ``label``, ``step``, ``share``.

        Returns
        -------
        pandas.DataFrame
        """
        m = self.matrix.copy()
        m.index.name = "label"
        m.columns.name = "step"
        out_: pd.DataFrame = m.stack().rename("share").reset_index()
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Heatmap of the matrix (diverging colours for a difference).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import step_heatmap

        return step_heatmap(self.matrix, ax=ax, diverging=self.matrix_a is not None)


def _matrix(pr: PathRows, units: Bools, n_steps: int) -> tuple[pd.DataFrame, int]:
    n_lab = len(pr.labels)
    pos = positions(pr.unit)
    take = units[pr.unit] & (pos < n_steps) if pr.unit.size else np.zeros(0, dtype=bool)
    counts = np.bincount(pr.label[take] * n_steps + pos[take], minlength=n_lab * n_steps).reshape(
        n_lab, n_steps
    )
    lengths = np.bincount(pr.unit, minlength=pr.n_units)[units]
    n = int(units.sum())
    ended = np.array([(lengths < k).sum() for k in range(1, n_steps + 1)], dtype=np.float64)
    body = np.zeros((n_lab + 2, n_steps + 1), dtype=np.float64)
    body[0, 0] = 1.0 if n else 0.0
    if n:
        body[1 : n_lab + 1, 1:] = counts / n
        body[n_lab + 1, 1:] = ended / n
    index = pd.Index([START, *map(str, pr.labels), END], name="label")
    return pd.DataFrame(body, index=index, columns=pd.RangeIndex(n_steps + 1, name="step")), n


def step_matrix(
    events: EventsLike,
    *,
    steps: int = 5,
    groups: tuple[Collection[Any], Collection[Any]] | None = None,
    within: Within = "user",
    collapse: Literal["first", "last"] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> StepMatrixResult:
    """Share of paths at each step doing each event; optionally the difference of two groups.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    steps : int, default 5
        Steps after ``path_start`` (1..50).
    groups : (users A, users B), optional
        Two collections of user ids: ``matrix`` becomes A's matrix minus B's (retentioneering's
        differential step matrix).  Ids the log does not know are ignored.
    within : {"user", "session"}, default "user"
        A path is a user's history (retentioneering's default) or a session.
    collapse, include, exclude, group, ties, timeout, split, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    StepMatrixResult

    Raises
    ------
    InvalidParameterError
        For bad ``steps`` or options, or ``groups`` that is not a pair.

    Warns
    -----
    InsufficientDataWarning
        When a group has no path (its matrix is all zero).

    See Also
    --------
    transitions : Transition counts between consecutive events.

    Notes
    -----
    retentioneering's definition: the denominator is every path (not only those still going),
    and ``path_end`` is sticky, so every column sums to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["home", "buy", "home"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...                                  "2024-01-01 11:00"], utc=True)})
    >>> uo.paths.step_matrix(df, steps=2).matrix
    step          0    1    2
    label
    path_start  1.0  0.0  0.0
    buy         0.0  0.0  0.5
    home        0.0  1.0  0.0
    path_end    0.0  0.0  0.5
    """
    n_steps = check_steps(steps)
    f = frame_paths(
        events,
        within=within,
        collapse=collapse,
        include=include,
        exclude=exclude,
        group=group,
        ties=ties,
        timeout=timeout,
        split=split,
        tz=tz,
        as_of=as_of,
    )
    log, pr = f.log, f.rows
    params: dict[str, Any] = {
        "steps": n_steps,
        "within": within,
        "collapse": collapse,
        "ties": ties,
        "groups": groups is not None,
    }
    unit_user = np.zeros(pr.n_units, dtype=np.int64)
    if pr.unit.size:
        unit_user[pr.unit] = pr.user
    if groups is None:
        m, n = _matrix(pr, np.ones(pr.n_units, dtype=bool), n_steps)
        return StepMatrixResult(
            params=params,
            as_of=f.stamp,
            matrix=m,
            matrix_a=None,
            matrix_b=None,
            n_paths=n,
        )
    if not isinstance(groups, tuple | list) or len(groups) != 2:
        raise InvalidParameterError(
            f"groups must be a pair (users A, users B), got {type(groups).__name__}. Hint: "
            "groups=(retained_ids, churned_ids)."
        )
    mats = []
    total = 0
    for name, ids in zip("AB", groups, strict=True):
        codes = log.users.get_indexer(pd.Index(list(ids)))
        member = np.zeros(len(log.users), dtype=bool)
        member[codes[codes >= 0]] = True
        m, n = _matrix(pr, member[unit_user], n_steps)
        if n == 0:
            import warnings

            warnings.warn(
                f"Group {name} has no path (none of its ids has events in the log); its matrix "
                "is all zero. Hint: check the ids' type (int vs str).",
                InsufficientDataWarning,
                stacklevel=2,
            )
        mats.append(m)
        total += n
    return StepMatrixResult(
        params=params,
        as_of=f.stamp,
        matrix=mats[0] - mats[1],
        matrix_a=mats[0],
        matrix_b=mats[1],
        n_paths=total,
    )
