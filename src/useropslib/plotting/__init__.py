"""Matplotlib figures drawn from plain frames and arrays (optional extra ``plot``).

Every function takes ``ax=None`` and returns what it drew on; matplotlib is imported only when
a function is called.
"""

from useropslib.plotting._counterfactual import (
    plot_counterfactual,
    plot_event_study,
    plot_synthetic_control,
)

__all__ = ["plot_counterfactual", "plot_event_study", "plot_synthetic_control"]
