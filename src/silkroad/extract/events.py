"""Event types from trigger words (``data/lang/triggers.yaml``) and the candidate score."""

from __future__ import annotations

import dataclasses
import functools
import re

from .resources import load

GROUPS = {
    "visit": "contact", "meeting": "contact", "summit": "contact",
    "loan": "finance", "grant": "finance", "technical_cooperation": "finance",
    "investment": "finance", "aid_announcement": "finance", "disaster_relief": "finance",
}


def group(event_type: str) -> str:
    return GROUPS.get(event_type, event_type)


@dataclasses.dataclass
class Trigger:
    start: int
    end: int
    event_type: str
    strong: bool


@functools.cache
def _compiled(lang: str):
    data = load("triggers")
    priority = data["priority"]
    groups: dict[str, list[str]] = {}     # multi-word stems grouped by their first word (a faster regex)
    index: list[tuple[str, bool]] = []
    for etype in priority:
        for strength in ("strong", "weak"):
            for stem in data["types"].get(etype, {}).get(lang, {}).get(strength, []) or []:
                stem = stem.lower().strip()
                if not stem or " " not in stem:
                    continue
                name = f"t{len(index)}"
                index.append((etype, strength == "strong"))
                first, *rest = stem.split()
                # "*" stands for up to six words in between ("embassy * was opened")
                body = r"\s+".join(r"(?:[^\s.!?;]+\s+){0,5}?[^\s.!?;]+" if w == "*" else re.escape(w) + r"[\w'’]*"
                                   for w in rest)
                groups.setdefault(first, []).append(f"(?P<{name}>{body})")
    parts = [re.escape(first) + r"[\w'’]*\s+(?:" + "|".join(alts) + ")" for first, alts in groups.items()]
    regex = re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")", re.I)
    roles = data.get("roles", {}).get(lang, [])
    _ROLES[lang] = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(r) for r in roles) + r")", re.I) if roles else None
    generic = data.get("generic", {}).get(lang, [])
    generic_re = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(g) for g in generic) + r")", re.I) if generic else None
    return regex, index, {t: i for i, t in enumerate(priority)}, generic_re


_ROLES: dict = {}


def names_office(text: str, lang: str) -> bool:
    _compiled(lang)
    r = _ROLES.get(lang)
    return bool(r and r.search(text))


@functools.cache
def _automaton(lang: str):
    import ahocorasick

    data = load("triggers")
    auto = ahocorasick.Automaton()
    for etype in data["priority"]:
        for strength in ("strong", "weak"):
            for stem in data["types"].get(etype, {}).get(lang, {}).get(strength, []) or []:
                stem = " ".join(str(stem).lower().split())
                if " " in stem:
                    continue                      # multi-word stems: the regex of _compiled
                if stem and not auto.exists(stem):
                    auto.add_word(stem, (len(stem), etype, strength == "strong"))
    auto.make_automaton()
    return auto


_SPACES = re.compile(r"\s+")
_PREV_WORD = re.compile(r"([\w]+)[\s«\"“]*$")


@functools.cache
def _filters(lang: str) -> tuple[tuple[str, ...], frozenset[str]]:
    data = load("triggers")
    exclude = tuple(str(x).lower() for x in (data.get("exclude", {}) or {}).get(lang, []) or [])
    anaphora = frozenset(str(x).lower() for x in (data.get("anaphora", {}) or {}).get(lang, []) or [])
    return exclude, anaphora


@functools.cache
def _labels() -> tuple[str, ...]:
    data = load("triggers")
    return tuple(str(x).lower() for ws in (data.get("labels", {}) or {}).values() for x in ws)


def is_label(paragraph: str) -> bool:
    """A paragraph of apparatus: "Source: ...", "Қаржыландыру: ...", "Keywords: ..."."""
    return paragraph.lstrip(" *_#>").lower().startswith(_labels())


def triggers(text: str, lang: str) -> list[Trigger]:
    """Trigger words in ``text``: stems matched at the start of a word (Aho-Corasick).

    A match is dropped when the word begins with an excluded form ("договоренность" for the
    stem "договор") or follows a demonstrative ("this visit", "осы сапар"): a back-reference.
    """
    low = text.lower()
    out = []
    regex, index, _, _ = _compiled(lang)
    for m in regex.finditer(low):
        etype, strong = index[int(m.lastgroup[1:])]
        out.append(Trigger(m.start(), m.end(), etype, strong))
    for end, (length, etype, strong) in _automaton(lang).iter(low):
        start = end - length + 1
        if start > 0 and low[start - 1].isalnum():
            continue
        stop = end + 1
        while stop < len(low) and (low[stop].isalnum() or low[stop] in "'’"):
            stop += 1
        out.append(Trigger(start, stop, etype, strong))
    if not out:
        return out
    exclude, anaphora = _filters(lang)
    anniversary = _anniversary_re(lang)
    kept = []
    for t in out:
        if exclude and low.startswith(exclude, t.start):
            continue
        if t.event_type == "other" and anniversary and (
                anniversary.search(low, max(0, t.start - 40), t.start) or anniversary.search(low, t.end, t.end + 40)):
            continue                  # "the 25th anniversary of the establishment of relations": no new event
        if anaphora and t.start > 0:
            prev = _PREV_WORD.search(low, max(0, t.start - 25), t.start)
            if prev and prev.group(1) in anaphora:
                continue
        kept.append(t)
    if len(kept) > 1:
        # a word inside a longer trigger belongs to it: "елшілігі ашылды" is an embassy opening
        # (other), not the "ашылды" of a programme launch
        kept = [t for t in kept if not any(o is not t and o.start <= t.start and t.end <= o.end
                                           and (o.end - o.start) > (t.end - t.start) for o in kept)]
    return kept


def choose(found: list[Trigger], lang: str, has_amount: bool = False) -> Trigger | None:
    """The trigger that names the sentence's event.

    With an amount in the sentence a finance type wins; without one, the general finance
    types (investment, aid announcement, technical cooperation) yield to visits, meetings
    and agreements.  Then strong before weak, then the priority order of triggers.yaml.
    """
    if not found:
        return None
    _, _, prio, _ = _compiled(lang)
    need_amount = set(load("triggers").get("need_amount", []))

    def key(t):
        finance = GROUPS.get(t.event_type) == "finance"
        demoted = (t.event_type in need_amount and not has_amount)
        return (not (finance and has_amount), not t.strong, demoted, prio.get(t.event_type, 99), t.start)
    return min(found, key=key)


@functools.cache
def _frame_re(lang: str):
    words = (load("triggers").get("frame", {}) or {}).get(lang, []) or []
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.I) if words else None


def is_framed(text: str, lang: str) -> bool:
    """Whether the sentence sits inside an event: "During the meeting", "в ходе визита", "сапар барысында"."""
    r = _frame_re(lang)
    return bool(r and r.search(text))


def needs_amount(event_type: str) -> bool:
    """Investment, aid announcement, technical cooperation: general words without an amount."""
    return event_type in set(load("triggers").get("need_amount", []))


_SPEECH = re.compile(r"^[\s\-–—]*[«\"“„]")


def is_speech(text: str) -> bool:
    """Direct speech: a sentence that opens with a quotation mark ('"Today we discussed ...,"
    said the President'; "«Рассчитываю, что ...»"): the speaker's view, not a report."""
    m = _SPEECH.match(text)
    if not m:
        return False
    close = re.search(r"[»\"”“]", text[m.end():])
    # a quoted name opens some sentences too («Жібек жолы дипломатиясын» ...): speech runs on
    return close is None or close.start() > 50


def is_generic(text: str, lang: str) -> bool:
    generic_re = _compiled(lang)[3]
    return bool(generic_re and generic_re.search(text))


def score(*, strong: bool, has_date: bool, has_amount: bool, has_person: bool,
          n_countries: int, generic: bool, table_row: bool = False,
          inherited_date: bool = False) -> float:
    """A confidence in 0..1 from the evidence a sentence gives for an event."""
    s = 0.35 if strong else 0.2
    if has_date:
        s += 0.25
    if inherited_date:
        s += 0.15
    if has_amount:
        s += 0.2
    if has_person:
        s += 0.15
    if n_countries >= 2:
        s += 0.1
    if table_row:
        s += 0.1
    if generic:
        s -= 0.25
    return round(max(0.0, min(1.0, s)), 2)


# --- continuation, phases, pledge/commitment ------------------------------------------

@functools.cache
def _continuation_re(lang: str):
    words = (load("triggers").get("continuation", {}) or {}).get(lang, []) or []
    words = sorted((str(w).lower() for w in words), key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"^[\s«\"“(\-–—]*(?:" + "|".join(re.escape(w) + (r"" if not w[-1].isalnum() else r"(?![\w])")
                                                       for w in words) + r")", re.I)


def continues(sentence: str, lang: str) -> bool:
    """Whether a sentence opens as the continuation of the event before it: "Under this
    project ...", "Для этого ...", "Осы жоба аясында ..." (``continuation`` in triggers.yaml)."""
    r = _continuation_re(lang)
    return bool(r and r.match(sentence))


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}


@functools.cache
def _phase_res():
    data = load("triggers").get("phases", {}) or {}
    words = "|".join(re.escape(str(w).lower()) for w in data.get("words", []))
    ords = data.get("ordinals", {}) or {}
    ord_alt = "|".join(re.escape(str(k).lower()) for k in sorted(ords, key=len, reverse=True))
    before = re.compile(r"(?<![\w])(?P<ord>" + ord_alt + r")[\w-]*\s+(?:" + words + r")", re.I) if ord_alt and words else None
    after = re.compile(r"(?<![\w])(?:" + words + r")[\w]*\s*[(№#-]?\s*(?P<num>[IVX]{1,4}|\d{1,2})(?![\w])", re.I) if words else None
    return before, after, {str(k).lower(): int(v) for k, v in ords.items()}


def phase(sentence: str) -> int | None:
    """The phase or stage a sentence names: "Phase II" -> 2, "на первом этапе" -> 1,
    "екінші кезеңі" -> 2; None when it names none."""
    before, after, ords = _phase_res()
    if after:
        m = after.search(sentence)
        if m:
            num = m.group("num")
            if num.isdigit():
                return int(num)
            if num.lower() in _ROMAN:
                return _ROMAN[num.lower()]
    if before:
        m = before.search(sentence)
        if m:
            return ords.get(m.group("ord").lower())
    return None


@functools.cache
def _stage_res(lang: str):
    data = load("triggers").get("stage", {}) or {}
    out = {}
    for kind in ("pledge", "commitment"):
        words = (data.get(kind, {}) or {}).get(lang, []) or []
        alt = "|".join(re.escape(str(w).lower()) for w in sorted(words, key=len, reverse=True))
        out[kind] = re.compile(r"(?<![\w])(?:" + alt + r")", re.I) if alt else None
    return out


def stage(sentence: str, lang: str) -> str | None:
    """"pledge" (will provide, выделит, береді) or "commitment" (signed, выделило, қол қойды):
    the cue nearest the sentence's start wins; None without either."""
    res = _stage_res(lang)
    best = None
    for kind, r in res.items():
        m = r.search(sentence) if r else None
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), kind)
    return best[1] if best else None


def _cue_re(words) -> "re.Pattern | None":
    """Phrases matched at a word start; "*" inside one stands for up to four words."""
    parts = []
    for w in words or []:
        w = " ".join(str(w).lower().split())
        if not w:
            continue
        parts.append(r"\s+".join(r"(?:\S+\s+){0,3}?\S+" if x == "*" else re.escape(x) for x in w.split()))
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")", re.I) if parts else None


@functools.cache
def _anniversary_re(lang: str):
    return _cue_re((load("triggers").get("anniversary", {}) or {}).get(lang, []))


@functools.cache
def _aggregate_re(lang: str):
    return _cue_re((load("triggers").get("aggregate", {}) or {}).get(lang, []))


def is_aggregate(sentence: str, lang: str) -> bool:
    """A total over a period ("During 2016 Japanese fiscal year ... grant projects worth 5.6
    billion yen", "за это время реализовано 85 проектов"): no single event."""
    r = _aggregate_re(lang)
    return bool(r and r.search(sentence))


@functools.cache
def _signing_re(lang: str):
    data = (load("triggers").get("signing_date", {}) or {})
    return _cue_re(data.get("before", {}).get(lang, [])), _cue_re(data.get("after", {}).get(lang, []))


def signing_dates(sentence: str, lang: str, mentions: list) -> set[int]:
    """ids of the date mentions that date a signing: right after "signed (on)", "подписанных",
    or right before "жасалған", "қол қойылған"."""
    before, after = _signing_re(lang)
    out: set[int] = set()
    if not (before or after):
        return out
    for d in mentions:
        if before and any(d.start - m.end() <= 12 for m in before.finditer(sentence, max(0, d.start - 40), d.start)):
            out.add(id(d))
        if after:
            m = after.search(sentence, d.end, d.end + 30)
            if m and len(sentence[d.end:m.start()].split()) <= 3:
                out.add(id(d))
    return out


@functools.cache
def _sector_cues(lang: str) -> tuple[tuple[str, re.Pattern], ...]:
    """Per sector, one pattern of its cues (word starts) in ``lang`` (data/lang/sectors.yaml)."""
    out = []
    for name, by_lang in load("sectors").items():
        cues = by_lang.get(lang) or by_lang.get("en") or []
        if cues:
            out.append((name, re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in cues) + ")", re.I)))
    return tuple(out)


def sector(sentence: str, lang: str) -> str | None:
    """The sector the sentence names most often, or None when it names none."""
    best, hits = None, 0
    for name, pattern in _sector_cues(lang if lang in ("en", "ru", "kk") else "en"):
        n = len(pattern.findall(sentence))
        if n > hits:
            best, hits = name, n
    return best
