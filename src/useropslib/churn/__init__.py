"""Churn (流失): probability-alive models of repeat buying and customer lifetime value.

- :class:`BetaGeoModel`: the BG/NBD model (Fader, Hardie & Lee 2005): P(alive), expected purchases,
  probability of no purchase within a horizon.
- :class:`GammaGammaModel`: spend per transaction, and customer lifetime value with a BG/NBD model.
- :func:`rfm_summary`: per-customer ``frequency`` / ``recency`` / ``T`` (and ``monetary_value``)
  from a transaction log, with the paper's conventions.

Examples
--------
>>> from useropslib.churn import BetaGeoModel
>>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
>>> round(model.conditional_probability_alive(2, 30.43, 38.86), 3)
0.727
"""

from __future__ import annotations

from useropslib.churn._bgnbd import BetaGeoModel, rfm_summary
from useropslib.churn._gamma_gamma import GammaGammaModel

__all__ = ["BetaGeoModel", "GammaGammaModel", "rfm_summary"]
