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
    parts = []
    index: list[tuple[str, bool]] = []
    for etype in priority:
        for strength in ("strong", "weak"):
            for stem in data["types"].get(etype, {}).get(lang, {}).get(strength, []) or []:
                stem = stem.lower().strip()
                if not stem or " " not in stem:
                    continue
                name = f"t{len(index)}"
                index.append((etype, strength == "strong"))
                body = r"\s+".join(re.escape(w) + r"[\w'’]*" for w in stem.split())
                parts.append(f"(?P<{name}>{body})")
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
    kept = []
    for t in out:
        if exclude and low.startswith(exclude, t.start):
            continue
        if anaphora and t.start > 0:
            prev = _PREV_WORD.search(low, max(0, t.start - 25), t.start)
            if prev and prev.group(1) in anaphora:
                continue
        kept.append(t)
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
