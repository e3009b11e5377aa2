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


_CYR = re.compile(r"[\u0400-\u04ff]")
_KK = re.compile("[" + "".join(sorted(KK_LETTERS)) + "]")
_LAT = re.compile(r"[A-Za-z]")


def detect(text: str, default: str | None = None) -> str:
    """The language of ``text``: "kk", "ru" or "en".

    ``default`` (the language of the surrounding block) is returned for text too short to
    tell; without it lingua decides.
    """
    sample = text[:4000]
    cyr = len(_CYR.findall(sample))
    lat = len(_LAT.findall(sample))
    if cyr == 0 and lat == 0:
        return default or "en"
    if lat > cyr:
        return "en"
    kk = len(_KK.findall(sample))
    if kk >= 2 or (kk and kk / cyr > 0.01):
        return "kk"
    if cyr >= 60:
        return "ru"
    if default:
        return default
    try:
        from lingua import Language

        found = _lingua().detect_language_of(sample)
    except Exception:  # pragma: no cover - lingua missing or failing
        return "ru"
    return {Language.KAZAKH: "kk", Language.ENGLISH: "en"}.get(found, "ru")
