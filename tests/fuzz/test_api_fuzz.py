"""API-wide fuzz test: every public function and model, fed odd values, fails only politely.

Every public callable is discovered from each subpackage's ``__all__`` (so functions other
modules add later are fuzzed too) and from the public methods of ``EventLog``.  For each, a
seeded hypothesis run picks one parameter at a time and gives it an odd value (a wrong type,
empty, huge, NaN or infinite, out of bounds, unicode, nested), every other parameter keeping its
default or a valid value.  The promise checked (see docs/guarantees.md):

- the only exceptions are :class:`~useropslib.exceptions.UseropsError` subclasses and pydantic's
  ``ValidationError`` (warnings of any kind are allowed);
- each call ends within a time limit;
- no input frame is changed.

The run is deterministic (``derandomize=True``) and its budget is fixed by ``MAX_EXAMPLES`` per
callable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import math
import os
import pkgutil
import signal
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import useropslib
from useropslib.events import EventLog, strict_events
from useropslib.exceptions import UseropsError

MAX_EXAMPLES = 40
CALL_SECONDS = 20.0

pytestmark = pytest.mark.filterwarnings("ignore")


def sample_frame() -> pd.DataFrame:
    """A small valid event table: 4 users over three weeks, values and a property."""
    rows = []
    start = pd.Timestamp("2024-05-01T08:00Z")
    for u in range(4):
        for d in range(0, 21, 3 + u):
            t = start + pd.Timedelta(days=d, hours=u)
            rows.append((f"u{u}", "open", t, None, "web" if u % 2 else "app"))
        rows.append((f"u{u}", "signup", start + pd.Timedelta(hours=u), None, "web"))
        if u % 2 == 0:
            rows.append((f"u{u}", "purchase", start + pd.Timedelta(days=5), 9.5 + u, "app"))
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "value", "channel"])


FRAME = sample_frame()
LOG = EventLog.from_pandas(FRAME)


def odd_frames() -> list[pd.DataFrame]:
    base = sample_frame()
    return [
        pd.DataFrame(),
        base.iloc[:0],
        base.drop(columns=["timestamp"]),
        base.assign(timestamp=np.nan),
        base.assign(user_id=None),
        base.assign(value="x"),
        base.assign(timestamp=base["timestamp"].dt.tz_localize(None)),
        base.assign(event=[[1]] * len(base)),
        base.rename(columns={"user_id": 0}),
    ]


ODD: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**63,
    10**12,
    1.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    "",
    " ",
    "x",
    "\u200b",
    "用户🙂\u202e",
    "AND",
    "1970-01-01",
    "2262-04-12",
    "1500-01-01T00:00Z",
    "99999999999D",
    "-7D",
    "0D",
    "7D",
    "week",
    "purchase",
    "%s%n{0}",
    "x" * 10_000,
    b"bytes",
    [],
    [None],
    [[1, [2]]],
    ["open", "nope"],
    ("open", {"channel": 5}),
    {},
    {"a": {"b": [1]}},
    {"u0": "nope"},
    set(),
    frozenset({1}),
    object(),
    np.array([1, 2]),
    np.array([]),
    np.int64(-5),
    np.float64("nan"),
    np.datetime64("NaT"),
    pd.NaT,
    pd.Timestamp("1677-09-22", tz="UTC"),
    pd.Timestamp("2262-04-11", tz="UTC"),
    dt.timedelta(days=10**6),
    dt.timedelta(0),
    dt.date(1, 1, 1),
    pd.Series([1, None]),
    pd.Series([], dtype=object),
    pd.DataFrame({"a": [1]}),
    pd.Index(["u0"]),
    lambda x: x,
]

#: Valid values for required parameters that are not the one being fuzzed, by name.
VALID: dict[str, Callable[[], Any]] = {
    "events": lambda: LOG,
    "log": lambda: LOG,
    "steps": lambda: ["signup", "purchase"],
    "event": lambda: "open",
    "name": lambda: "s",
    "rule": lambda: "vip",
    "segment": lambda: useropslib.Segment(name="s", rule="vip"),
    "period": lambda: "week",
    "window": lambda: "7D",
    "threshold": lambda: "7D",
    "definition": lambda: "7D",
    "df": lambda: sample_frame(),
    "frame": lambda: sample_frame(),
    "records": lambda: [],
    "text": lambda: "vip",
}


def public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every function and model class in a subpackage's ``__all__``, and EventLog's methods."""
    seen: set[int] = set()
    for info in sorted(pkgutil.iter_modules(useropslib.__path__), key=lambda i: i.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"useropslib.{info.name}")
        for name in sorted(getattr(module, "__all__", ())):
            obj = getattr(module, name, None)
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj) or (inspect.isclass(obj) and _constructible(obj)):
                yield f"{info.name}.{name}", obj
    for name, member in sorted(vars(EventLog).items()):
        if name.startswith("_"):
            continue
        if isinstance(member, classmethod):
            yield f"EventLog.{name}", getattr(EventLog, name)
        elif inspect.isfunction(member):
            yield f"EventLog.{name}", getattr(LOG, name)


def _constructible(cls: type) -> bool:
    """Models and estimators a user builds; not errors, warnings, results or enums."""
    if issubclass(cls, (BaseException, Warning)):
        return False
    if dataclasses.is_dataclass(cls):  # result objects: built by the library, not by users
        return False
    return issubclass(cls, BaseModel) or hasattr(cls, "fit") or cls.__name__ == "TagTable"


CALLABLES = list(public_callables())


def parameters(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    out = []
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("self", "cls"):
            continue
        if p.name == "ax" and p.default is not inspect.Parameter.empty:
            continue
        out.append(p)
    return out


def arguments(fn: Callable[..., Any], target: str | None, value: Any) -> tuple[list, dict]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in parameters(fn):
        if p.name == target:
            chosen = value
        elif p.default is not inspect.Parameter.empty:
            continue
        elif p.name in VALID:
            chosen = VALID[p.name]()
        else:
            chosen = value
        if p.kind == p.POSITIONAL_ONLY or (p.kind == p.POSITIONAL_OR_KEYWORD and not kwargs):
            args.append(chosen)
        else:
            kwargs[p.name] = chosen
    return args, kwargs


class CallTimeoutError(Exception):
    """Raised inside a call that takes longer than CALL_SECONDS."""


def _alarm(signum: int, frame: Any) -> None:
    raise CallTimeoutError


def snapshot(values: list[Any]) -> list[tuple[Any, Any]]:
    return [(v, v.copy(deep=True)) for v in values if isinstance(v, (pd.DataFrame, pd.Series))]


def call_politely(label: str, fn: Callable[..., Any], args: list, kwargs: dict) -> None:
    frames = snapshot([*args, *kwargs.values()])
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
    started = time.perf_counter()
    try:
        # strict_events restores the library-wide setting whatever the call sets
        with warnings.catch_warnings(), strict_events(False):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
            if hasattr(result, "fit") and not isinstance(result, type):
                fit_args, fit_kwargs = arguments(result.fit, None, LOG)
                result.fit(*fit_args, **fit_kwargs)
    except (UseropsError, ValidationError):
        pass
    except CallTimeoutError:
        pytest.fail(f"{label}({args!r:.200}, {kwargs!r:.200}) ran over {CALL_SECONDS} s")
    except Exception as exc:
        tb = exc.__traceback__
        while (
            tb is not None
            and tb.tb_next is not None
            and "useropslib" in str(tb.tb_next.tb_frame.f_code.co_filename)
        ):
            tb = tb.tb_next
        where = "" if tb is None else f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        pytest.fail(
            f"{label} raised a raw {type(exc).__name__} at {where}: {str(exc)[:300]}\n"
            f"  args={args!r:.300}\n  kwargs={kwargs!r:.300}"
        )
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - started
    assert elapsed < CALL_SECONDS, (label, elapsed)
    for original, copy in frames:
        if isinstance(original, pd.DataFrame):
            pd.testing.assert_frame_equal(original, copy, obj=f"input frame of {label}")
        else:
            pd.testing.assert_series_equal(original, copy, obj=f"input series of {label}")


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Functions given an odd string as a path write only into a scratch directory."""
    before = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("fuzz"))
    yield
    os.chdir(before)


VALUES = st.one_of(
    st.sampled_from(ODD), st.sampled_from(range(len(odd_frames()))).map(lambda i: odd_frames()[i])
)


@pytest.mark.parametrize(("label", "fn"), CALLABLES, ids=[label for label, _ in CALLABLES])
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_public_callable_fails_only_politely(
    label: str, fn: Callable[..., Any], data: st.DataObject
) -> None:
    names = [p.name for p in parameters(fn)]
    if not names:
        call_politely(label, fn, [], {})
        return
    target = data.draw(st.sampled_from(names), label="parameter")
    value = data.draw(VALUES, label="value")
    args, kwargs = arguments(fn, target, value)
    call_politely(label, fn, args, kwargs)


def test_discovery_finds_every_subpackage() -> None:
    found = {label.split(".")[0] for label, _ in CALLABLES}
    assert {"events", "metrics", "segments", "churn", "models", "EventLog"} <= found
    assert len(CALLABLES) > 60
