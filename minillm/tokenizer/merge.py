"""Encode one pre-token with mergeable ranks: tiktoken's algorithm, in Python.

Start from single bytes and repeatedly merge the adjacent pair whose concatenation has the lowest
rank, taking the leftmost one on a tie, until no adjacent pair is in the vocabulary. No merge
list is needed: the rank of a token's bytes *is* its merge priority (and its id).
"""

from __future__ import annotations

import heapq

# Above this many bytes the O(n^2) scan gives way to the O(n log n) heap version (a run of
# 100k spaces or "aaaa..." would otherwise take minutes).
LONG_WORD = 256
_NO_RANK = float("inf")  # a pair that is not a token


def bpe_merge_simple(word: bytes, ranks: dict[bytes, int]) -> list[bytes]:
    """O(len^2) but short words are the common case: merge the lowest-rank pair (leftmost on
    ties) until no adjacent pair is a token.

    pair_ranks[i] is the rank of parts[i] + parts[i+1]; after a merge only its two neighbours
    change, and `min`/`index` run in C, which makes this ~3x faster than rescanning in Python.
    """
    parts = [word[i : i + 1] for i in range(len(word))]
    pair_ranks = [ranks.get(word[i : i + 2], _NO_RANK) for i in range(len(word) - 1)]
    while pair_ranks:
        best = min(pair_ranks)
        if best == _NO_RANK:
            break
        i = pair_ranks.index(best)  # the leftmost of the lowest rank, as tiktoken
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
        del pair_ranks[i]
        if i < len(pair_ranks):
            pair_ranks[i] = ranks.get(parts[i] + parts[i + 1], _NO_RANK)
        if i > 0:
            pair_ranks[i - 1] = ranks.get(parts[i - 1] + parts[i], _NO_RANK)
    return parts


def bpe_merge_heap(word: bytes, ranks: dict[bytes, int]) -> list[bytes]:
    """Same result as `bpe_merge_simple` in O(len log len): a linked list of parts + a heap.

    Heap entries are (rank, start of left part, end of left part, end of right part); an entry
    is live only while both parts still span exactly those byte ranges. (rank, start) order
    reproduces "lowest rank, then leftmost".
    """
    n = len(word)
    nxt = list(range(1, n + 1))  # nxt[s]: end of the part starting at s (= start of the next)
    prv = list(range(-1, n - 1))  # prv[s]: start of the part before the one starting at s
    alive = [True] * n  # alive[s]: a part starts at s
    heap = []
    for s in range(n - 1):
        r = ranks.get(word[s : s + 2])
        if r is not None:
            heap.append((r, s, s + 1, s + 2))
    heapq.heapify(heap)
    while heap:
        r, s, mid, end = heapq.heappop(heap)
        if not (alive[s] and nxt[s] == mid and mid < n and alive[mid] and nxt[mid] == end):
            continue  # one of the two parts was merged with something else since the push
        alive[mid] = False
        nxt[s] = end
        if end < n:
            prv[end] = s
        p = prv[s]
        if p >= 0:
            r2 = ranks.get(word[p:end])
            if r2 is not None:
                heapq.heappush(heap, (r2, p, s, end))
        if end < n:
            e2 = nxt[end]
            r2 = ranks.get(word[s:e2])
            if r2 is not None:
                heapq.heappush(heap, (r2, s, end, e2))
    parts = []
    s = 0
    while s < n:
        parts.append(word[s : nxt[s]])
        s = nxt[s]
    return parts


def bpe_encode_word(word: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Ids of one pre-token. A pre-token that is itself a token is one id: tiktoken takes the
    same shortcut, and taking it too guarantees the same ids."""
    r = ranks.get(word)
    if r is not None:
        return [r]
    parts = bpe_merge_simple(word, ranks) if len(word) <= LONG_WORD else bpe_merge_heap(word, ranks)
    return [ranks[p] for p in parts]
