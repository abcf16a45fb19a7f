"""Do an output's words contain the source's words, in order? Shared by every read-back check."""

from __future__ import annotations

import bisect
import re

from rapidfuzz.distance import LCSseq

from . import reading
from .document import Document

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits); punctuation, symbols and spacing are ignored."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def in_order_recall(expected: list[str], actual: list[str]) -> float:
    """Share of the expected words found in the actual words in the same order (1.0 = all).

    It is the longest common subsequence over the expected length: extra words in the output
    (titles, contents lists, labels such as "Image:") cost nothing; missing, garbled or
    reordered source words do. See common_in_order for how it stays linear on long texts.
    """
    if not expected:
        return 1.0
    return common_in_order(expected, actual) / len(expected)


# Up to this many word pairs (len(expected) * len(actual)) the LCS is computed exactly in one go:
# rapidfuzz's bit-parallel LCS takes about 0.03 s here for 10,000 x 12,000 words. Beyond it, the
# exact LCS grows with the square of the text (2.8 s at 100,000 words, about 45 s at 400,000).
EXACT_PAIRS = 400_000_000


def common_in_order(expected: list[str], actual: list[str]) -> int:
    """The length of an in-order alignment of the two word lists: the exact LCS for texts up to
    EXACT_PAIRS, and for longer ones an anchored LCS that is linear in practice.

    Anchored (the patience-diff idea): words that occur exactly once in both lists are matched
    where their order agrees (the longest increasing run of their positions), which cuts both
    lists into aligned sections between anchors; each section is aligned the same way in turn,
    and exactly once it is small. An output that keeps the source's order shares thousands of
    such anchors with it (headings, names, numbers), so every section is short. The result can
    only undercount (an anchor is a real match), so a check never passes on a false alignment.
    """
    total = 0
    stack = [(0, len(expected), 0, len(actual))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        # Equal ends are always part of some LCS: trim them first (cheap, and common).
        while a0 < a1 and b0 < b1 and expected[a0] == actual[b0]:
            a0, b0, total = a0 + 1, b0 + 1, total + 1
        while a0 < a1 and b0 < b1 and expected[a1 - 1] == actual[b1 - 1]:
            a1, b1, total = a1 - 1, b1 - 1, total + 1
        if a0 == a1 or b0 == b1:
            continue
        if (a1 - a0) * (b1 - b0) <= EXACT_PAIRS:
            total += int(LCSseq.similarity(expected[a0:a1], actual[b0:b1]))
            continue
        anchors = _anchors(expected, a0, a1, actual, b0, b1)
        if not anchors:
            total += _banded(expected[a0:a1], actual[b0:b1])
            continue
        total += len(anchors)
        previous_a, previous_b = a0, b0
        for position_a, position_b in anchors:
            stack.append((previous_a, position_a, previous_b, position_b))
            previous_a, previous_b = position_a + 1, position_b + 1
        stack.append((previous_a, a1, previous_b, b1))
    return total


def _anchors(
    expected: list[str], a0: int, a1: int, actual: list[str], b0: int, b1: int
) -> list[tuple[int, int]]:
    """(i, j) for words unique in both sections, in the longest run increasing in both."""
    seen_a: dict[str, int] = {}
    for index in range(a0, a1):
        word = expected[index]
        seen_a[word] = -1 if word in seen_a else index
    seen_b: dict[str, int] = {}
    for index in range(b0, b1):
        word = actual[index]
        if seen_a.get(word, -1) >= 0:
            seen_b[word] = -1 if word in seen_b else index
    pairs = sorted((seen_a[word], j) for word, j in seen_b.items() if j >= 0)
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of pairs (sorted by first) whose seconds increase: O(n log n)."""
    tails: list[int] = []  # tails[k]: second of the smallest tail of a run of k+1
    tail_index: list[int] = []
    parents = [-1] * len(pairs)
    for index, (_, second) in enumerate(pairs):
        place = bisect.bisect_left(tails, second)
        if place == len(tails):
            tails.append(second)
            tail_index.append(index)
        else:
            tails[place] = second
            tail_index[place] = index
        parents[index] = tail_index[place - 1] if place else -1
    run: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        run.append(pairs[index])
        index = parents[index]
    return run[::-1]


def _banded(expected: list[str], actual: list[str]) -> int:
    """A long stretch with no shared unique word (a very repetitive text, or an output that
    lost its order): aligned piece by piece, each piece exactly against the part of the output
    where it should fall. A lower bound, and linear: such outputs fail their check anyway."""
    piece = max(1, EXACT_PAIRS // max(len(actual), 1) // 4, 2000)
    ratio = len(actual) / len(expected)
    total = 0
    for start in range(0, len(expected), piece):
        lo = int(start * ratio)
        hi = min(len(actual), int((start + piece) * ratio) + piece)
        total += int(LCSseq.similarity(expected[start : start + piece], actual[lo:hi]))
    return min(total, len(expected), len(actual))


def source_words(doc: Document) -> list[str]:
    """The words a reader of any format must meet, in reading order (see reading.plain_text)."""
    return words(reading.plain_text(doc))
