"""The bundled knowledge base: valid, fully cited, and holding every fact of the article."""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli
from silkroad import kb as kbmod
from silkroad import store

ARTICLE = "shadayeva-2026"


@pytest.fixture(scope="module")
def bundled():
    base, problems = kbmod.load()
    return base, problems


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("bundled") / "kb.duckdb"
    store.build(db)
    return db


def test_bundled_knowledge_base_validates(bundled):
    _, problems = bundled
    assert [str(p) for p in problems] == []


def test_every_record_has_source_locator_and_quote(bundled):
    base, _ = bundled
    for kind in ("events", "projects", "initiatives", "aid_totals"):
        for rid, rec in getattr(base, kind).items():
            assert rec.evidence, f"{kind}[{rid}] has no evidence"
            for ev in rec.evidence:
                assert ev.source in base.sources, f"{kind}[{rid}] cites unknown {ev.source}"
                assert ev.locator.strip() and ev.quote.strip(), f"{kind}[{rid}] lacks locator or quote"
    for sid, src in base.sources.items():
        assert src.url or src.citation, f"source {sid} has neither url nor citation"


def test_article_quotes_stand_at_their_locators(bundled, article_text):
    """Every quote from the article is the article's text at the character offsets given."""
    base, _ = bundled
    checked = 0
    for kind in ("events", "projects", "initiatives", "aid_totals", "actors"):
        for rid, rec in getattr(base, kind).items():
            for ev in rec.evidence:
                if ev.source != ARTICLE:
                    continue
                m = re.fullmatch(r"chars (\d+)-(\d+)", ev.locator)
                assert m, f"{kind}[{rid}]: article locator {ev.locator!r} is not 'chars A-B'"
                start, end = int(m.group(1)), int(m.group(2))
                assert article_text[start:end] == ev.quote, f"{kind}[{rid}]: quote is not the text at {ev.locator}"
                checked += 1
    assert checked >= 40


def article_events(base, **where):
    """Events citing the article that match every condition."""
    out = []
    for e in base.events.values():
        if ARTICLE not in {ev.source for ev in e.evidence}:
            continue
        if "type" in where and e.type != where["type"]:
            continue
        if "date" in where and not e.date.startswith(where["date"]):
            continue
        if "country" in where and where["country"] not in e.countries:
            continue
        if "actor" in where and where["actor"] not in {p.actor for p in e.participants}:
            continue
        if "quote" in where and not any(where["quote"] in ev.quote for ev in e.evidence):
            continue
        out.append(e)
    return out


@pytest.mark.parametrize("label, where", [
    ("Uzbekistan's independence recognised", {"date": "1991", "country": "UZ"}),
    ("diplomatic relations with Uzbekistan", {"date": "1992-01", "country": "UZ"}),
    ("first foreign-minister visit: Kyrgyzstan", {"date": "1992", "country": "KG", "type": "visit"}),
    ("1995 investment in Kazakhstan", {"date": "1995", "country": "KZ"}),
    ("1995 loan to Uzbekistan", {"date": "1995", "country": "UZ", "type": "loan"}),
    ("Silk Road Diplomacy action plan", {"quote": "Жібек жолы дипломатиясы жөніндегі іс-шаралар жоспары"}),
    ("Koizumi's Boao speech", {"date": "2002-04-12", "actor": "junichiro-koizumi"}),
    ("Silk Road energy mission", {"date": "2002-07", "country": "KZ", "actor": "seiken-sugiura"}),
    ("Koizumi in Kazakhstan", {"date": "2006-08", "country": "KZ", "actor": "junichiro-koizumi", "type": "visit"}),
    ("Koizumi in Uzbekistan", {"date": "2006-08", "country": "UZ", "actor": "junichiro-koizumi", "type": "visit"}),
    ("nuclear memorandum", {"type": "agreement", "country": "KZ", "quote": "меморандумға қол қойылды"}),
    ("nuclear talks begin", {"date": "2007", "country": "KZ", "quote": "2007 жылы басталып"}),
    ("nuclear agreement", {"date": "2010", "country": "KZ", "type": "agreement"}),
    ("JOGMEC uranium agreement", {"date": "2013", "country": "UZ", "quote": "JOGMEC"}),
    ("6th foreign ministers' meeting", {"date": "2017-05", "country": "TM", "type": "meeting",
                                        "actor": "fumio-kishida"}),
    ("its joint declaration", {"date": "2017-05", "type": "agreement", "quote": "Бірлескен Декларацияға"}),
    ("the transport and logistics initiative", {"date": "2017-05", "quote": "Көлік және логистикалық"}),
    ("2021 disaster aid", {"date": "2021", "country": "TM", "type": "disaster_relief"}),
])
def test_article_fact_is_recorded(bundled, label, where):
    assert article_events(bundled[0], **where), f"no event for: {label}"


def test_about_24_billion_yen(bundled):
    events = article_events(bundled[0], date="2017-05", quote="24 миллиард иен")
    amounts = [a for e in events for a in e.amounts]
    assert any(a.value == 24e9 and a.currency == "JPY" and a.approximate and a.kind == "pledge" for a in amounts)


def test_one_point_six_billion_dollars(bundled):
    base, _ = bundled
    found = [a for rec in [*base.initiatives.values(), *base.events.values(), *base.aid_totals.values()]
             for a in (getattr(rec, "amounts", None) or [getattr(rec, "amount", None)]) if a]
    assert any(a.value == 1.6e9 and a.currency == "USD" for a in found)


def test_uranium_ventures_business_delegations_and_soft_power(bundled):
    base, _ = bundled
    cited = {rid: rec for rid, rec in [*base.projects.items(), *base.initiatives.items()]
             if ARTICLE in {ev.source for ev in rec.evidence}}
    quotes = " ".join(ev.quote for rec in cited.values() for ev in rec.evidence)
    assert "Мыңқұдықтағы уран" in quotes                 # the Kazatomprom joint venture
    assert "Кейзай Доюкай" in quotes and "Кейданрен" in quotes   # the business delegations
    assert "жапон тілі орталықтары" in quotes             # language centres in Uzbekistan
    assert {"silk-road-diplomacy", "central-asia-plus-japan"} <= set(base.initiatives)


def test_the_eight_references_are_sources(bundled, article_text):
    """Each numbered reference of the article is a source: by its link, or by its title."""
    base, _ = bundled
    refs = re.findall(r"^\d\. (.+)$", article_text.split("Әдебиеттер тізімі")[1].split("Ш.А. Шадаева")[0], re.M)
    assert len(refs) == 8
    for ref in refs:
        link = re.search(r"https?://[^\s>]+", ref)
        matches = [s for s in base.sources.values() if s.id != ARTICLE and (
            (link and s.url == link.group(0)) or s.title.replace("«", "").replace("»", "")[:30]
            in ref.replace("«", "").replace("»", ""))]
        assert matches, f"reference not recorded as a source: {ref[:70]}"


def table_1_rows(article_text: str) -> list[tuple[int, str]]:
    """(year, leader's surname) for every meeting in the article's Table 1, read from the text."""
    block = article_text.split("Кесте 1.")[1].split("Коидзумидің Астанаға")[0]
    rows = []
    for line in block.splitlines():
        m = re.match(r"^([\d, ]+)\t(\S+) (\S+),", line)
        if m:
            for year in m.group(1).split(","):
                rows.append((int(year), m.group(3)))
    return sorted(rows)


def test_summits_citing_the_article_are_exactly_table_1(bundled_db, article_text):
    expected = table_1_rows(article_text)
    assert len(expected) == 8
    result = run_cli("events", "--type", "summit", "--source", ARTICLE, "--format", "json", db=bundled_db)
    rows = json.loads(result.stdout)
    got = []
    for r in rows:
        names = " ".join(s["quote"] for s in r["sources"])
        surname = next(s for y, s in expected if s in names)
        got.append((int(r["date"][:4]), surname))
    assert sorted(got) == expected
    table = run_cli("events", "--type", "summit", "--source", ARTICLE, db=bundled_db)
    assert "8 row(s)" in table.stdout


def test_uzbekistan_events_come_with_quotes(bundled_db):
    result = run_cli("events", "--country", "UZ", "--format", "json", db=bundled_db)
    rows = json.loads(result.stdout)
    article_rows = [r for r in rows if ARTICLE in {s["id"] for s in r["sources"]}]
    assert len(article_rows) >= 8
    assert all(s["quote"] and s["locator"] for r in rows for s in r["sources"])
    assert {r["date"][:4] for r in article_rows} >= {"1991", "1992", "1995", "2006", "2011", "2013", "2017"}


def test_gazetteer_names_every_actor_in_three_languages(bundled):
    base, _ = bundled
    missing = [a.id for a in base.actors.values() if not (a.names.en and a.names.ru and a.names.kk)]
    assert missing == []
    states = {a.country for a in base.actors.values() if a.kind == "state"}
    assert {"JP", "KZ", "UZ", "KG", "TJ", "TM"} <= states


def test_docs_coverage_is_up_to_date(bundled_db):
    """docs/coverage.md is generated from the bundled data; regenerate it when the data changes."""
    from conftest import ROOT

    from silkroad.analysis.coverage import coverage_markdown
    from silkroad.analysis.queries import Query

    q = Query(store.connect(bundled_db))
    expected = coverage_markdown(q)
    shown = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert shown == expected, "run: silkroad build && silkroad coverage --out docs/coverage.md"
    assert "| KZ Kazakhstan |" in shown


def test_article_groupings_name_each_member_in_their_quotes(bundled):
    """The article's grouping of the five states: every member is named in the quoted sentence."""
    base, _ = bundled
    names = {a.country: a.names.kk for a in base.actors.values() if a.kind == "state"}
    groupings = [g for g in base.groupings.values() if g.author == ARTICLE]
    assert len(groupings) == 2
    for g in groupings:
        members = [c for codes in g.groups.values() for c in codes]
        assert sorted(members) == ["KG", "KZ", "TJ", "TM", "UZ"]
        quotes = " ".join(ev.quote for ev in g.evidence)
        for code in members:
            stem = names[code][:5]          # Қазақ-, Өзбек-, Қырғы-, Тәжік-, Түрік-/Түркі-
            assert stem[:3] in quotes, f"{g.id}: {code} ({names[code]}) not named in its quotes"
    core = next(g for g in groupings if "core" in g.groups)
    assert set(core.groups["core"]) == {"KZ", "TM", "UZ"}
