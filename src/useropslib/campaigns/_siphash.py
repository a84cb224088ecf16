r"""SipHash-2-4 of many short texts at once, in numpy: the hash of ``pandas.util.hash_array``.

``holdout_bucket`` hashes the text ``salt + "\x1f" + id`` of every user.  pandas does it one
Python ``str`` at a time (the text built, encoded to UTF-8, hashed), which costs about a
microsecond per id at a few million ids.  Here the ids are read in place from their Arrow
buffers and hashed by whole columns of 8-byte words, the ids of one length together, so no
Python object (and no salted text) is made per id; the salt's whole blocks are hashed once.
The result is bit-identical to ``pandas.util.hash_array(texts, categorize=False)`` (pandas'
fixed 16-byte key, then its 64-bit mixing step); the tests compare both on random unicode and
integer ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["arrow_text", "salted_hashes"]

_KEY = b"0123456789123456"  # pandas.core.util.hashing._default_hash_key
_K0, _K1 = (int.from_bytes(_KEY[i : i + 8], "little") for i in (0, 8))
_CHUNK = 1 << 14  # rows hashed together: the state words stay in the cache


def arrow_text(users: Any) -> Any:
    """Return the ids as an Arrow string array, or None when their text is not Arrow's.

    Text ids (Python ``str`` or Arrow strings) and integer ids qualify: Arrow writes an integer
    as ``str`` does.  Anything else (floats, bytes, booleans, mixed types) returns None, and
    the caller falls back to pandas' text.
    """
    import pyarrow as pa

    values = getattr(users, "array", users)
    try:
        arr = pa.array(values) if not isinstance(values, pa.Array | pa.ChunkedArray) else values
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        return None
    if pa.types.is_integer(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if getattr(pa.types, "is_string_view", lambda _: False)(arr.type):
        return arr.cast(pa.large_string())
    return None


def salted_hashes(text: Any, *, prefix: str) -> npt.NDArray[np.uint64]:
    """``pandas.util.hash_array`` of ``prefix + t`` for every string ``t`` of an Arrow array.

    The salted texts are never built: every message starts with the same ``prefix``, so the
    SipHash state after its whole 8-byte blocks is computed once, and each id's hash starts
    from that state with the prefix's remaining bytes, its own bytes (read in place from the
    Arrow buffers) and the length byte of the whole message.
    """
    import pyarrow as pa

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    head = prefix.encode("utf-8")
    fixed = len(head) // 8  # whole blocks of the prefix: the same for every id
    state = _compress(
        np.frombuffer(head[: 8 * fixed], dtype="<u8").reshape(1, fixed).astype(np.uint64),
        _start(1),
    )
    tail = np.frombuffer(head[8 * fixed :], dtype=np.uint8)
    wide = pa.types.is_large_string(text.type)
    binary = text.cast(pa.large_binary() if wide else pa.binary())
    n = len(binary)
    buffers = binary.buffers()
    offsets = np.frombuffer(
        buffers[1],
        dtype="<i8" if wide else "<i4",
        count=n + 1,
        offset=binary.offset * (8 if wide else 4),
    ).astype(np.int64)
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if n and buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    lengths = np.diff(offsets)
    out = np.empty(n, dtype=np.uint64)
    if n:
        counts = np.bincount(lengths)
        if counts[lengths[0]] == n:  # ids of one length (often): no sort, no gather
            order, starts, got = None, offsets[:-1], out
        else:  # the rows grouped by length: one counting (radix) sort, then contiguous runs
            order = np.argsort(lengths.astype(np.uint32), kind="stable")
            starts, got = offsets[order], np.empty(n, dtype=np.uint64)
        bounds = np.r_[0, np.cumsum(counts[counts > 0])]
        for length, lo, hi in zip(np.flatnonzero(counts), bounds[:-1], bounds[1:], strict=True):
            for at in range(int(lo), int(hi), _CHUNK):
                to = min(at + _CHUNK, int(hi))
                if not length:
                    ids = np.zeros((to - at, 0), dtype=np.uint8)
                elif order is None:  # one length: the ids' bytes are one contiguous block
                    first = int(starts[at])
                    ids = data[first : first + (to - at) * int(length)].reshape(to - at, -1)
                else:
                    ids = sliding_window_view(data, int(length))[starts[at:to]]
                got[at:to] = _siphash24(ids, tail, len(head) + int(length), state)
        if order is not None:
            out[order] = got
    # pandas' redistribution of the 64-bit hashes (hashing._hash_ndarray)
    with np.errstate(over="ignore"):
        out ^= out >> np.uint64(30)
        out *= np.uint64(0xBF58476D1CE4E5B9)
        out ^= out >> np.uint64(27)
        out *= np.uint64(0x94D049BB133111EB)
        out ^= out >> np.uint64(31)
    return out


_State = tuple[npt.NDArray[np.uint64], ...]


def _start(size: int) -> _State:
    """SipHash's initial state under pandas' key, for ``size`` messages."""
    return (
        np.full(size, _K0 ^ 0x736F6D6570736575, dtype=np.uint64),
        np.full(size, _K1 ^ 0x646F72616E646F6D, dtype=np.uint64),
        np.full(size, _K0 ^ 0x6C7967656E657261, dtype=np.uint64),
        np.full(size, _K1 ^ 0x7465646279746573, dtype=np.uint64),
    )


def _compress(m: npt.NDArray[np.uint64], state: _State) -> _State:
    """Run SipHash's two rounds per 8-byte block ``m[:, j]`` on ``state``, in place."""
    v0, v1, v2, v3 = state
    tmp = np.empty(v0.shape, dtype=np.uint64)

    def rotl(x: npt.NDArray[np.uint64], b: int) -> None:
        np.right_shift(x, np.uint64(64 - b), out=tmp)
        np.left_shift(x, np.uint64(b), out=x)
        np.bitwise_or(x, tmp, out=x)

    add, xor = np.add, np.bitwise_xor
    for j in range(m.shape[1]):
        mj = m[:, j]
        xor(v3, mj, out=v3)
        for _ in range(2):  # every step in place: no array is allocated
            _round(v0, v1, v2, v3, rotl, add, xor)
        xor(v0, mj, out=v0)
    return v0, v1, v2, v3


def _round(
    v0: npt.NDArray[np.uint64],
    v1: npt.NDArray[np.uint64],
    v2: npt.NDArray[np.uint64],
    v3: npt.NDArray[np.uint64],
    rotl: Any,
    add: Any,
    xor: Any,
) -> None:
    add(v0, v1, out=v0)
    rotl(v1, 13)
    xor(v1, v0, out=v1)
    rotl(v0, 32)
    add(v2, v3, out=v2)
    rotl(v3, 16)
    xor(v3, v2, out=v3)
    add(v0, v3, out=v0)
    rotl(v3, 21)
    xor(v3, v0, out=v3)
    add(v2, v1, out=v2)
    rotl(v1, 17)
    xor(v1, v2, out=v1)
    rotl(v2, 32)


def _siphash24(
    ids: npt.NDArray[np.uint8],
    tail: npt.NDArray[np.uint8],
    total: int,
    state: _State,
) -> npt.NDArray[np.uint64]:
    """Finish SipHash-2-4 of ids of one length (the rows of ``ids``' bytes) from ``state``.

    ``state`` is the state after the prefix's whole blocks; ``tail`` the prefix's remaining
    bytes, which open every id's own blocks; ``total`` the whole message's length in bytes.
    """
    size, length = ids.shape
    rest = tail.size + length
    blocks = rest // 8 + 1  # the last block holds the remaining bytes and the length byte
    words = np.zeros((size, 8 * blocks), dtype=np.uint8)
    words[:, : tail.size] = tail
    if length:
        words[:, tail.size : rest] = ids
    words[:, -1] = total & 0xFF
    m = words.view("<u8").astype(np.uint64, copy=False)
    v0, v1, v2, v3 = _compress(m, tuple(np.repeat(v, size) for v in state))
    tmp = np.empty(size, dtype=np.uint64)

    def rotl(x: npt.NDArray[np.uint64], b: int) -> None:
        np.right_shift(x, np.uint64(64 - b), out=tmp)
        np.left_shift(x, np.uint64(b), out=x)
        np.bitwise_or(x, tmp, out=x)

    v2 ^= np.uint64(0xFF)
    for _ in range(4):
        _round(v0, v1, v2, v3, rotl, np.add, np.bitwise_xor)
    v0 ^= v1
    v0 ^= v2
    v0 ^= v3
    return v0
