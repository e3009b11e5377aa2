"""Offline language identification for kk, ru and en.

Kazakh is told from Russian by the letters only Kazakh uses (ә ғ қ ң ө ұ ү һ і); Latin text is
English.  Short or ambiguous Cyrillic text goes to lingua, restricted to the three languages.
"""

from __future__ import annotations

import functools
import re

LANGS = ("kk", "ru", "en")
KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@functools.cache
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH).build()


_KK = re.compile("[" + "".join(sorted(KK_LETTERS)) + "]")
_LAT = re.compile(r"[A-Za-z]")
_NOT_LATIN = bytes(b for b in range(128) if not (65 <= b <= 90 or 97 <= b <= 122))


def detect(text: str, default=None) -> str:
    """The language of ``text``: "kk", "ru" or "en".

    ``default`` (the language of the surrounding block, or a function that detects it) is
    returned for text too short to tell; without it lingua decides.
    """
    sample = text[:4000] if default is None else text[:400]     # a paragraph: its beginning tells
    cyr = len(sample.encode("utf-8")) - len(sample)     # ~ letters outside ASCII: Cyrillic here
    lat = len(sample.encode("ascii", "ignore").translate(None, _NOT_LATIN))
    if cyr == 0 and lat == 0:
        return (default() if callable(default) else default) or "en"
    if lat > cyr:
        return "en"
    kk = len(_KK.findall(sample))
    if kk >= 2 or (kk and kk / cyr > 0.01):
        return "kk"
    if cyr >= 60:
        return "ru"
    if callable(default):
        default = default()           # the block's language, computed only when needed
    if default:
        return default
    try:
        from lingua import Language

        found = _lingua().detect_language_of(sample)
    except Exception:  # pragma: no cover - lingua missing or failing
        return "ru"
    return {Language.KAZAKH: "kk", Language.ENGLISH: "en"}.get(found, "ru")
