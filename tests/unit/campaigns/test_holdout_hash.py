"""The column-at-a-time SipHash of holdout_bucket equals pandas' hash of the salted text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import holdout_bucket
from useropslib.campaigns._siphash import arrow_text, salted_hashes

pa = pytest.importorskip("pyarrow")

ALPHABET = [*"abcXYZ019-_ .", "\x1f", "\x00", "é", "用", "户", "😀", "\u0301", "ß", "\U0010fffd"]


def _pandas_bucket(ids: list[object], salt: str) -> np.ndarray:
    """The bucket as holdout_bucket computed it before: pandas' hash of each salted text."""
    text = np.asarray([salt + "\x1f" + str(i) for i in ids], dtype=object)
    hashed = pd.util.hash_array(text, categorize=False)
    out: np.ndarray = (hashed >> np.uint64(11)).astype(np.float64) * (2.0**-53)
    return out


def _unicode_ids(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(ALPHABET, size=rng.integers(0, 41))) for _ in range(n)]


# salts whose salted prefix ("salt" + "\x1f") ends inside a block, or exactly on one (8, 16, 32
# bytes: every prefix byte then lies in the blocks hashed once for all ids)
@pytest.mark.parametrize(
    "salt", ["c1", "spring-2024", "用户活动", "x" * 31, "\x1f", "1234567", "é" * 7 + "y", "s" * 15]
)
def test_unicode_ids_bucket_bit_identical(salt: str) -> None:
    ids = _unicode_ids(3000, seed=len(salt))
    ids = list(dict.fromkeys(ids))
    want = _pandas_bucket(ids, salt)
    got = holdout_bucket(ids, salt=salt).to_numpy()
    assert np.array_equal(got, want)  # bit-identical, not close
    # Arrow-backed (string, large_string, chunked) ids give the same buckets
    for arr in (pa.array(ids, pa.string()), pa.array(ids, pa.large_string())):
        idx = pd.Index(pd.arrays.ArrowExtensionArray(arr))
        assert np.array_equal(holdout_bucket(idx, salt=salt).to_numpy(), want)
    # a slice (an Arrow array whose offsets do not start at its buffers' start)
    sliced = pa.array(["pad", *ids], pa.string()).slice(1)
    assert np.array_equal(salted_hashes(sliced, prefix=salt + "\x1f"), _hash(ids, salt))
    chunked = pa.chunked_array([ids[:1000], ids[1000:]])
    assert np.array_equal(
        salted_hashes(arrow_text(chunked), prefix=salt + "\x1f"), _hash(ids, salt)
    )


def _hash(ids: list[object], salt: str) -> np.ndarray:
    out: np.ndarray = pd.util.hash_array(
        np.asarray([salt + "\x1f" + str(i) for i in ids], dtype=object), categorize=False
    )
    return out


def test_integer_ids_bucket_bit_identical() -> None:
    rng = np.random.default_rng(11)
    ints = np.unique(rng.integers(-(2**63), 2**63 - 1, 4000, dtype=np.int64))
    ints = np.r_[ints, 0, -1, 2**63 - 1, -(2**63)]
    want = _pandas_bucket(list(ints.tolist()), "c9")
    assert np.array_equal(holdout_bucket(ints, salt="c9").to_numpy(), want)
    assert np.array_equal(
        holdout_bucket(pd.Index(ints.astype(np.int32).tolist()), salt="c9").to_numpy(),
        _pandas_bucket(ints.astype(np.int32).tolist(), "c9"),
    )
    # ints and their text land in the same bucket, as documented
    text = holdout_bucket([str(i) for i in ints], salt="c9").to_numpy()
    assert np.array_equal(text, want)


def test_other_ids_take_pandas_text() -> None:
    # floats, bytes, booleans and mixed types are hashed through pandas' text, as before
    for ids in ([1.5, 2.0, 3.25], [b"a", b"b"], [True, False], ["u1", 2, 3.5], [2**70, 1]):
        got = holdout_bucket(ids, salt="s").to_numpy()
        text = np.asarray(["s\x1f" + s for s in pd.Index(ids).astype(str)], dtype=object)
        want = (pd.util.hash_array(text, categorize=False) >> np.uint64(11)).astype(np.float64) * (
            2.0**-53
        )
        assert np.array_equal(got, want), ids


def test_empty_and_one_id() -> None:
    assert holdout_bucket([], salt="s").size == 0
    assert np.array_equal(
        holdout_bucket(["only"], salt="s").to_numpy(), _pandas_bucket(["only"], "s")
    )


@pytest.mark.parametrize("salt", ["c1", "synthetic-campaign", "s" * 15])
def test_ids_of_one_length_bit_identical(salt: str) -> None:
    # fixed-width ids take the path without a sort; more rows than one hashing chunk, and a
    # slice so the offsets start inside the buffers
    ids = [f"u{i:07d}" for i in range(40_000)]
    assert np.array_equal(salted_hashes(pa.array(ids), prefix=salt + "\x1f"), _hash(ids, salt))
    sliced = pa.array(["pad", *ids], pa.large_string()).slice(1)
    assert np.array_equal(salted_hashes(sliced, prefix=salt + "\x1f"), _hash(ids, salt))
    # one id of another length sends them all through the sorted path, with the same hashes
    mixed = [*ids[:20_000], "u1", *ids[20_000:]]
    assert np.array_equal(salted_hashes(pa.array(mixed), prefix=salt + "\x1f"), _hash(mixed, salt))
    assert np.array_equal(
        salted_hashes(pa.array(["ab"]), prefix=salt + "\x1f"), _hash(["ab"], salt)
    )
    empty = ["", "", ""]  # ids of length 0: no byte of their own
    assert np.array_equal(salted_hashes(pa.array(empty), prefix=salt + "\x1f"), _hash(empty, salt))
