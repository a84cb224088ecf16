"""Recall (召回) audiences: pick the lapsed users to win back by churn risk, with a holdout."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from useropslib._checks import check_int, is_real
from useropslib._results import MetricResult
from useropslib.campaigns._evaluate import holdout_control
from useropslib.campaigns._uplift import QiniResult, qini_curve, uplift_by_decile
from useropslib.events import EventsLike
from useropslib.events._query import load, require_data, resolve_as_of
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import ChurnDefinition, DateLike, Segment

__all__ = ["RecallAudience", "recall_audience", "targeting_uplift"]


@dataclasses.dataclass(frozen=True, repr=False)
class RecallAudience(MetricResult):
    """The users chosen for a recall campaign, each with a risk score and an arm.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per chosen user (index ``user_id``, highest risk first): ``risk``,
        ``days_inactive`` and ``arm`` (``"treatment"`` or ``"control"``, the hash holdout).
    params : dict
        ``risk`` (the source of the score), ``top_k`` or ``threshold``, ``holdout``, ``salt``,
        ``segment``, ``definition``.
    as_of : pandas.Timestamp
    """

    table: pd.DataFrame

    @property
    def treatment(self) -> pd.Index:
        """The users to contact."""
        out: pd.Index = self.table.index[self.table["arm"] == "treatment"]
        return out

    @property
    def control(self) -> pd.Index:
        """The users held out."""
        out: pd.Index = self.table.index[self.table["arm"] == "control"]
        return out

    def assignment(self) -> pd.Series:
        """Return the arms as a Series user id -> arm, ready for ``evaluate(assignment=...)``.

        Returns
        -------
        pandas.Series
        """
        out: pd.Series = self.table["arm"].copy()
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return the table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out


def recall_audience(
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    risk: pd.Series | str = "recency",
    segment: Segment | None = None,
    definition: ChurnDefinition | str | None = None,
    top_k: int | None = None,
    threshold: float | None = None,
    holdout: float = 0.1,
    salt: str = "recall",
) -> RecallAudience:
    """Pick the users to win back (召回人群) by churn risk within a segment, with a holdout.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
    as_of : datetime-like, optional
        When the audience is picked; default the log's.
    risk : pandas.Series or "recency", default "recency"
        The score, higher = more at risk: a Series indexed by user id (e.g. the churn
        probability of :class:`useropslib.churn.ChurnRiskModel`), or ``"recency"`` (days since
        the user's last event at ``as_of``).
    segment : Segment, optional
        Keep only its members at ``as_of`` (:func:`useropslib.segments.members`).
    definition : ChurnDefinition or str, optional
        Keep only users churned under it at ``as_of`` (:func:`useropslib.churn.churn_labels`),
        e.g. ``"30D"``.
    top_k : int, optional
        Keep the ``top_k`` highest-risk users. Exactly one of ``top_k`` and ``threshold``.
    threshold : float, optional
        Keep users whose risk is at least this.
    holdout : float, default 0.1
        Share held out (hash of the user id and ``salt``, :func:`holdout_control`).
    salt : str, default "recall"
        Use the campaign id so this split is independent of other campaigns'.

    Returns
    -------
    RecallAudience

    Raises
    ------
    InvalidParameterError
        Both or neither of ``top_k`` and ``threshold``, a holdout outside (0, 1), a risk Series
        sharing no user with the log, an unknown risk name.
    InsufficientDataError
        No user left after the filters.

    Examples
    --------
    >>> import useropslib as uo
    >>> log, _ = uo.datasets.synthetic(n_users=500, days=60, seed=0)
    >>> aud = recall_audience(log, top_k=100, holdout=0.2)
    >>> len(aud.table), sorted(aud.table["arm"].unique())
    (100, ['control', 'treatment'])
    """
    if (top_k is None) == (threshold is None):
        raise InvalidParameterError(
            "recall_audience: give exactly one of top_k (the k highest-risk users) and "
            f"threshold (a minimum risk); got top_k={top_k!r}, threshold={threshold!r}."
        )
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise InvalidParameterError(f"top_k must be a positive whole number, got {top_k!r}.")
    if not is_real(holdout) or not 0 < holdout < 1:
        raise InvalidParameterError(f"holdout must lie in (0, 1), got {holdout!r}.")
    log = load(events, all_events=True)
    at = resolve_as_of(log, as_of)
    if at is None:
        raise InsufficientDataError("recall_audience: the log is empty.")
    ts = log.timestamps_ns
    seen = ts <= at.ns
    n_users = len(log.users)
    last = np.full(n_users, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, log.user_codes[seen], ts[seen])
    present = last > np.iinfo(np.int64).min
    days_inactive = np.where(present, (at.ns - last) / 86_400e9, np.nan)
    frame = pd.DataFrame(
        {"days_inactive": days_inactive}, index=pd.Index(log.users, name="user_id")
    )[present]
    if isinstance(risk, pd.Series):
        common = frame.index.intersection(risk.index)
        if common.empty:
            raise InvalidParameterError(
                "recall_audience: the risk Series shares no user id with the log. Hint: index "
                "it by user id (e.g. ChurnRiskModel().fit(log).predict_proba(log))."
            )
        frame = frame.loc[common]
        frame["risk"] = pd.to_numeric(risk.loc[common], errors="coerce").to_numpy()
        frame = frame[frame["risk"].notna()]
        source = "given"
    elif risk == "recency":
        frame["risk"] = frame["days_inactive"]
        source = "recency"
    else:
        raise InvalidParameterError(
            f"risk must be a Series of scores by user id or 'recency', got {risk!r}."
        )
    if segment is not None:
        from useropslib.segments import members

        frame = frame[frame.index.isin(members(log, segment, as_of=at.stamp))]
    if definition is not None:
        from useropslib.churn import churn_labels

        labels = churn_labels(log, definition, as_of=at.stamp)
        frame = frame[frame.index.isin(labels.index[labels["churned"].to_numpy(bool)])]
    frame = frame.sort_values("risk", ascending=False, kind="stable")
    if top_k is not None:
        top_k = check_int(top_k, "top_k", hint="top_k=1000")
    elif not is_real(threshold):
        raise InvalidParameterError(
            f"threshold must be a number (a minimum risk), got {threshold!r:.60}. "
            "Hint: threshold=0.5."
        )
    frame = frame.head(top_k) if top_k is not None else frame[frame["risk"] >= threshold]
    if frame.empty:
        raise InsufficientDataError(
            "recall_audience: no user is left after the segment, churn definition and "
            "threshold. Hint: lower the threshold or widen the segment."
        )
    ctrl = holdout_control(frame.index, share=holdout, salt=salt)
    frame["arm"] = np.where(ctrl, "control", "treatment")
    table = frame[["risk", "days_inactive", "arm"]]
    return RecallAudience(
        params={
            "risk": source,
            "top_k": top_k,
            "threshold": threshold,
            "holdout": holdout,
            "salt": salt,
            "segment": None if segment is None else segment.name,
            "definition": None if definition is None else str(definition),
        },
        as_of=at.stamp,
        table=table,
    )


def targeting_uplift(
    audience: RecallAudience,
    events: EventsLike,
    *,
    start: DateLike,
    end: DateLike,
    return_event: str | None = None,
    normalize: str = "none",
    bins: int = 10,
) -> tuple[pd.DataFrame, QiniResult]:
    """Judge the targeting: reactivation uplift by risk decile and the Qini curve vs the holdout.

    Parameters
    ----------
    audience : RecallAudience
    events : EventLog, LazyEventLog or DataFrame
    start, end : datetime-like
        The window in which a return counts (inclusive bounds).
    return_event : str, optional
        What counts as returning; default any event.
    normalize : {"none", "population"}, default "none"
        The Qini convention (see :func:`qini_curve`).
    bins : int, default 10

    Returns
    -------
    (pandas.DataFrame, QiniResult)
        Uplift by decile of risk, and the Qini curve with its AUUC.

    Raises
    ------
    InvalidParameterError
        An unknown return event, a window that ends before it starts.
    InsufficientDataError
        When the log has no events (an uplift is estimated, so the empty-data policy raises).
    """
    from useropslib.events._query import check_instant

    log = load(events, all_events=True)
    # an uplift is estimated (empty-data policy): no events, no returns to compare
    require_data(
        log.n_events,
        "targeting_uplift: events in the log",
        hint="pass the log that covers [start, end]",
    )
    s = check_instant(start, tz=log.tz, name="start")
    e = check_instant(end, tz=log.tz, name="end")
    if s is None or e is None:
        raise InvalidParameterError("targeting_uplift: start and end are required.")
    if e < s:
        raise InvalidParameterError("targeting_uplift: end is before start.")
    if not isinstance(audience, RecallAudience):
        raise InvalidParameterError(
            f"audience must be a RecallAudience, got {type(audience).__name__}. "
            "Hint: audience=recall_audience(log, ...)."
        )
    ts = log.timestamps_ns
    sel = (ts >= s) & (ts <= e)
    if return_event is not None:
        code = log.event_code_of([return_event])
        sel &= log.event_codes == code[0]
    returned = np.bincount(log.user_codes[sel], minlength=len(log.users)) > 0
    pos = log.users.get_indexer(audience.table.index)
    y = np.where(pos >= 0, returned[np.maximum(pos, 0)], False).astype(float)
    t = (audience.table["arm"] == "treatment").to_numpy()
    score = audience.table["risk"].to_numpy(float)
    deciles = uplift_by_decile(y, treatment=t, score=score, bins=bins)
    qini = qini_curve(y, treatment=t, score=score, normalize=normalize)  # type: ignore[arg-type]
    return deciles, qini
