"""Framing shared by the paths functions: labels named by callers, start/end windows, path text."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog
from useropslib.exceptions import (
    InvalidParameterError,
    did_you_mean,
)
from useropslib.paths._query import (
    Ordered,
    PathRows,
    event_code,
    positions,
)

__all__ = [
    "ARROW",
    "STOPPED",
    "Window",
    "first_per_unit",
    "frame_window",
    "label_code",
    "path_strings",
]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]


ARROW = " → "
STOPPED = "(no further event)"


# ============================================================================ helpers


def label_code(pr: PathRows | Ordered, name: Any, what: str, log: EventLog) -> int:
    """Code of a label named by the caller (an event name or a group label); -1 for none.

    A name the log does not know goes through the shared vocabulary: it matches nothing, with an
    ``UnknownEventWarning`` (an error under ``strict_events()``).  A known event that
    ``include``/``exclude`` or ``group`` took out of the labels is a contradiction and raises.
    """
    if not isinstance(name, str):
        raise InvalidParameterError(f"{what} must be an event name, got {name!r}.")
    labels = pr.labels
    pos = labels.get_indexer(pd.Index([name], dtype=object))[0]
    if pos >= 0:
        return int(pos)
    if name not in set(map(str, log.event_names)):
        event_code(log, name, param=what)
        return -1
    close = did_you_mean(name, dict.fromkeys(map(str, labels)))
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise InvalidParameterError(
        f"{what} {name!r} is not a path label: it was left out by include/exclude or renamed by "
        f"group.{hint} Labels: {list(map(str, labels[:20]))}{' ...' if len(labels) > 20 else ''}."
    )


def first_per_unit(unit: I64, mask: Bools, n_units: int, fill: int) -> I64:
    """Index (into ``unit``) of the first masked row of each unit; ``fill`` where none."""
    out = np.full(n_units, fill, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if idx.size:
        u, first = np.unique(unit[idx], return_index=True)
        out[u] = idx[first]
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Window:
    """The kept rows of every path after start/end framing: row index and 1-based step."""

    rows: I64
    step: I64


def frame_window(pr: PathRows, *, start: int | None, end: int | None, steps: int) -> Window:
    """Keep each path from its first ``start`` and/or up to its first ``end``, ``steps`` long.

    Paths without the start (or without an end after the start) are dropped.  With only an end,
    the last ``steps`` items up to and including the end are kept; otherwise the first ``steps``
    from the start (or from the path's beginning).
    """
    n = pr.unit.size
    pos = positions(pr.unit)
    big = np.iinfo(np.int64).max // 4
    base = np.zeros(pr.n_units, dtype=np.int64)
    alive = np.ones(pr.n_units, dtype=bool)
    if start is not None:
        first = first_per_unit(pr.unit, pr.label == start, pr.n_units, -1)
        alive = first >= 0
        base = np.where(alive, pos[np.maximum(first, 0)] if n else 0, big)
    rel = pos - base[pr.unit] if n else pos
    keep = rel >= 0
    if end is not None:
        last = first_per_unit(pr.unit, keep & (pr.label == end), pr.n_units, -1)
        alive &= last >= 0
        end_rel = np.where(last >= 0, rel[np.maximum(last, 0)] if n else 0, -1)
        keep &= rel <= end_rel[pr.unit]
        if start is None:
            lo = np.maximum(end_rel - steps + 1, 0)
            keep &= rel >= lo[pr.unit]
            rel = rel - lo[pr.unit]
    keep &= alive[pr.unit] & (rel < steps)
    rows = np.flatnonzero(keep).astype(np.int64)
    return Window(rows=rows, step=rel[rows] + 1)


def path_strings(codes: I64, labels: pd.Index) -> list[str]:
    """Join rows of a (paths x steps) code matrix (-1 padded) into "a → b → c"."""
    names = np.asarray([str(x) for x in labels] + [""], dtype=object)
    text = names[np.where(codes < 0, len(labels), codes)]
    return [ARROW.join(x for x in row if x) for row in text.tolist()]
