"""Do an output's words contain the source's words, in order? Shared by every read-back check."""
from __future__ import annotations

import re

from rapidfuzz.distance import LCSseq

from .document import Document
from . import reading

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits); punctuation, symbols and spacing are ignored."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def in_order_recall(expected: list[str], actual: list[str]) -> float:
    """Share of the expected words found in the actual words in the same order (1.0 = all).

    It is the longest common subsequence over the expected length: extra words in the output
    (titles, contents lists, labels such as "Image:") cost nothing; missing, garbled or
    reordered source words do. rapidfuzz computes the LCS exactly with a bit-parallel algorithm
    (about half a second for two 100,000-word texts here); difflib's matcher is not an LCS and
    went quadratic on long, repetitive reports, and greedy alignments were fooled by repeats.
    """
    if not expected:
        return 1.0
    return LCSseq.similarity(expected, actual) / len(expected)


def source_words(doc: Document) -> list[str]:
    """The words a reader of any format must meet, in reading order (see reading.plain_text)."""
    return words(reading.plain_text(doc))
