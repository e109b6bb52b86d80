"""The top-k selection of candidate pairs: the best `k` scores of each person, without a full sort."""

from __future__ import annotations

import numpy as np

from tandem_matching.engine.arrays import FloatArray, IntArray

_SCORE_BUCKETS = 256


def top_k_per_group(group: IntArray, score: FloatArray, k: int, groups: int) -> IntArray:
    """Positions of the `k` best scores of each group (`group` in [0, groups))."""
    if group.size == 0:
        return np.empty(0, dtype=np.int64)
    # A histogram of each group's scores finds the bucket that holds its k-th best, so
    # only the entries from that bucket up are sorted (scores are in [0, 1]).
    bucket = np.minimum((score * _SCORE_BUCKETS).astype(np.int64), _SCORE_BUCKETS - 1)
    counts = np.bincount(group * _SCORE_BUCKETS + bucket, minlength=groups * _SCORE_BUCKETS)
    from_top = np.cumsum(counts.reshape(groups, _SCORE_BUCKETS)[:, ::-1], axis=1)
    reached = from_top >= k
    lowest = _SCORE_BUCKETS - 1 - np.where(reached.any(axis=1), reached.argmax(axis=1), _SCORE_BUCKETS - 1)
    near = np.flatnonzero(bucket >= lowest[group])
    near_group = group[near]
    # One float sort: the group decides the order, the score breaks ties within it.
    order = near[np.argsort(near_group * 2.0 + (1.0 - score[near]), kind="stable")]
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    lengths = np.diff(np.r_[starts, sorted_group.size])
    rank = np.arange(sorted_group.size) - np.repeat(starts, lengths)
    kept: IntArray = order[rank < k]
    return kept
