"""Do an output's words contain the source's words, in order? Shared by every read-back check."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from .document import Document
from . import reading

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words (letters and digits); punctuation, symbols and spacing are ignored."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def in_order_recall(expected: list[str], actual: list[str]) -> float:
    """Share of the expected words found in the actual words in the same order (1.0 = all).

    Extra words in the output (titles, labels such as "Image:") cost nothing; missing or
    reordered source words do. SequenceMatcher without autojunk works on long texts too.
    """
    if not expected:
        return 1.0
    matcher = SequenceMatcher(None, expected, actual, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(expected)


def source_words(doc: Document) -> list[str]:
    """The words a reader of any format must meet, in reading order (see reading.plain_text)."""
    return words(reading.plain_text(doc))
