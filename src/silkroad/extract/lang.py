"""Offline language identification for kk, ru and en.

Kazakh is told from Russian by the letters only Kazakh uses (ә ғ қ ң ө ұ ү һ і); Latin text is
English.  Short or ambiguous Cyrillic text goes to lingua, restricted to the three languages.
"""

from __future__ import annotations

import functools

LANGS = ("kk", "ru", "en")
KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@functools.cache
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH).build()


def detect(text: str, default: str = "en") -> str:
    """The language of ``text``: "kk", "ru" or "en" (``default`` when it has no letters)."""
    sample = text[:4000]
    cyr = lat = kk = 0
    for ch in sample:
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
            if ch in KK_LETTERS:
                kk += 1
        elif ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            lat += 1
    if cyr == 0 and lat == 0:
        return default
    if lat > cyr:
        return "en"
    if kk >= 2 or (kk and kk / cyr > 0.01):
        return "kk"
    if cyr >= 60:
        return "ru"
    try:
        from lingua import Language

        found = _lingua().detect_language_of(sample)
    except Exception:  # pragma: no cover - lingua missing or failing
        return "ru"
    return {Language.KAZAKH: "kk", Language.ENGLISH: "en"}.get(found, "ru")
