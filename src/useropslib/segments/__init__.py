"""Segments (分群): tags (标签), the tag-rule language and its evaluation over all users at once.

A :class:`TagTable` says which users carry which tags (optionally with validity intervals); its
:meth:`TagTable.evaluate` and :meth:`TagTable.select` evaluate a rule such as
``"vip AND (cn OR hk) AND NOT churned"`` (see :func:`useropslib.models.parse_rule`).
"""

from useropslib.segments._tags import TagTable, UnknownTagWarning

__all__ = ["TagTable", "UnknownTagWarning"]
