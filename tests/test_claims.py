"""Claims a record makes beyond its date must be stated by its evidence: the city of an event and the
people who took part in it.

An audit of a sample of records against their sources found cities that no cited source names
(a meeting "in Japan" recorded as in Tokyo) and a participant no cited source mentions.  So:

* the city of every event must appear in one of its evidence quotes (or locators), in any of the
  spellings below, or as a landmark that only one city has (the Prime Minister's Office, the Iikura
  Guest House, the Foreign Ministry and JICA's headquarters are in Tokyo; the Oguzhan palace is in
  Ashgabat);
* every person recorded as a participant must be named in one of its quotes, by one of the names or
  aliases the knowledge base records for them (in any language) or their surname;
* every amount of an event, project or aid total must be stated by its quotes: some number in them,
  read with the scale word after it (億, million, млрд, Milliarden, тыс. …) or the unit a table
  declares ("Unit: millions of yen", "(百万円)"), equals the amount to within 0.6 %.  So an amount
  that was added up or converted by the curator, rather than read, is caught;
* the year of every dated event and project must be stated: in a quote or locator (1998, '98年',
  平成10年) or as the publication year of a cited source (a press release of '本30日') - unless
  the record is marked `confidence: low` with a note saying where its date comes from;
* the day of every event or project dated to the day must be stated the same way: the day number in
  a quote or locator (本26日, 26 October, 26-го, 2015-10-26), or "today" (本日, сегодня …) in a quote
  of a source published that day;
* a quantity written in a title or summary (a number with a scale or unit - "US$1.3 billion",
  "620 km", "65%" - or any number of 100 or more that is not a year) is stated by a quote too, so
  the prose adds no figure the evidence lacks.
"""

from __future__ import annotations

import re

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


@pytest.fixture(scope="module")
def records(kb):
    """Every event, project and aid total."""
    return list(kb.events.values()) + list(kb.projects.values()) + list(kb.aid_totals.values())


def evidence_items(record) -> list:
    """A record's evidence and its conflicts' evidence: everything its claims may rest on."""
    items = list(record.evidence)
    for c in getattr(record, "conflicts", None) or []:
        items.extend(c.evidence if isinstance(c.evidence, list) else [c.evidence])
    return items


def _evidence_text(record) -> str:
    return " ".join(f"{e.quote or ''} {e.locator or ''}" for e in evidence_items(record)).lower()


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


SCALES = [("trillion", 1e12), ("兆", 1e12), ("трлн", 1e12), ("триллион", 1e12), ("billion", 1e9), ("bn", 1e9),
          ("milliard", 1e9), ("mrd", 1e9), ("bilh", 1e9), ("млрд", 1e9), ("миллиард", 1e9), ("million", 1e6),
          ("mln", 1e6), ("mn", 1e6), ("milh", 1e6), ("млн", 1e6), ("миллион", 1e6), ("百万", 1e6), ("億", 1e8),
          ("万", 1e4), ("thousand", 1e3), ("тыс", 1e3), ("мың", 1e3), ("千", 1e3)]
TABLE_UNITS = [("unit: millions", 1e6), ("unit: million", 1e6), ("(百万円)", 1e6), ("単位:百万", 1e6), ("単位:億円", 1e8)]
NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:[.,]\d+)?")
GROUPED_PREFIX = re.compile(r"\d{1,3}(?:,\d{3})+")     # "2,871" of a table row printed as "2,8712.2-30/10"


def _readings(raw: str) -> set[float]:
    """A number as written: thousands commas, or a decimal comma (21,4 Milliarden)."""
    out = set()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        out.add(float(raw.replace(",", "")))
    if raw.count(",") == 1:
        out.add(float(raw.replace(",", ".")))
    try:
        out.add(float(raw.replace(",", "")))
    except ValueError:
        pass
    return out


def stated_values(text: str) -> set[float]:
    """Every value the text states, as far as it can be read mechanically."""
    t = re.sub(r"(\d), (\d{3})(?!\d)", r"\1,\2", text.replace("\u00a0", " ").replace("\u202f", " "))
    units = [f for marker, f in TABLE_UNITS if marker in t.lower()]
    values: set[float] = set()
    raws = [(m.group(0), m.end()) for m in NUMBER.finditer(t)] + [(m.group(0), m.end()) for m in GROUPED_PREFIX.finditer(t)]
    for raw, end in raws:
        after = t[end:end + 22].lower()
        for v in _readings(raw):
            values.add(v)
            values.update(v * f for f in units)
            values.update(v * f for word, f in SCALES if 0 <= after.find(word) <= 14)
    # compound forms: 1億2,000万円, 44億54百万円, 1 миллиарда 324 миллионов, 12 тыс. 594
    for m in re.finditer(r"(\d[\d,.]*)億(?:(\d[\d,]*)万|(\d[\d,]*)百万)?", t):
        v = float(m.group(1).replace(",", "")) * 1e8
        v += float(m.group(2).replace(",", "")) * 1e4 if m.group(2) else 0
        v += float(m.group(3).replace(",", "")) * 1e6 if m.group(3) else 0
        values.add(v)
    for m in re.finditer(r"(\d+)\s*(?:миллиард\w*|billion)\s+(\d+)\s*(?:миллион\w*|million)", t, re.I):
        values.add(int(m.group(1)) * 1e9 + int(m.group(2)) * 1e6)
    for m in re.finditer(r"(\d+)\s*тыс\.?\s*(\d+)", t):
        values.add(int(m.group(1)) * 1e3 + int(m.group(2)))
    return values


def _amounts(record) -> list:
    return list(getattr(record, "amounts", None) or []) + ([record.amount] if getattr(record, "amount", None) else [])


def unstated_amounts(records) -> list[str]:
    out = []
    for r in records:
        items = evidence_items(r)
        values = stated_values(" ".join(f"{e.quote} {e.note or ''}" for e in items))
        for a in _amounts(r):
            if not any(abs(v - a.value) <= abs(a.value) * 0.006 for v in values):
                out.append(f"{r.id}: {a.value:,.0f} {a.currency}")
    return out


@pytest.mark.parametrize("text, value", [
    ("供与限度額42億8,800万円", 4.288e9), ("44億54百万円の無償資金協力", 4.454e9), ("¥11.6bn (US$87.5mn)", 11.6e9),
    ("21,4 Milliarden Yen", 21.4e9), ("1 миллиарда 324 миллионов йен", 1.324e9), ("12 тыс. 594 долларов", 12594),
    ("157 с лишним миллионов долларов", 157e6), ("Total: 26,717 (Unit: millions of yen) Uzbekistan 10,534", 10.534e9),
    ("供与限度額 126億9,200万円", 12.692e9), ("(供与限度総額687, 141米ドル)", 687141)])
def test_stated_values_reads_the_forms_sources_use(text, value):
    assert any(abs(v - value) <= value * 0.006 for v in stated_values(text))


def test_every_amount_is_stated_by_the_quotes(records):
    missing = unstated_amounts(records)
    assert not missing, (f"{len(missing)} amount(s) that no quote of the record states (quote the sentence that "
                         f"gives it, or drop it):\n" + "\n".join(missing))


def test_the_amount_check_catches_a_sum_no_source_gives(kb):
    """A total the curator added up (11.6 + 7.7 = 19.3 billion yen) is not stated by the quote."""
    project = kb.projects["prj-uz-jbic-mufg-uzbektelecom"]
    summed = project.model_copy(update={"amounts": [project.amounts[0].model_copy(update={"value": 19.3e9})]})
    assert unstated_amounts([summed]) == ["prj-uz-jbic-mufg-uzbektelecom: 19,300,000,000 JPY"]
    assert unstated_amounts([project]) == []


ERAS = {"昭和": 1925, "平成": 1988, "令和": 2018}


def stated_years(kb, record) -> set[int]:
    items = evidence_items(record)
    years: set[int] = set()
    for e in items:
        text = f"{e.quote} {e.locator} {e.note or ''}"
        years.update(int(y) for y in re.findall(r"(?<!\d)(19[4-9]\d|20[0-4]\d)(?!\d)", text))
        years.update(1900 + int(y) if int(y) > 40 else 2000 + int(y) for y in re.findall(r"(?<!\d)(\d{2})年", text))
        for era, base in ERAS.items():
            years.update(base + (1 if n == "元" else int(n)) for n in re.findall(era + r"\s*(\d{1,2}|元)\s*年", text))
        source = kb.sources.get(e.source)
        if source is not None and source.published:
            years.add(int(str(source.published)[:4]))
    return years


def _record_date(record) -> str | None:
    if hasattr(record, "dates"):
        return str(record.dates.signed or record.dates.start or "") if record.dates else None
    date = getattr(record, "date", None)     # aid totals have a year, checked with their amount
    return str(date) if date else None


def unstated_years(kb, records) -> list[str]:
    out = []
    for r in records:
        date = _record_date(r)
        if not date or (r.confidence == "low" and r.confidence_note):
            continue
        if not {int(y) for y in re.findall(r"\d{4}", date)} & stated_years(kb, r):
            out.append(f"{r.id}: {date}")
    return out


def test_every_dated_record_has_its_year_stated(kb, records):
    missing = unstated_years(kb, records)
    assert not missing, (f"{len(missing)} record(s) whose year no quote, locator or cited source's date gives "
                         f"(quote it, or mark confidence low and say where the date comes from):\n" + "\n".join(missing))


def test_the_year_check_catches_a_year_no_source_gives(kb):
    event = kb.events["evt-2025-12-18-japarov-visit-japan-caj-summit"]
    assert unstated_years(kb, [event]) == []
    moved = event.model_copy(update={"date": "2024-12-18"})
    assert unstated_years(kb, [moved]) == ["evt-2025-12-18-japarov-visit-japan-caj-summit: 2024-12-18"]
    assert 1996 in stated_years(kb, kb.projects["prj-uz-regional-airports-modernization"])     # "96年12月"


TODAY = re.compile(r"本日|今日|\btoday\b|сегодня|бүгүн|бүгін|heute", re.I)


def unstated_days(kb, records) -> list[str]:
    out = []
    for r in records:
        date = _record_date(r)
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date or "")
        if not m or (r.confidence == "low" and r.confidence_note):
            continue
        items = evidence_items(r)
        day = int(m.group(3))
        stated = any(re.search(rf"(?<!\d)0?{day}(?!\d)", f"{e.quote} {e.locator} {e.note or ''}") or date in e.quote
                     or (TODAY.search(e.quote) and kb.sources.get(e.source) is not None
                         and str(kb.sources[e.source].published) == date)
                     for e in items)
        if not stated:
            out.append(f"{r.id}: {date}")
    return out


def test_every_record_dated_to_the_day_has_its_day_stated(kb, records):
    missing = unstated_days(kb, records)
    assert not missing, (f"{len(missing)} record(s) dated to the day whose day no quote states (quote the line "
                         f"that dates it, give only the month, or mark confidence low with the reason):\n"
                         + "\n".join(missing))


PROSE_NUMBER = re.compile(r"(?<![\w.])(\d[\d,.]*\d|\d)(?![\w])\s*(billion|million|thousand|bn|km|%|per ?cent)?", re.I)
PROSE_SCALE = {"billion": 1e9, "bn": 1e9, "million": 1e6, "thousand": 1e3}


def unstated_prose_numbers(records) -> list[str]:
    out = []
    for r in records:
        items = evidence_items(r)
        text = " ".join(f"{e.quote} {e.locator} {e.note or ''}" for e in items)
        values = stated_values(text)
        title = getattr(r, "title", None)
        summary = getattr(r, "summary", None)
        prose = " ".join(t for t in (title.en if title else None, summary.en if summary else None) if t)
        for m in PROSE_NUMBER.finditer(prose):
            raw, unit = m.group(1).rstrip(".,"), (m.group(2) or "").lower()
            try:
                value = float(raw.replace(",", ""))
            except ValueError:
                continue
            is_year = "," not in raw and "." not in raw and 1900 <= value <= 2035
            if not unit and (value < 100 or is_year):
                continue
            wanted = {value, value * PROSE_SCALE.get(unit, 1)}
            if raw in text or any(abs(w - v) <= abs(w) * 0.006 for w in wanted for v in values if w):
                continue
            out.append(f"{r.id}: {m.group(0).strip()}")
    return out


def test_every_quantity_in_the_prose_is_stated_by_the_quotes(records):
    missing = unstated_prose_numbers(records)
    assert not missing, (f"{len(missing)} figure(s) in titles or summaries that no quote of the record gives "
                         f"(quote it or take it out):\n" + "\n".join(missing))


def test_the_prose_check_catches_a_figure_no_quote_gives(kb):
    project = kb.projects["prj-tm-garabogaz-carbamide-plant"]
    assert unstated_prose_numbers([project]) == []
    embellished = project.model_copy(update={"summary": project.summary.model_copy(
        update={"en": project.summary.en + " It employs 1,700 people on a 90 km site."})})
    assert unstated_prose_numbers([embellished]) == ["prj-tm-garabogaz-carbamide-plant: 1,700",
                                                     "prj-tm-garabogaz-carbamide-plant: 90 km"]


def test_the_day_check_catches_a_day_no_source_gives(kb):
    event = kb.events["evt-2025-12-18-japarov-visit-japan-caj-summit"]
    assert unstated_days(kb, [event]) == []
    moved = event.model_copy(update={"date": "2025-12-16"})
    assert unstated_days(kb, [moved]) == ["evt-2025-12-18-japarov-visit-japan-caj-summit: 2025-12-16"]
