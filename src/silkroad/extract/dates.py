"""Dates in kk, ru and en text, with their precision.

``find(sentence, lang)`` returns the date mentions of one sentence; a mention either carries
a full value (``2006-08``) or needs a year from context (``12 сәуірде``, ``On May 1``) or is
relative (``сол жылдың қаңтарында``, ``the following year``).  ``resolve`` fills those in
from an anchor: the previous explicit date of the text, else the document date.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import re

from .resources import load


@dataclasses.dataclass
class DateMention:
    start: int
    end: int
    year: int | None = None
    month: int | None = None
    day: int | None = None
    shift: int | None = None          # relative: years from the anchor
    today: bool = False               # "today": the document date
    fiscal: bool = False

    @property
    def explicit(self) -> bool:
        return self.year is not None and self.shift is None and not self.today

    def value(self) -> str | None:
        if self.year is None:
            return None
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def precision(value: str | None) -> str | None:
    return None if value is None else {4: "year", 7: "month", 10: "day"}[len(value)]


_YEAR = re.compile(r"(?<![\d.,/\-])(?:FY\s?)?(19[5-9]\d|20[0-4]\d)(?![\d])(?![.,]\d)", re.I)
_NUMERIC = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d])")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DAY_BEFORE = re.compile(r"(?<![\d.,])(\d{1,2})(?:\s*[-–]\s*\d{1,2})?(?:-?(?:st|nd|rd|th|го|е|ші|шы|сы|сі))?\s*$")
_DAY_AFTER = re.compile(r"^\s*(\d{1,2})(?:st|nd|rd|th)?(?![\d.,]\d)(?!\s*(?:million|billion|млн|млрд))")
_SINCE_BEFORE = re.compile(r"(?:\bsince|(?<![\w])с|(?<![\w])со|(?<![\w])from)\s+$", re.I)
_SINCE_AFTER = re.compile(r"\s*(?:жылдан\s+бері|жылдан\s+бастап|\s*года?\s+по\s+настоящее|-?ж\.?\s*бері)", re.I)
_FISCAL = re.compile(r"fiscal|финансов|қаржы жыл|FY", re.I)


@functools.cache
def _patterns():
    data = load("dates")
    months = {}
    for lang, table in data["months"].items():
        for stem, num in table.items():
            months[stem.lower()] = num
    abbrevs = {}
    for lang, table in (data.get("month_abbreviations") or {}).items():
        for word, num in table.items():
            abbrevs[str(word).lower()] = num
    stems = sorted((s for s in months if s != "ма"), key=len, reverse=True)
    # English month names are whole words ("May", not "Mayor"); Cyrillic stems take endings
    latin = [s for s in stems if s.isascii()]
    inflected = [s for s in stems if not s.isascii()]
    month_re = re.compile(r"(?<![\w])(?:(?P<abbr>" + "|".join(map(re.escape, sorted(abbrevs, key=len, reverse=True)))
                          + r")(?![\w])\.?|(?:" + "|".join(map(re.escape, latin)) + r")(?:['’]s)?(?![\w])|(?:"
                          + "|".join(map(re.escape, inflected)) + r"|"
                          + "|".join(data["ru_may_forms"]) + r")[\w]*)", re.I)
    rel = []
    for lang, table in data["relative"].items():
        for phrase, shift in table.items():
            rel.append((phrase, shift))
    rel.sort(key=lambda p: len(p[0]), reverse=True)
    rel_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p, _ in rel) + r")(?![\w])", re.I)
    rel_shift = {p.lower(): s for p, s in rel}
    today = [w for ws in data["today"].values() for w in ws]
    today_re = re.compile(r"(?<![\w])(" + "|".join(today) + r")(?![\w])", re.I)
    _ABBREVS.update(abbrevs)
    return months, month_re, rel_re, rel_shift, today_re


_ABBREVS: dict[str, int] = {}


@functools.lru_cache(maxsize=4096)
def _month_of(word: str, months: dict | None = None) -> int | None:
    months = months if months is not None else _patterns()[0]
    low = word.lower().rstrip(".")
    if low in _ABBREVS:
        return _ABBREVS[low]
    if low in ("май", "мая", "мае", "маю", "маем"):
        return 5
    best = None
    for stem, num in months.items():
        if stem != "ма" and low.startswith(stem) and (best is None or len(stem) > best[0]):
            best = (len(stem), num)
    return best[1] if best else None


def _valid(y, m, d) -> bool:
    if not (1 <= m <= 12):
        return False
    return d is None or 1 <= d <= calendar.monthrange(y or 2000, m)[1]


_DIGIT = re.compile(r"\d")


def find(text: str, lang: str = "en", explicit_only: bool = False) -> list[DateMention]:
    """Date mentions of ``text``; ``explicit_only`` may skip those without a year (faster)."""
    has_digit = _DIGIT.search(text) is not None
    if explicit_only and not has_digit:
        return []                     # every explicit date has digits
    months, month_re, rel_re, rel_shift, today_re = _patterns()
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in (_ISO.finditer(text) if has_digit else ()):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1950 <= y <= 2049 and _valid(y, mo, d):
            found.append(DateMention(m.start(), m.end(), y, mo, d))
            taken.append(m.span())
    for m in (_NUMERIC.finditer(text) if has_digit else ()):
        if not free(*m.span()):
            continue
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        y = int(y) if len(y) == 4 else 2000 + int(y)
        if 1950 <= y <= 2049 and _valid(y, mo, d):
            found.append(DateMention(m.start(), m.end(), y, mo, d))
            taken.append(m.span())
    years = [(m.start(), m.end(), int(m.group(1))) for m in _YEAR.finditer(text) if free(*m.span())] if has_digit else []
    used_years: set[int] = set()
    for m in month_re.finditer(text):
        word = m.group(0)
        if lang == "en" or word[:1].isascii():
            if not word[:1].isupper():
                continue                      # "may" the verb, "march" the noun
        if not free(*m.span()):
            continue
        abbreviated = m.group("abbr") is not None
        month = _month_of(word)
        if month is None:
            continue
        start, end = m.span()
        day = None
        before = _DAY_BEFORE.search(text, max(0, start - 12), start)
        if before:
            day = int(before.group(1))
            start = before.start()
        else:
            after = _DAY_AFTER.match(text[end:end + 8])
            if after and (lang == "en" or word[:1].isascii()):
                day = int(after.group(1))
                end = end + after.end()
        if day is not None and not _valid(None, month, day):
            day = None
        # the nearest year within 25 characters on either side
        year = None
        best = None
        for i, (ys, ye, y) in enumerate(years):
            gap = ys - end if ys >= end else start - ye
            if 0 <= gap <= 25 and (best is None or gap < best):
                best, year = gap, (i, y)
        if abbreviated and day is None and year is None:
            continue                          # "сен", "Mar" alone: not a date
        mention = DateMention(start, end, None, month, day)
        if year is not None:
            i, y = year
            used_years.add(i)
            mention.year = y
            mention.start, mention.end = min(start, years[i][0]), max(end, years[i][1])
        found.append(mention)
        taken.append((mention.start, mention.end))
    for m in rel_re.finditer(text):
        shift = rel_shift.get(re.sub(r"\s+", " ", m.group(1).lower()))
        if shift is None:
            continue
        # a relative phrase followed by a month: "сол жылдың қаңтарында"
        target = None
        for dm in found:
            if dm.year is None and dm.month is not None and 0 <= dm.start - m.end() <= 12:
                target = dm
        if target:
            target.shift = shift
            target.start = m.start()
            continue
        if free(*m.span()):
            found.append(DateMention(m.start(), m.end(), None, None, None, shift=shift))
    for i, (ys, ye, y) in enumerate(years):
        if i in used_years or not free(ys, ye):
            continue
        if _SINCE_BEFORE.search(text, max(0, ys - 12), ys) or _SINCE_AFTER.match(text, ye):
            continue                      # "since 2004", "с 2004 года", "2004 жылдан бері": a period
        fiscal = bool(_FISCAL.search(text[max(0, ys - 15):ye + 25]))
        found.append(DateMention(ys, ye, y, fiscal=fiscal))
    for m in today_re.finditer(text):
        if free(*m.span()):
            found.append(DateMention(m.start(), m.end(), today=True))
    found.sort(key=lambda d: d.start)
    return found


def resolve(mention: DateMention, anchor: str | None, doc_date: str | None) -> str | None:
    """The value of ``mention`` once its missing year (or relative shift) is filled in."""
    if mention.today:
        return doc_date
    base = anchor or doc_date
    if mention.shift is not None:
        if mention.year is None and base is None:
            return None
        year = (mention.year or int(base[:4])) + mention.shift
        return DateMention(0, 0, year, mention.month, mention.day).value()
    if mention.year is None:
        ref = doc_date or anchor
        if ref is None:
            return None
        year = int(ref[:4])
        if ref is doc_date and mention.month and len(ref) >= 7 and mention.month - int(ref[5:7]) > 6:
            year -= 1                 # "on November 25" in a February text: last November
        return DateMention(0, 0, year, mention.month, mention.day).value()
    return mention.value()


@functools.cache
def _same_time() -> tuple[str, ...]:
    data = load("dates")
    return tuple(str(w).lower() for ws in (data.get("same_time") or {}).values() for w in ws)


def opens_with_same_time(sentence: str) -> bool:
    """Whether the sentence opens with "At the same time", "В тот же день", "Сол күні"."""
    return sentence[:40].lstrip(" \"«“—–-").lower().startswith(_same_time())


# --- the date of a document -----------------------------------------------------------

_TIME = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b")
_LATIN = re.compile(r"[A-Za-z]")
_LETTERS = re.compile(r"[^\W\d_]+")
HEADER_LINES = 12          # non-empty lines at the top of a document that may carry its date
TRAILER_LINES = 3          # and at the bottom ("Источник: NHK World, 19.05.2019")


def _line_date(line: str) -> str | None:
    """The date of a dateline, header or source line, or None for a line of running text.

    A line qualifies when it is short and, apart from a full date (year and month at least),
    a clock time and punctuation, holds a few words at most: "07 мар 2018, 13:33",
    "Бишкек, 14.08.20 /Кабар/", "29 Қараша, 2010", "Источник: NHK World, 19.05.2019",
    "ASTANA, March 17, 2025 –" at the start of a paragraph.
    """
    line = line.strip()
    if not line or len(line) > 400 or not any(ch.isdigit() for ch in line):
        return None
    lang = "en" if len(_LATIN.findall(line[:200])) > len(line[:200]) / 3 else "ru"
    found = [d for d in find(line[:160], lang) if d.explicit]
    if len(found) != 1:
        return None                     # "Received: 13.08.2025; Accepted: 25.02.2026": not one date
    for d in found:
        if not d.month:
            continue
        rest = _TIME.sub(" ", line[:d.start] + " " + line[d.end:])
        words_before = _LETTERS.findall(line[:d.start])
        if len(line) <= 90 and len(_LETTERS.findall(rest)) <= 5:
            return d.value()
        # a dateline: "ASTANA, March 17, 2025 – Kazakh ...", "Бишкек, 14.08.20 /Кабар/. Правительство ..."
        after = line[d.end:d.end + 25]
        if len(words_before) <= 2 and d.start <= 30 and re.match(r"\s*(?:\([^)]{1,30}\)|/[^/]{1,30}/)?\s*[.,:—–-]", after):
            return d.value()
    return None


def document_date(text: str, whole: bool = True) -> str | None:
    """The publication date a document states in its header (or, for a whole short text, its
    last lines): a dateline or a line that is just a date.  None when it states none."""
    lines = [ln for ln in text[:4000].splitlines() if ln.strip()][:HEADER_LINES]
    for ln in lines:
        value = _line_date(ln)
        if value:
            return value
    if whole:
        tail = [ln for ln in text[-2000:].splitlines() if ln.strip()][-TRAILER_LINES:]
        for ln in reversed(tail):
            value = _line_date(ln)
            if value and len(ln.strip()) <= 90:
                return value
    return None
