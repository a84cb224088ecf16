"""Matplotlib figures drawn from plain frames and arrays (the optional ``plot`` extra).

Every function takes ``ax=None`` and returns the Axes; matplotlib is imported only when a
figure is drawn.
"""

from __future__ import annotations

__all__: list[str] = []
