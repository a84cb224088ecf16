"""Data, timing and memory measurement for ``benchmarks/run.py``.

What each memory figure measures (and what it does not):

* **peak RSS growth** -- the kernel's high-water mark of resident memory while the call ran,
  minus the resident memory just before it (after ``gc.collect()`` and ``malloc_trim(0)``).
  On Linux the mark is reset before the call by writing ``5`` to ``/proc/self/clear_refs`` and
  read from ``VmHWM`` in ``/proc/self/status``, so it is exact and sees every allocator: numpy
  and pandas (glibc malloc), Arrow (mimalloc), Polars (its own allocator) and DuckDB (its buffer
  manager).  Where the mark cannot be reset, a thread samples ``/proc/self/statm`` every
  millisecond instead, which can miss peaks shorter than that.  It is measured in a fresh child
  process per method, so memory that one engine caches or keeps in its allocator's free lists
  cannot be reused by, or charged to, another.  The result of the call is still alive when the
  peak is read, so it counts.
* **tracemalloc peak** -- the peak of Python-visible allocations during a second call in the
  same child: Python objects and numpy buffers (numpy reports its allocations to tracemalloc),
  so pandas work is covered, but *not* memory allocated inside Arrow, Polars or DuckDB.  For
  those engines it is a lower bound, often near zero.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import re
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# bump when the generator or the cached frame's layout changes, so old caches are not reused
CACHE_VERSION = 1
DAYS = 180
EVENTS_PER_USER = 10.5  # a little under what synthetic() gives at days=180, then cut exactly

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# ---------------------------------------------------------------------------- sizes and data
def parse_size(text: str) -> int:
    """``"1M"`` -> 1_000_000, ``"100k"`` -> 100_000, ``"2500"`` -> 2500."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise ValueError(f"cannot read size {text!r}; use e.g. 1M, 10M, 100k or 20000")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    n = round(float(m.group(1)) * scale)
    if n < 100:
        raise ValueError(f"size {text!r} is too small; use at least 100 events")
    return n


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def cache_path(cache_dir: Path, n: int, seed: int) -> Path:
    return cache_dir / f"synthetic_{size_label(n)}_seed{seed}_v{CACHE_VERSION}.parquet"


def build_frame(n: int, seed: int) -> pd.DataFrame:
    """The synthetic event frame with exactly ``n`` rows (the first ``n`` in time order)."""
    from useropslib.datasets import synthetic_frame

    n_users = max(1, int(np.ceil(n / EVENTS_PER_USER)))
    df = synthetic_frame(n_users=n_users, days=DAYS, seed=seed)
    while len(df) < n:  # never in practice; a guard for unusual seeds
        n_users = int(n_users * 1.2) + 1
        df = synthetic_frame(n_users=n_users, days=DAYS, seed=seed)
    return df.iloc[:n].reset_index(drop=True)


def ensure_cached(n: int, seed: int, cache_dir: Path, log: Callable[[str], None]) -> Path:
    path = cache_path(cache_dir, n, seed)
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        df = build_frame(n, seed)
        t1 = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        df.to_parquet(tmp, index=False)
        tmp.replace(path)
        log(
            f"  built {size_label(n)} events in {t1 - t0:.1f}s, wrote {path} "
            f"({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t1:.1f}s"
        )
    return path


def read_frame(path: Path) -> pd.DataFrame:
    """Read a cached frame: object strings (shared, deduplicated), aware timestamps."""
    df = pd.read_parquet(path)
    release_arrow_pool()
    return df


def frame_nbytes(df: pd.DataFrame) -> int:
    """Bytes the frame holds: its arrays plus each distinct string object once.

    ``df.memory_usage(deep=True)`` counts a string again on every row that points to it; the
    frames read from Parquet share one object per distinct value, so that overstates the
    memory several times.
    """
    total = int(df.memory_usage(index=True, deep=False).sum())
    for col in df.columns:
        s = df[col]
        if s.dtype == object:
            uniq = pd.unique(s.dropna().to_numpy())
            total += sum(sys.getsizeof(x) for x in uniq)
    return total


# ---------------------------------------------------------------------------- memory probes
def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


def _hwm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return _hwm_bytes() <= rss_bytes() + 64 * 1024 * 1024


def malloc_trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def release_arrow_pool() -> None:
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        with contextlib.suppress(Exception):
            pa.default_memory_pool().release_unused()


def settle() -> None:
    gc.collect()
    malloc_trim()
    release_arrow_pool()


class _Sampler(threading.Thread):
    def __init__(self, interval: float = 0.001) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = rss_bytes()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, rss_bytes())
        return self.peak


def peak_rss_growth(fn: Callable[[], Any]) -> tuple[int, str]:
    """Run ``fn`` once; return (peak resident growth in bytes, how it was measured)."""
    settle()
    before = rss_bytes()
    if _reset_hwm():
        result = fn()
        peak, how = _hwm_bytes(), "VmHWM"
    else:
        sampler = _Sampler()
        sampler.start()
        result = fn()
        peak, how = sampler.stop(), "statm sampling"
    del result
    return max(0, peak - before), how


def tracemalloc_peak(fn: Callable[[], Any]) -> int:
    settle()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return int(peak)


# ---------------------------------------------------------------------------- timing
def time_runs(fn: Callable[[], Any], *, repeat: int, warmup: int) -> tuple[list[float], Any]:
    """Wall-clock seconds of ``repeat`` calls after ``warmup`` untimed ones; the last result."""
    result = None
    for _ in range(warmup):
        result = None
        gc.collect()
        result = fn()
    times = []
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def median(xs: list[float]) -> float:
    return statistics.median(xs)


@contextlib.contextmanager
def loadavg_span() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {"before": os.getloadavg()[0]}
    try:
        yield out
    finally:
        out["after"] = os.getloadavg()[0]


def machine() -> dict[str, str]:
    """A short description of the machine and the library versions."""
    import platform

    info = {
        "python": platform.python_version(),
        "cores": str(os.cpu_count()),
        "platform": platform.platform(terse=True),
    }
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        kb = int(fh.readline().split()[1])
        info["memory"] = f"{kb / 1024**2:.0f} GiB"
    for mod in ("numpy", "pandas", "pyarrow", "polars", "duckdb", "useropslib"):
        with contextlib.suppress(ImportError):
            info[mod] = str(__import__(mod).__version__)
    return info
