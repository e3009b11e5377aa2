"""Claims a record makes beyond its date must be stated by its evidence: the city of an event and the
people who took part in it.

An audit of a sample of records against their sources found cities that no cited source names
(a meeting "in Japan" recorded as in Tokyo) and a participant no cited source mentions.  So:

* the city of every event must appear in one of its evidence quotes (or locators), in any of the
  spellings below, or as a landmark that only one city has (the Prime Minister's Office, the Iikura
  Guest House, the Foreign Ministry and JICA's headquarters are in Tokyo; the Oguzhan palace is in
  Ashgabat);
* every person recorded as a participant must be named in one of its quotes, by one of the names or
  aliases the knowledge base records for them (in any language) or their surname.
"""

from __future__ import annotations

import pytest

from silkroad import kb as kbmod

SPELLINGS = {
    "Tokyo": ["Tokyo", "東京", "Токио", "Tokio",
              # landmarks: a source that names them places the event in Tokyo (the Prime Minister's Office,
              # the Foreign Ministry, JICA's headquarters)
              "総理大臣官邸", "首相官邸", "Kantei", "飯倉公館", "Iikura", "迎賓館", "外務省において", "外務省内",
              "外務省で", "外務省国際会議室", "官邸で", "Prime Minister's Office", "JICA本部"],
    "Dushanbe": ["Dushanbe", "Duschanbe", "Душанбе", "ドゥシャンベ"],
    "Astana": ["Astana", "Astanie", "Астана", "Астане", "Астану", "アスタナ", "Nur-Sultan", "Nur Sultan", "Нур-Султан", "Нұр-Сұлтан",
               "ヌルスルタン", "ヌル・スルタン", "Akmola", "Акмола"],
    "Tashkent": ["Tashkent", "Ташкент", "タシケント", "Toshkent"],
    "Bishkek": ["Bishkek", "Бишкек", "ビシュケク", "ビシケク"],
    "Ashgabat": ["Ashgabat", "Ashkhabad", "Ашхабад", "Ашгабат", "Aşgabat", "アシガバット", "アシハバード",
                 "アシガバード", "オグズハーン"],     # the Oguzhan presidential palace
    "Almaty": ["Almaty", "Алматы", "アルマティ", "Alma-Ata", "Алма-Ата"],
    "Semey": ["Semey", "Семей", "セメイ", "Semipalatinsk", "Семипалатинск", "セミパラチンスク"],
    "Kabul": ["Kabul", "Кабул", "カブール"],
    "New York": ["New York", "Нью-Йорк", "ニューヨーク"],
    "Sofia": ["Sofia", "София", "ソフィア"],
    "The Hague": ["Hague", "Гаага", "ハーグ"],
    "Milan": ["Milan", "Милан", "ミラノ"],
    "Batken": ["Batken", "Баткен", "バトケン"],
    "Istaravshan": ["Istaravshan", "Истаравшан"],
    "Pyanj": ["Pyanj", "Panj", "Пяндж", "Панҷ", "ピャンジ"],
    "Bukhara": ["Bukhara", "Бухара", "ブハラ"],
    "Washington": ["Washington", "Вашингтон", "ワシントン"],
}


@pytest.fixture(scope="module")
def kb():
    base, problems = kbmod.load()
    assert not problems
    return base


def _evidence_text(record) -> str:
    items = list(record.evidence)
    for c in record.conflicts:
        items.extend(c.evidence if isinstance(c.evidence, list) else [c.evidence])
    return " ".join(f"{e.quote or ''} {e.locator or ''}" for e in items).lower()


def unsupported_cities(events) -> list[str]:
    """'id: city' for each event whose city none of its quotes or locators names."""
    out = []
    for event in events:
        city = event.place.city if event.place else None
        if city and not any(name.lower() in _evidence_text(event) for name in SPELLINGS.get(city, [city])):
            out.append(f"{event.id}: {city}")
    return out


def test_every_event_city_is_named_by_its_evidence(kb):
    unsupported = unsupported_cities(kb.events.values())
    assert not unsupported, (f"{len(unsupported)} event(s) give a city that none of their quotes names "
                             f"(add the quote that names it, or drop the city):\n" + "\n".join(unsupported))


def test_the_check_catches_a_city_no_quote_names(kb):
    """The rule is not vacuous: a Tokyo event whose only quote says 'visited Japan' is caught, and one
    whose quote names the Kantei is not."""
    event = next(e for e in kb.events.values() if e.place and e.place.city == "Tokyo")

    def with_quote(quote):
        return event.model_copy(update={"evidence": [event.evidence[0].model_copy(
            update={"quote": quote, "locator": "para 1"})], "conflicts": []})

    assert unsupported_cities([with_quote("the president visited Japan")]) == [f"{event.id}: Tokyo"]
    assert unsupported_cities([with_quote("talks were held at the Kantei")]) == []


def _person_forms(actor) -> set[str]:
    """The names a quote may use for a person: names and aliases in every language, and the surname."""
    forms = set()
    for lang in ("en", "ru", "kk", "ja"):
        name = getattr(actor.names, lang)
        if name:
            forms.add(name)
            if lang != "ja":
                forms.add(name.split()[-1])
        forms.update(getattr(actor.aliases, lang))
    return {f.lower() for f in forms if len(f) >= 3}


def unnamed_participants(kb, events) -> list[str]:
    """'event: person' for each person participant whom none of the event's quotes names."""
    out = []
    for event in events:
        text = _evidence_text(event)
        for p in event.participants:
            actor = kb.actors.get(p.actor)
            if actor is not None and actor.kind == "person" and not any(f in text for f in _person_forms(actor)):
                out.append(f"{event.id}: {p.actor}")
    return out


def test_every_person_taking_part_is_named_by_the_evidence(kb):
    unnamed = unnamed_participants(kb, kb.events.values())
    assert not unnamed, (f"{len(unnamed)} participant(s) that none of the event's quotes names (add the quote "
                         f"that names them, an alias they appear under, or drop them):\n" + "\n".join(unnamed))


def test_the_participant_check_catches_an_unnamed_person(kb):
    event = next(e for e in kb.events.values()
                 if any(kb.actors[p.actor].kind == "person" for p in e.participants if p.actor in kb.actors))
    person = next(p.actor for p in event.participants if p.actor in kb.actors and kb.actors[p.actor].kind == "person")
    blank = event.model_copy(update={"evidence": [event.evidence[0].model_copy(
        update={"quote": "the two sides met", "locator": "para 1"})], "conflicts": []})
    assert f"{event.id}: {person}" in unnamed_participants(kb, [blank])
    assert unnamed_participants(kb, [event]) == []
