"""The CDNOW purchase log sample (Fader, Hardie & Lee 2005), shipped with the package."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from useropslib._checks import check_bool
from useropslib.events import EventLog
from useropslib.exceptions import InvalidParameterError

__all__ = ["load_cdnow_sample"]


def load_cdnow_sample(
    *, as_frame: bool = False, tz: str = "America/New_York"
) -> EventLog | pd.DataFrame:
    """Load the CDNOW sample: 6,919 purchases by 2,357 customers, January 1997 – June 1998.

    The customers of a 1/10 sample of the cohort who first bought at the online music retailer
    CDNOW in the first quarter of 1997, as used by Fader, Hardie & Lee (2005) for the BG/NBD
    model.  Source and licence: ``datasets/data/CDNOW_README.md`` (Bruce Hardie's data sets,
    redistributed as the ``lifetimes`` package does).

    Parameters
    ----------
    as_frame : bool, default False
        Return the raw transactions as a DataFrame (``customer_id``, ``date``, ``cds``,
        ``dollars``) instead of an event log.
    tz : str, default "America/New_York"
        Zone of the dates (the file has calendar dates; each purchase is placed at noon local
        time so no date changes in any zone).

    Returns
    -------
    EventLog or pandas.DataFrame
        The log has one ``purchase`` event per row with ``value`` = dollars and a ``cds``
        property; ``user_id`` is the customer's id in the sample (``"1"`` … ``"2357"``).

    Raises
    ------
    InvalidParameterError
        For an unknown time zone.

    Notes
    -----
    Several purchases on the same day appear as separate rows, as in the file; Fader, Hardie &
    Lee count repeat purchases by distinct days (``useropslib.churn.rfm_summary`` does too).

    Examples
    --------
    >>> log = load_cdnow_sample()
    >>> log.n_events, log.n_users
    (6919, 2357)
    >>> round(float(log.values.sum()), 2)
    244091.94
    """
    text = resources.files("useropslib.datasets").joinpath("data/CDNOW_sample.txt")
    with text.open("r", encoding="ascii") as fh:
        raw = pd.read_csv(
            fh,
            sep=r"\s+",
            header=None,
            names=["master_id", "customer_id", "date", "cds", "dollars"],
            dtype={"master_id": str, "customer_id": str, "date": str},
        )
    raw["customer_id"] = raw["customer_id"].str.lstrip("0")
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    frame: pd.DataFrame = raw[["customer_id", "date", "cds", "dollars"]]
    if check_bool(as_frame, "as_frame"):
        return frame
    try:
        stamp = (frame["date"] + pd.Timedelta(hours=12)).dt.tz_localize(tz)
    except Exception as exc:  # zoneinfo raises several kinds
        raise InvalidParameterError(
            f"Unknown tz={tz!r}: {exc}. Expected an IANA zone such as 'America/New_York'."
        ) from None
    events = pd.DataFrame(
        {
            "user_id": frame["customer_id"],
            "event": "purchase",
            "timestamp": stamp,
            "value": frame["dollars"].astype("float64"),
            "cds": frame["cds"],
        }
    )
    return EventLog.from_pandas(events)
