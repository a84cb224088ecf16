r"""SipHash-2-4 of many short texts at once, in numpy: the hash of ``pandas.util.hash_array``.

``holdout_bucket`` hashes the text ``salt + "\x1f" + id`` of every user.  pandas does it one
Python ``str`` at a time (the text built, encoded to UTF-8, hashed), which costs about a
microsecond per id at a few million ids.  Here the salted texts are built by Arrow in one
buffer and hashed by whole columns of 8-byte words, the texts of one length together, so no
Python object is made per id.  The result is bit-identical to
``pandas.util.hash_array(texts, categorize=False)`` (pandas' fixed 16-byte key, then its 64-bit
mixing step); the tests compare both on random unicode and integer ids.
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
    """``pandas.util.hash_array`` of ``prefix + t`` for every string ``t`` of an Arrow array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    salted = pc.binary_join_element_wise(
        pa.scalar(prefix, text.type), text, pa.scalar("", text.type)
    )
    salted = salted.cast(pa.large_binary())
    n = len(salted)
    buffers = salted.buffers()
    offsets = np.frombuffer(buffers[1], dtype="<i8", count=n + 1, offset=8 * salted.offset)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if n else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    out = np.empty(n, dtype=np.uint64)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        for lo in range(0, rows.size, _CHUNK):
            part = rows[lo : lo + _CHUNK]
            out[part] = _siphash24(data, offsets[part], int(length))
    # pandas' redistribution of the 64-bit hashes (hashing._hash_ndarray)
    with np.errstate(over="ignore"):
        out ^= out >> np.uint64(30)
        out *= np.uint64(0xBF58476D1CE4E5B9)
        out ^= out >> np.uint64(27)
        out *= np.uint64(0x94D049BB133111EB)
        out ^= out >> np.uint64(31)
    return out


def _siphash24(
    data: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], length: int
) -> npt.NDArray[np.uint64]:
    """SipHash-2-4 of the ``length``-byte messages starting at ``starts`` in ``data``."""
    blocks = length // 8 + 1  # the last block holds the tail and the length byte
    words = np.zeros((starts.size, 8 * blocks), dtype=np.uint8)
    if length:
        words[:, :length] = sliding_window_view(data, length)[starts]
    words[:, -1] = length & 0xFF
    m = words.view("<u8").astype(np.uint64, copy=False)
    shape = starts.size
    v0 = np.full(shape, _K0 ^ 0x736F6D6570736575, dtype=np.uint64)
    v1 = np.full(shape, _K1 ^ 0x646F72616E646F6D, dtype=np.uint64)
    v2 = np.full(shape, _K0 ^ 0x6C7967656E657261, dtype=np.uint64)
    v3 = np.full(shape, _K1 ^ 0x7465646279746573, dtype=np.uint64)
    tmp = np.empty(shape, dtype=np.uint64)

    def rotl(x: npt.NDArray[np.uint64], b: int) -> None:
        np.right_shift(x, np.uint64(64 - b), out=tmp)
        np.left_shift(x, np.uint64(b), out=x)
        np.bitwise_or(x, tmp, out=x)

    add, xor = np.add, np.bitwise_xor

    def rounds(k: int) -> None:
        for _ in range(k):  # every step in place: no array is allocated
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

    for j in range(blocks):
        mj = m[:, j]
        v3 ^= mj
        rounds(2)
        v0 ^= mj
    v2 ^= np.uint64(0xFF)
    rounds(4)
    v0 ^= v1
    v0 ^= v2
    v0 ^= v3
    return v0
