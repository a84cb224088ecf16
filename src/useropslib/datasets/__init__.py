"""Seeded synthetic event logs for docs, notebooks, demos, tests and benchmarks.

:func:`synthetic` returns an :class:`~useropslib.events.EventLog` with the tables that describe
its users (attributes, tags, acquisition channels with costs, a randomised campaign);
:func:`synthetic_frame` returns the same events as a pandas DataFrame.
:func:`load_cdnow_sample` loads a real purchase log: the CDNOW sample of Fader, Hardie & Lee.

Examples
--------
>>> from useropslib.datasets import synthetic
>>> log, users = synthetic(n_users=100, days=14, seed=0)
>>> len(users), log.n_users
(100, 100)
"""

from useropslib.datasets._campaigns import SyntheticCampaign, synthetic_campaign
from useropslib.datasets._cdnow import load_cdnow_sample
from useropslib.datasets._synthetic import (
    EVENT_NAMES,
    ONBOARDING_STEPS,
    SyntheticData,
    synthetic,
    synthetic_frame,
)

__all__ = [
    "EVENT_NAMES",
    "ONBOARDING_STEPS",
    "SyntheticCampaign",
    "SyntheticData",
    "load_cdnow_sample",
    "synthetic",
    "synthetic_campaign",
    "synthetic_frame",
]
