"""Matplotlib figures drawn from plain frames and arrays (the optional ``plot`` extra).

Every function takes ``ax=None`` (a new figure when None) and returns the Axes; matplotlib is
imported only when a function draws.
"""

from useropslib.plotting._paths import bar_chart, flow_diagram, step_heatmap

__all__ = ["bar_chart", "flow_diagram", "step_heatmap"]
