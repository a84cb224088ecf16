"""Report the versions of useropslib, Python and the libraries it uses."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

__all__ = ["show_versions"]

_PACKAGES = (
    "numpy",
    "pandas",
    "pydantic",
    "scipy",
    "scikit-learn",
    "lifelines",
    "narwhals",
    "polars",
    "duckdb",
    "pyarrow",
    "pyspark",
    "matplotlib",
)


def show_versions(as_dict: bool = False) -> dict[str, str] | None:
    """Print (or return) the versions that matter when reporting a bug.

    Parameters
    ----------
    as_dict : bool, default False
        Return a dict instead of printing.

    Returns
    -------
    dict or None
        ``{name: version}``; packages not installed show ``"not installed"``.

    Examples
    --------
    >>> info = show_versions(as_dict=True)
    >>> sorted(info)[:3]
    ['duckdb', 'lifelines', 'matplotlib']
    """
    from useropslib._version import __version__

    info = {
        "useropslib": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in _PACKAGES:
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "not installed"
    if as_dict:
        return info
    width = max(map(len, info))
    sys.stdout.write("\n".join(f"{k:<{width}} : {v}" for k, v in info.items()) + "\n")
    return None
