"""Identity links: merging anonymous and device ids into users before anything is counted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from useropslib.exceptions import IdentityConflictError, InvalidParameterError
from useropslib.models import IdentityLink

__all__ = ["IdentitiesLike", "links_frame", "resolve_ids"]

IdentitiesLike: TypeAlias = (
    "pd.DataFrame | Mapping[Any, Any] | Iterable[IdentityLink | tuple[Any, Any]] | None"
)

_MAX_CHAIN = 64


def links_frame(identities: Any) -> pd.DataFrame:
    """Normalise the accepted identity inputs to a frame with ``anonymous_id`` and ``user_id``.

    Accepted: a DataFrame with those two columns, a mapping ``{anonymous_id: user_id}``, or an
    iterable of :class:`~useropslib.models.IdentityLink` or ``(anonymous_id, user_id)`` pairs.
    """
    if identities is None:
        empty: pd.DataFrame = pd.DataFrame({"anonymous_id": [], "user_id": []}, dtype=object)
        return empty
    if isinstance(identities, pd.DataFrame):
        missing = {"anonymous_id", "user_id"} - set(identities.columns)
        if missing:
            raise InvalidParameterError(
                f"identities frame is missing column(s) {sorted(missing)}; it has "
                f"{list(map(str, identities.columns))}. Expected columns 'anonymous_id' and "
                "'user_id'. Hint: identities=df.rename(columns={'device_id': 'anonymous_id'})."
            )
        frame = identities[["anonymous_id", "user_id"]]
    elif isinstance(identities, Mapping):
        frame = pd.DataFrame(
            {"anonymous_id": list(identities.keys()), "user_id": list(identities.values())}
        )
    else:
        if isinstance(identities, (str, bytes)) or not hasattr(identities, "__iter__"):
            raise InvalidParameterError(
                f"Invalid identities={str(identities)[:80]!r} ({type(identities).__name__}). "
                "Expected a DataFrame with columns 'anonymous_id' and 'user_id', a dict "
                "{anonymous_id: user_id}, or a list of IdentityLink or (anonymous_id, user_id) "
                "pairs."
            )
        pairs: list[tuple[Any, Any]] = []
        for i, item in enumerate(identities):
            if isinstance(item, IdentityLink):
                pairs.append((item.anonymous_id, item.user_id))
            elif isinstance(item, tuple) and len(item) == 2:
                try:
                    link = IdentityLink(anonymous_id=item[0], user_id=item[1])
                except ValidationError as exc:
                    raise InvalidParameterError(
                        f"identities item {i} {item!r} is not a valid link: "
                        f"{exc.errors()[0]['msg']}. Expected (anonymous_id, user_id) with "
                        "non-empty ids."
                    ) from None
                pairs.append((link.anonymous_id, link.user_id))
            else:
                raise InvalidParameterError(
                    f"identities item {i} is {item!r}. Expected an IdentityLink or an "
                    "(anonymous_id, user_id) pair; a DataFrame or a dict also works."
                )
        frame = pd.DataFrame(pairs, columns=["anonymous_id", "user_id"], dtype=object)
    null = frame["anonymous_id"].isna() | frame["user_id"].isna()
    if null.any():
        raise InvalidParameterError(
            f"identities has {int(null.sum())} link(s) with a missing id, first at position "
            f"{int(np.flatnonzero(null.to_numpy())[0])}. Expected both anonymous_id and user_id. "
            "Hint: drop incomplete links before passing them."
        )
    out: pd.DataFrame = frame.astype(object)
    return out


def resolve_ids(ids: pd.Index, links: pd.DataFrame) -> npt.NDArray[Any]:
    """Map each id to its user through ``links`` (transitively); unlinked ids map to themselves.

    Raises
    ------
    IdentityConflictError
        When one anonymous id is linked to two or more users, or links form a cycle.
    """
    links = links[links["anonymous_id"] != links["user_id"]].drop_duplicates()
    out = np.asarray(ids, dtype=object)
    if links.empty:
        return out
    counts = links.groupby("anonymous_id", sort=True)["user_id"].nunique()
    bad = counts[counts > 1]
    if len(bad):
        conflicts = links[links["anonymous_id"].isin(bad.index)].sort_values(
            ["anonymous_id", "user_id"], key=lambda c: c.astype(str)
        )
        first = bad.index[0]
        users = conflicts.loc[conflicts["anonymous_id"] == first, "user_id"].tolist()
        raise IdentityConflictError(
            f"{len(bad)} anonymous id(s) are linked to more than one user, e.g. {first!r} -> "
            f"{users}. Expected each anonymous or device id to belong to one user. Hint: fix the "
            "identity table (keep the right link for each id); every conflict is listed in the "
            "error's .conflicts frame.",
            conflicts=conflicts.reset_index(drop=True),
        )
    keys = pd.Index(links["anonymous_id"].to_numpy(dtype=object))
    targets = links["user_id"].to_numpy(dtype=object)
    for _ in range(_MAX_CHAIN):
        pos = keys.get_indexer(out)
        hit = pos >= 0
        if not hit.any():
            return out
        out = out.copy()
        out[hit] = targets[pos[hit]]
    raise IdentityConflictError(
        f"identity links form a cycle or a chain longer than {_MAX_CHAIN} (e.g. an id linked, "
        "through others, back to itself). Expected links that end at a user id. Hint: link every "
        "anonymous id directly to its final user id."
    )
