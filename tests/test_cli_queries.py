"""Listings over a built database: filters, the three formats, the JSON shape, help texts."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import run_cli
from silkroad.cli import cli


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_events_json_shape(small_db):
    rows = as_json(run_cli("events", "--country", "UZ", "--format", "json", db=small_db))
    assert [r["id"] for r in rows] == ["evt-2006-08-koizumi-visit-kz-uz", "evt-2017-05-caj-fmm-6"]
    visit = rows[0]
    assert {"id", "type", "date", "date_precision", "countries", "participants", "title", "amounts",
            "initiative", "confidence", "origin", "sources"} <= set(visit)
    assert visit["date"] == "2006-08" and visit["date_precision"] == "month"
    assert visit["countries"] == ["JP", "KZ", "UZ"]
    assert visit["participants"] == [{"actor": "junichiro-koizumi", "name": "Junichiro Koizumi", "role": "visitor"}]
    assert visit["origin"] == "curated"
    (source,) = visit["sources"]
    assert source["id"] == "shadayeva-2026"
    assert source["url"] == "https://doi.org/10.32523/2616-6887-2026-154-1-175-185"
    assert source["locator"] == "chars 10879-10996"
    assert "Дзюнитиро Коидзуми Қазақстан мен Өзбекстанға" in source["quote"]
    meeting = rows[1]
    assert meeting["amounts"][0]["value"] == 24e9 and meeting["amounts"][0]["currency"] == "JPY"
    assert meeting["amounts"][0]["approximate"] is True
    assert meeting["initiative"] == "central-asia-plus-japan"


@pytest.mark.parametrize("args, expected", [
    (["--type", "summit"], ["evt-2008-nazarbayev-japan"]),
    (["--country", "kz"], ["evt-2006-08-koizumi-visit-kz-uz", "evt-2008-nazarbayev-japan", "evt-2017-05-caj-fmm-6"]),
    (["--country", "TJ"], ["evt-2017-05-caj-fmm-6"]),
    (["--since", "2007", "--until", "2016"], ["evt-2008-nazarbayev-japan"]),
    (["--since", "2018"], []),
    (["--search", "koizumi"], ["evt-2006-08-koizumi-visit-kz-uz"]),
    (["--search", "миллиард иен"], ["evt-2017-05-caj-fmm-6"]),          # words of the quote
    (["--initiative", "central-asia-plus-japan"], ["evt-2017-05-caj-fmm-6"]),
    (["--source", "pollmann-2015-diplomat"], []),
    (["--origin", "curated", "--type", "visit"], ["evt-2006-08-koizumi-visit-kz-uz"]),
])
def test_event_filters(small_db, args, expected):
    rows = as_json(run_cli("events", *args, "--format", "json", db=small_db))
    assert [r["id"] for r in rows] == expected


def test_events_csv_is_one_row_per_event_with_quotes(small_db):
    result = run_cli("events", "--format", "csv", db=small_db)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3
    by_id = {r["id"]: r for r in rows}
    assert by_id["evt-2017-05-caj-fmm-6"]["countries"] == "JP; KG; KZ; TJ; TM; UZ"
    assert by_id["evt-2017-05-caj-fmm-6"]["amounts"] == "~24000000000 JPY pledge 2017"     # every digit, in CSV
    assert by_id["evt-2008-nazarbayev-japan"]["source_ids"] == "shadayeva-2026"
    assert "Нұрсұлтан Назарбаев" in by_id["evt-2008-nazarbayev-japan"]["quotes"]


def test_events_table(small_db):
    result = run_cli("events", "--type", "summit", db=small_db)
    assert result.exit_code == 0
    assert "High-level meeting with President Nazarbayev" in result.stdout
    assert "Nursultan Nazarbayev" in result.stdout
    assert "1 row(s)" in result.stdout


def test_projects_filters_and_shape(small_db):
    rows = as_json(run_cli("projects", "--country", "UZ", "--instrument", "loan", "--format", "json", db=small_db))
    assert [r["id"] for r in rows] == ["prj-uz-1995-loan"]
    p = rows[0]
    assert p["sector"] == {"name": "budget_support", "purpose_code": None, "dac_code": "51",
                           "group": "commodity aid and general programme assistance"}
    assert p["year"] == 1995 and p["dates"]["signed"] == "1995"
    assert p["sources"][0]["locator"] == "chars 17515-17600"
    assert as_json(run_cli("projects", "--sector", "energy", "--format", "json", db=small_db)) == []
    assert as_json(run_cli("projects", "--country", "KZ", "--format", "json", db=small_db)) == []
    assert len(as_json(run_cli("projects", "--sector", "budget_support", "--format", "json", db=small_db))) == 1


def test_actors_found_by_any_language(small_db):
    rows = as_json(run_cli("actors", "--search", "Коидзуми", "--format", "json", db=small_db))
    assert [r["id"] for r in rows] == ["junichiro-koizumi"]
    assert rows[0]["aliases"]["ru"] == ["Коидзуми"]
    assert rows[0]["roles"] == [{"title": "prime minister", "of": "JP", "start": None, "end": None}]
    states = as_json(run_cli("actors", "--kind", "state", "--format", "json", db=small_db))
    assert [r["id"] for r in states] == ["japan", "kazakhstan", "uzbekistan"]


def test_sources_count_citing_records(small_db):
    rows = as_json(run_cli("sources", "--format", "json", db=small_db))
    counts = {r["id"]: r["records"] for r in rows}
    # 3 events + 1 project + 1 initiative cite the article; nothing cites Pollmann yet
    assert counts == {"shadayeva-2026": 5, "pollmann-2015-diplomat": 0}


def test_stats_by_country_and_type(small_db):
    rows = as_json(run_cli("stats", "--by", "country,type", "--format", "json", db=small_db))
    index = {(r["country"], r["type"]): r for r in rows}
    assert index[("UZ", "visit")]["events"] == 1
    assert index[("UZ", "loan")]["projects"] == 1
    assert index[("KZ", "summit")]["records"] == 1
    assert index[("KZ", "summit")]["sources"] == 1
    # the yen pledge is counted once per country it concerns, in dollars
    assert 1.9e8 < index[("TM", "meeting")]["pledge_usd"] < 2.3e8


def test_stats_in_original_currency(small_db):
    rows = as_json(run_cli("stats", "--by", "decade", "--currency", "JPY", "--format", "json", db=small_db))
    by_decade = {r["decade"]: r for r in rows}
    assert by_decade["2010s"]["pledge_jpy"] == 24e9
    assert by_decade["1990s"]["projects"] == 1


def test_stats_rejects_unknown_key(small_db):
    result = run_cli("stats", "--by", "planet", db=small_db)
    assert result.exit_code == 2
    assert "cannot group by planet" in result.stderr


def test_overview(small_db):
    result = run_cli("overview", "--format", "json", db=small_db)
    data = as_json(result)[0]
    assert data["counts"]["events"] == 3
    assert {r["type"]: r["n"] for r in data["by_type"]} == {"visit": 1, "summit": 1, "meeting": 1}
    assert {r["decade"]: (r["events"], r["projects"]) for r in data["by_decade"]} == {
        "1990s": (0, 1), "2000s": (2, 0), "2010s": (1, 0)}
    table = run_cli("overview", db=small_db)
    assert "Events by type" in table.stdout and "By decade" in table.stdout
    rows = list(csv.DictReader(io.StringIO(run_cli("overview", "--format", "csv", db=small_db).stdout)))
    assert set(rows[0]) == {"section", "key", "count", "events", "projects"}     # one table, one header
    by = {(r["section"], r["key"]): r for r in rows}
    assert by[("records", "events")]["count"] == "3" and by[("type", "summit")]["events"] == "1"
    assert (by[("decade", "1990s")]["events"], by[("decade", "1990s")]["projects"]) == ("0", "1")


def test_missing_database_is_a_clear_error(tmp_path):
    result = run_cli("events", db=tmp_path / "none.duckdb")
    assert result.exit_code == 2
    assert "no database at" in result.stderr and "silkroad build" in result.stderr


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_help_has_a_runnable_example(command):
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert re.search(rf"^\s+(cat .*\| )?silkroad( --db \S+)? {command}\b", result.stdout, re.M)


def test_top_level_help_lists_commands():
    result = run_cli("--help")
    for name in ("build", "validate", "events", "projects", "actors", "sources", "stats"):
        assert name in result.stdout
    assert "silkroad events --country UZ --format json" in result.stdout
    assert set(cli.commands) >= {"build", "validate", "events", "projects", "actors", "sources", "stats", "overview"}


def test_coverage_markdown(small_db, tmp_path):
    out = tmp_path / "coverage.md"
    result = run_cli("coverage", "--out", str(out), db=small_db)
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "| events | 3 |" in text
    assert "| UZ Uzbekistan | 3 | 2 | 1 | 1 |" in text       # 2 events + the 1995 loan, one source
    assert "| events, projects and aid totals with two or more distinct sources | 0 of 4 |" in text
    row = next(line for line in text.splitlines() if line.startswith("| KZ | summit |"))
    assert row.split(" | ")[2:] == ["", "1 (1)", " |"] or "1 (1)" in row


def test_groupings_and_stats_by_group(tmp_path):
    from conftest import FIXTURE_KB
    from silkroad import store

    kb = tmp_path / "kb"
    import shutil
    shutil.copytree(FIXTURE_KB, kb)
    (kb / "groupings.yaml").write_text("""\
groupings:
  - id: grp-test-priority
    title: {en: Core and distant}
    author: shadayeva-2026
    groups: {core: [KZ, UZ, TM], distant: [KG, TJ]}
    evidence:
      - {source: shadayeva-2026, locator: "chars 7889-8079", quote: "Аймақтың орталық елдері"}
""", encoding="utf-8")
    db = tmp_path / "g.duckdb"
    store.build(db, [kb])
    rows = as_json(run_cli("groupings", "--format", "json", db=db))
    assert rows[0]["groups"] == {"core": ["KZ", "TM", "UZ"], "distant": ["KG", "TJ"]}
    stats = as_json(run_cli("stats", "--by", "group", "--grouping", "grp-test-priority", "--currency", "JPY",
                            "--format", "json", db=db))
    by_group = {r["group"]: r for r in stats}
    # core: the Koizumi visit, the Nazarbayev meeting, the 2017 meeting and the 1995 loan
    assert by_group["core"]["records"] == 4 and by_group["core"]["projects"] == 1
    assert by_group["distant"]["records"] == 1               # only the 2017 meeting concerns KG and TJ
    assert by_group["distant"]["pledge_jpy"] == 24e9 == by_group["core"]["pledge_jpy"]
    bad = run_cli("stats", "--by", "group", db=db)
    assert bad.exit_code == 2 and "'group' with --grouping" in bad.stderr


def test_two_groups_cannot_share_a_country(tmp_path):
    from test_validate import problems_for

    lines = problems_for(tmp_path, """\
    groupings:
      - id: grp-bad
        title: {en: Overlapping}
        groups: {a: [KZ, UZ], b: [UZ]}
        evidence: [{source: shadayeva-2026, locator: p. 1, quote: x}]
    """)
    assert "groupings[grp-bad] field groups: UZ is in two groups" in lines[0]


def test_tables_in_kazakh_and_russian(small_db):
    kk = run_cli("--lang", "kk", "events", "--type", "visit", db=small_db)
    assert "Дзюнитиро Коидзуми" in kk.stdout                       # the name in Kazakh
    assert "Prime Minister Koizumi visits" in kk.stdout             # no Kazakh title: English
    ru = run_cli("--lang", "ru", "events", "--country", "TM", "--format", "json", db=small_db)
    assert json.loads(ru.stdout)[0]["participants"][0]["name"] == "Фумио Кисида"
    assert run_cli("--lang", "de", "events", db=small_db).exit_code == 2
