"""Sentence splitting that keeps character offsets and knows Cyrillic abbreviations.

Every line break ends a sentence (titles, table rows and paragraphs are units of their
own); inside a line a sentence ends at . ! ? … followed by space and a capital letter,
digit, quote or dash, unless the word before the stop is an abbreviation ("г.", "млрд.",
"т.ғ.к.") or an initial ("Ш.А. Шадаева", "A.P. Losyukov").
"""

from __future__ import annotations

import functools
import re

from .resources import load

_END = re.compile(r"[.!?…]+[\"»”’')\]]*(?=\s+[\"«“'(\[—–-]?\s*[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])")
_LINE = re.compile(r"[^\n]+")
_WORD_BEFORE = re.compile(r"([\w.\-]+)$")


@functools.cache
def _abbreviations() -> frozenset[str]:
    data = load("abbreviations")
    return frozenset(str(a).lower() for lang in data.values() for a in lang if not isinstance(a, bool))


def _is_abbreviation(text: str, stop: int) -> bool:
    """Whether the full stop at ``stop`` closes an abbreviation or an initial."""
    if text[stop] != ".":
        return False
    m = _WORD_BEFORE.search(text, max(0, stop - 30), stop)
    if not m:
        return False
    word = m.group(1)
    if word.lower().strip(".") in _abbreviations():
        return True
    last = word.rsplit(".", 1)[-1]
    if len(last) == 1 and last.isalpha() and last.isupper():
        return True                     # an initial: "Ш.А.", "A."
    if "." in word and all(len(p) <= 3 for p in word.split(".") if p):
        return True                     # dotted letters: "т.ғ.к", "и.о"
    return False


def split(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text``, shifted by ``offset``; blanks trimmed."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        ls, le = line.span()
        start = ls
        for m in _END.finditer(text, ls, le):
            if _is_abbreviation(text, m.start()):
                continue
            spans.append((start, m.end()))
            start = m.end()
        spans.append((start, le))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s + offset, e + offset))
    return out
