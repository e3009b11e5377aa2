"""Countries and actors through the knowledge-base gazetteer, with kk/ru/en morphology.

Names and aliases of every actor in the knowledge base (``silkroad.kb.load``) go into one
Aho-Corasick automaton, lower-cased.  Russian names are added in all their inflected forms
(pymorphy3 lexemes, multi-word names inflected word by word in the same case).  A match
must start a word; it may end inside a word only when the rest of the word is a chain of
Kazakh suffixes from ``data/lang/kk_suffixes.yaml`` (Қазақстан+да+ғы) or an English
plural/possessive.  Country adjectives, capitals and regions come from ``places.yaml``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import ahocorasick

from .resources import load


@dataclasses.dataclass
class Mention:
    start: int
    end: int
    actor: str | None        # actor id, None for a place word
    countries: tuple[str, ...]
    kind: str                # actor kind, or "place"


def _norm(text: str) -> str:
    return text.lower().replace("ё", "е")


@functools.cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


def russian_forms(name: str) -> set[str]:
    """The forms of a Russian name in the six cases: Япония → Японии, Японией, ..."""
    words = name.split()
    morph = _morph()
    forms = {name}
    if len(words) == 1:
        for parse in morph.parse(name)[:2]:
            for f in parse.lexeme:
                if "plur" not in f.tag:
                    forms.add(f.word)
        return forms
    per_case = {case: [] for case in _CASES}
    for w in words:
        parse = morph.parse(w)[0]
        for case in _CASES:
            inflected = parse.inflect({case}) if w[:1].isalpha() else None
            per_case[case].append(inflected.word if inflected else w)
    for case, ws in per_case.items():
        forms.add(" ".join(ws))
    return forms


@functools.cache
def _kk_suffixes() -> tuple[frozenset[str], int, frozenset[str]]:
    data = load("kk_suffixes")
    sufs = frozenset(s for group in data["suffixes"].values() for s in group)
    return sufs, int(data.get("max_chain", 3)), frozenset(data.get("en_suffixes", []))


@functools.cache
def is_suffix_chain(tail: str, depth: int = 0) -> bool:
    """Whether ``tail`` is a chain of Kazakh suffixes (ға, ның, дағы, мен, ...)."""
    sufs, max_chain, _ = _kk_suffixes()
    if not tail:
        return True
    if depth >= max_chain:
        return False
    for n in range(min(6, len(tail)), 0, -1):
        if tail[:n] in sufs and is_suffix_chain(tail[n:], depth + 1):
            return True
    return False


class Gazetteer:
    def __init__(self, actors: dict):
        self.automaton = ahocorasick.Automaton()
        self.kinds: dict[str, str] = {}
        self.countries: dict[str, tuple[str, ...]] = {}
        entries: dict[str, set] = {}
        self.acronyms: set[str] = set()     # "ЕС", "EU": matched only when written in capitals

        def add(form: str, value: tuple):
            raw = form.strip()
            form = _norm(raw)
            if len(form) >= 2:
                entries.setdefault(form, set()).add(value)
                if len(raw) <= 5 and raw.isupper():
                    self.acronyms.add(form)

        for actor in actors.values():
            country = (actor.country,) if actor.country else ()
            self.kinds[actor.id] = actor.kind
            self.countries[actor.id] = country
            names = actor.names
            aliases = actor.aliases
            for lang in ("en", "ru", "kk"):
                forms = [getattr(names, lang)] if getattr(names, lang, None) else []
                forms += list(getattr(aliases, lang, []) or [])
                for form in forms:
                    if not form:
                        continue
                    add(form, ("actor", actor.id))
                    if lang == "ru" and re.search("[а-яё]", form, re.I):
                        for f in russian_forms(form):
                            add(f, ("actor", actor.id))
        places = load("places")
        for region in places.get("regions", {}).values():
            for name in region["names"]:
                add(name, ("place", tuple(region["countries"])))
                if re.search("[а-яё]", name) and " " in name:
                    for f in russian_forms(name):
                        add(f, ("place", tuple(region["countries"])))
        self.stems: list[tuple[str, str]] = []
        for code, langs in places.get("stems", {}).items():
            for words in langs.values():
                for w in words:
                    self.stems.append((_norm(w), code))
        for form, values in entries.items():
            self.automaton.add_word(form, (len(form), tuple(sorted(values))))
        self.automaton.make_automaton()
        self.stem_re = re.compile(r"(?<![\w])(" + "|".join(
            re.escape(s) for s, _ in sorted(self.stems, key=lambda x: -len(x[0]))) + r")[\w]*")
        self.stem_country = {}
        for s, c in self.stems:
            self.stem_country.setdefault(s, c)

    def find(self, text: str) -> list[Mention]:
        low = _norm(text)
        n = len(low)
        found: list[Mention] = []
        _, _, en_suf = _kk_suffixes()
        for end_idx, (length, values) in self.automaton.iter(low):
            start = end_idx - length + 1
            end = end_idx + 1
            if start > 0 and low[start - 1].isalnum():
                continue
            stop = end
            while stop < n and low[stop].isalpha():
                stop += 1
            tail = low[end:stop]
            if tail and not (is_suffix_chain(tail) or tail in en_suf):
                continue
            if low[start:end] in self.acronyms and not text[start:end].isupper():
                continue                      # "Еске" is not "ЕС"+"ке"
            for kind, value in values:
                if kind == "actor":
                    found.append(Mention(start, stop, value, self.countries.get(value, ()),
                                         self.kinds.get(value, "")))
                else:
                    found.append(Mention(start, stop, None, value, "place"))
        for m in self.stem_re.finditer(low):
            code = self.stem_country.get(m.group(1))
            if code:
                found.append(Mention(m.start(), m.end(), None, (code,), "place"))
        # keep the longest of overlapping matches
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        out: list[Mention] = []
        for m in found:
            if out and m.start < out[-1].end and (m.end - m.start) < (out[-1].end - out[-1].start):
                continue
            if out and m.start < out[-1].end and m.start == out[-1].start and m.end == out[-1].end:
                if m.actor == out[-1].actor:
                    continue
            out.append(m)
        return out


_CACHE: dict[tuple, Gazetteer] = {}


def gazetteer(kb_dirs: tuple[Path, ...] | None = None) -> Gazetteer:
    """The gazetteer of the knowledge base in ``kb_dirs`` (default: bundled), cached per process."""
    key = tuple(str(p) for p in kb_dirs) if kb_dirs else ()
    if key not in _CACHE:
        from silkroad import kb as kbmod

        try:
            base, _problems = kbmod.load(list(kb_dirs) if kb_dirs else None)   # problems ignored
            actors = base.actors
        except FileNotFoundError:
            actors = {}
        _CACHE[key] = Gazetteer(actors)
    return _CACHE[key]
