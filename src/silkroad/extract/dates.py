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
    stems = sorted((s for s in months if s != "ма"), key=len, reverse=True)
    month_re = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, stems)) + r"|"
                          + "|".join(data["ru_may_forms"]) + r")[\w]*", re.I)
    rel = []
    for lang, table in data["relative"].items():
        for phrase, shift in table.items():
            rel.append((phrase, shift))
    rel.sort(key=lambda p: len(p[0]), reverse=True)
    rel_re = re.compile(r"(?<![\w])(" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p, _ in rel) + r")(?![\w])", re.I)
    rel_shift = {p.lower(): s for p, s in rel}
    today = [w for ws in data["today"].values() for w in ws]
    today_re = re.compile(r"(?<![\w])(" + "|".join(today) + r")(?![\w])", re.I)
    return months, month_re, rel_re, rel_shift, today_re


def _month_of(word: str, months: dict) -> int | None:
    low = word.lower()
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


def find(text: str, lang: str = "en") -> list[DateMention]:
    months, month_re, rel_re, rel_shift, today_re = _patterns()
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def free(s, e):
        return all(e <= a or s >= b for a, b in taken)

    for m in _ISO.finditer(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1950 <= y <= 2049 and _valid(y, mo, d):
            found.append(DateMention(m.start(), m.end(), y, mo, d))
            taken.append(m.span())
    for m in _NUMERIC.finditer(text):
        if not free(*m.span()):
            continue
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        y = int(y) if len(y) == 4 else 2000 + int(y)
        if 1950 <= y <= 2049 and _valid(y, mo, d):
            found.append(DateMention(m.start(), m.end(), y, mo, d))
            taken.append(m.span())
    years = [(m.start(), m.end(), int(m.group(1))) for m in _YEAR.finditer(text) if free(*m.span())]
    used_years: set[int] = set()
    for m in month_re.finditer(text):
        word = m.group(0)
        if lang == "en" or word[:1].isascii():
            if not word[:1].isupper():
                continue                      # "may" the verb, "march" the noun
            if len(m.group(1)) <= 3 and m.group(1).lower() not in ("may",) and not word[:1].isupper():
                continue
        if not free(*m.span()):
            continue
        month = _month_of(word, months)
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
            if after and lang == "en":
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
        return DateMention(0, 0, int(ref[:4]), mention.month, mention.day).value()
    return mention.value()
