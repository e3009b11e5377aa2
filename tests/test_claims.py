"""Claims a record makes beyond its date must be stated by its evidence: here, the city of an event.

An audit of a sample of records against their sources found cities that no cited source names
(a meeting "in Japan" recorded as in Tokyo).  So the city of every event must appear in one of
its evidence quotes (or locators), in any of the spellings below, or as a landmark that only
one city has (the Prime Minister's Office, the Iikura Guest House, the Foreign Ministry and JICA's
headquarters are in Tokyo; the Oguzhan palace is in Ashgabat).
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
