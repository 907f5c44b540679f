"""The BPE merge loop over unique words, with incremental pair counts.

Naive BPE recounts every adjacent pair of the whole corpus after each merge: O(corpus) per merge.
Here each distinct word is stored once with its frequency, and we keep
  - pair_counts: (left id, right id) -> occurrences in the corpus,
  - where: pair -> ids of the words that contain it,
  - a max-heap of (count, pair) with lazy deletion.
A merge then only touches the words that contain the merged pair.

Ties: among pairs with the same count the one with the lowest (left id, right id) wins, so
training is deterministic (Hugging Face `tokenizers` breaks ties the same way, on its own ids).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping


def merge_word(word: list[int], a: int, b: int, new_id: int) -> list[int]:
    """Replace every non-overlapping (a, b) in `word`, left to right, by `new_id`.

    [1, 1, 1] with (1, 1) -> [new, 1]: the first pair wins, as in the original BPE.
    """
    out = []
    i, n = 0, len(word)
    while i < n:
        if i < n - 1 and word[i] == a and word[i + 1] == b:
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def learn_merges(
    word_counts: Mapping[bytes, int],
    n_new_tokens: int,
    token_bytes: list[bytes],
    progress: bool = False,
) -> list[tuple[int, int, int]]:
    """Learn merges until `n_new_tokens` tokens were added or no pair is left.

    word_counts: distinct pre-token bytes -> frequency.
    token_bytes: id -> bytes, at least the 256 single bytes (ids 0..255); new tokens are appended
        to it in place.
    Returns the merges in order, as (left id, right id, merged id). A merge whose bytes already
    exist (e.g. "ab"+"c" after "a"+"bc") reuses that token's id and adds no new token, as in
    Hugging Face `tokenizers`: a byte string has exactly one id, which tiktoken's format needs.
    """
    ids_by_bytes = {b: i for i, b in enumerate(token_bytes)}
    words: list[list[int]] = []
    freqs: list[int] = []
    for w, f in sorted(word_counts.items()):  # sorted: word ids do not depend on input order
        words.append(list(w))
        freqs.append(f)

    pair_counts: dict[tuple[int, int], int] = defaultdict(int)
    where: dict[tuple[int, int], set[int]] = defaultdict(set)
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for p in zip(w, w[1:]):
            pair_counts[p] += f
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    bar = None
    if progress:
        from tqdm import tqdm  # plain text bars: no ipywidgets warning in notebooks

        bar = tqdm(total=n_new_tokens, desc="merging", unit="tok", leave=False)

    merges: list[tuple[int, int, int]] = []
    added = 0
    while added < n_new_tokens and heap:
        neg_count, pair = heapq.heappop(heap)
        count = pair_counts.get(pair, 0)
        if count != -neg_count:  # stale entry: counts only go down without a fresh push
            if count > 0:
                heapq.heappush(heap, (-count, pair))
            continue
        a, b = pair
        merged = token_bytes[a] + token_bytes[b]
        new_id = ids_by_bytes.get(merged)
        if new_id is None:
            new_id = len(token_bytes)
            token_bytes.append(merged)
            ids_by_bytes[merged] = new_id
            added += 1
            if bar is not None:
                bar.update()
        merges.append((a, b, new_id))

        # Merge in every word that contains the pair and collect the pair-count changes.
        # Only the neighbours of each merged position change: (prev, a) -> (prev, new) and
        # (b, next) -> (new, next). Working in place makes runs like "a b a b" come out right.
        deltas: dict[tuple[int, int], int] = defaultdict(int)
        for wi in where.pop(pair):
            w = words[wi]
            f = freqs[wi]
            i = 0
            while i < len(w) - 1:
                if w[i] == a and w[i + 1] == b:
                    if i > 0:
                        prev = w[i - 1]
                        deltas[prev, a] -= f
                        deltas[prev, new_id] += f
                        where[prev, new_id].add(wi)
                    if i + 2 < len(w):
                        nxt = w[i + 2]
                        deltas[b, nxt] -= f
                        deltas[new_id, nxt] += f
                        where[new_id, nxt].add(wi)
                    w[i : i + 2] = [new_id]
                i += 1
        # `where` may keep word ids whose pair has since gone: that word is merely scanned for
        # nothing later, cheaper than keeping the sets exact.
        pair_counts.pop(pair, None)
        for p, d in deltas.items():
            if p == pair or d == 0:
                continue
            c = pair_counts.get(p, 0) + d
            if c > 0:
                pair_counts[p] = c
                if d > 0:
                    heapq.heappush(heap, (-c, p))  # may duplicate an entry; stale ones are skipped
            else:
                pair_counts.pop(p, None)
                where.pop(p, None)
        if len(heap) > 4 * len(pair_counts) + 1024:
            # Too many stale entries: rebuild, so the heap stays proportional to live pairs.
            heap = [(-c, p) for p, c in pair_counts.items() if c > 0]
            heapq.heapify(heap)
    if bar is not None:
        bar.close()
    return merges
