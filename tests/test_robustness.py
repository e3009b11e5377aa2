"""Plausible misuse and odd inputs: clear errors, no double counting, no lost data."""

from __future__ import annotations

import json
import shutil

import duckdb

from conftest import FIXTURE_KB, run_cli
from silkroad import store


def test_a_file_that_is_not_a_database(tmp_path):
    bogus = tmp_path / "x.duckdb"
    bogus.write_text("hello\n", encoding="utf-8")
    result = run_cli("events", db=bogus)
    assert result.exit_code == 1
    assert "cannot open" in result.stderr and "silkroad --db" in result.stderr


def test_a_database_of_another_schema(small_db):
    con = duckdb.connect(str(small_db))
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    result = run_cli("overview", db=small_db)
    assert result.exit_code == 1
    assert "has schema 1, this silkroad needs schema" in result.stderr


def test_an_empty_duckdb_file(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = run_cli("sources", db=empty)
    assert result.exit_code == 1 and "no silkroad schema" in result.stderr


def test_search_text_is_literal_not_a_pattern(small_db):
    def ids(text):
        out = run_cli("events", "--search", text, "--format", "json", db=small_db)
        return [r["id"] for r in json.loads(out.stdout)]

    assert ids("_") == []                      # no title or quote has an underscore
    assert ids("%") == []
    assert ids("КИШИДА") == ["evt-2017-05-caj-fmm-6"]   # case-insensitive in Cyrillic


def test_sector_filter_matches_names_codes_and_whole_groups(small_db):
    def ids(sector):
        out = run_cli("projects", "--sector", sector, "--format", "json", db=small_db)
        return [r["id"] for r in json.loads(out.stdout)]

    assert ids("budget_support") == ["prj-uz-1995-loan"]
    assert ids("51") == ["prj-uz-1995-loan"]
    assert ids("commodity aid and general programme assistance") == ["prj-uz-1995-loan"]
    assert ids("aid") == []                   # part of a group name is not a group


def kb_copy(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, kb)
    return kb


def test_an_event_recording_a_projects_signing_does_not_add_its_money_twice(tmp_path):
    kb = kb_copy(tmp_path)
    (kb / "signing.yaml").write_text("""\
projects:
  - id: prj-kz-test-loan
    title: {en: A test loan}
    donor: japan
    recipient: KZ
    sector: transport
    instrument: loan
    dates: {signed: 2010-08-23}
    amounts: [{value: 6.361e9, currency: JPY, kind: commitment, year: 2010}]
    evidence: [{source: shadayeva-2026, locator: p. 1, quote: x}]
events:
  - id: evt-2010-08-23-test-signing
    type: loan
    date: 2010-08-23
    countries: [JP, KZ]
    projects: [prj-kz-test-loan]
    title: {en: The loan agreement is signed}
    amounts: [{value: 6.361e9, currency: JPY, kind: commitment}]
    evidence: [{source: shadayeva-2026, locator: p. 1, quote: x}]
""", encoding="utf-8")
    db = tmp_path / "s.duckdb"
    store.build(db, [kb])
    rows = json.loads(run_cli("stats", "--by", "country", "--currency", "JPY", "--format", "json", db=db).stdout)
    kz = next(r for r in rows if r["country"] == "KZ")
    assert kz["commitment_jpy"] == 6.361e9            # once, not twice
    assert kz["records"] == 5                         # the event and the project are both counted as records
    listed = json.loads(run_cli("events", "--search", "loan agreement", "--format", "json", db=db).stdout)
    assert listed[0]["amounts"][0]["value"] == 6.361e9   # the listing still shows the event's amount


def test_conflict_values_come_back_as_values(tmp_path):
    kb = kb_copy(tmp_path)
    (kb / "conflict.yaml").write_text("""\
events:
  - id: evt-1997-test-opening
    type: other
    date: 1996-02
    countries: [JP, KZ]
    title: {en: An embassy opens}
    evidence: [{source: shadayeva-2026, locator: p. 1, quote: x}]
    conflicts:
      - {field: date, value: 1997, evidence: {source: pollmann-2015-diplomat, locator: para 2, quote: y}}
""", encoding="utf-8")
    db = tmp_path / "c.duckdb"
    store.build(db, [kb])
    (row,) = json.loads(run_cli("events", "--search", "embassy opens", "--format", "json", db=db).stdout)
    assert row["conflicts"] == [{"field": "date", "source_id": "pollmann-2015-diplomat", "locator": "para 2",
                                 "quote": "y", "value": 1997}]


def test_build_into_a_folder_whose_name_has_an_apostrophe(tmp_path):
    db = tmp_path / "it's here" / "kb.duckdb"
    for _ in range(2):                      # the second build reads the first one's imports
        result = run_cli("build", "--data", str(FIXTURE_KB), db=db)
        assert result.exit_code == 0, result.output
    assert "events" in run_cli("overview", db=db).stdout.lower()


def test_coverage_and_stats_after_importing_multi_country_activities(small_db, real_data):
    xml = real_data / "iati_activities" / "dportal_covid19_central_asia_activities_2021.xml"
    assert run_cli("import", "iati", str(xml), db=small_db).exit_code == 0
    result = run_cli("coverage", db=small_db)
    assert result.exit_code == 0, result.output
    # a project is under "(several or no country)" only when no recipient-country of it has a code (an empty
    # code, as on line 42480 of this file, is no country)
    import xml.etree.ElementTree as ET

    countryless = [a for a in ET.parse(xml).getroot().iter("iati-activity")
                   if not any(r.get("code") for r in a.findall("recipient-country"))]
    assert ("(several or no country)" in result.stdout) == bool(countryless)
    rows = json.loads(run_cli("stats", "--by", "origin", "--format", "json", db=small_db).stdout)
    assert {r["origin"]: r["projects"] for r in rows}["iati"] == 208
    # a multi-country activity counts under each of its countries, in listings and in stats alike
    by_country = json.loads(run_cli("stats", "--by", "origin,country", "--format", "json", db=small_db).stdout)
    for cc in ("KZ", "UZ", "KG", "TJ", "TM"):
        listed = json.loads(run_cli("projects", "--origin", "iati", "--country", cc, "--format", "json",
                                    db=small_db).stdout)
        counted = next(r["projects"] for r in by_country if r["origin"] == "iati" and r["country"] == cc)
        assert counted == len(listed), cc


def test_review_rejects_a_broken_candidates_file_with_its_line(tmp_path):
    good = {"doc": "a.txt", "event_type": "visit", "date": "2019-05-18", "countries": ["JP", "TJ"],
            "evidence": "x", "start": 0, "end": 1, "confidence": 0.9}
    bad = tmp_path / "cands.jsonl"
    bad.write_text(json.dumps(good) + "\n" + '{"doc": "b.txt", "event_type": "vis', encoding="utf-8")
    kb = kb_copy(tmp_path)
    result = run_cli("review", str(bad), "--kb", str(kb), input="q\n")
    assert result.exit_code == 1
    assert "cands.jsonl:2: not a JSON object" in result.stderr
    bad.write_text(json.dumps({"doc": "x"}) + "\n", encoding="utf-8")
    result = run_cli("review", str(bad), "--kb", str(kb), input="q\n")
    assert result.exit_code == 1 and "cands.jsonl:1: candidate lacks event_type, evidence, start, end" in result.stderr
    assert run_cli("review", str(bad), "--kb", str(tmp_path / "nowhere")).exit_code == 2


def test_two_documents_with_one_name_are_two_sources():
    from silkroad.extract.review import source_for

    a = source_for({"doc": "docs/a/news.txt"})
    b = source_for({"doc": "docs/b/news.txt"})
    assert a["id"] != b["id"] and a["id"].startswith("doc-news-")
    assert source_for({"doc": "docs/a/news.txt"})["id"] == a["id"]      # stable for the same document


def test_a_doctype_behind_a_large_comment_is_still_refused(small_db, tmp_path):
    xml = tmp_path / "hidden.xml"
    xml.write_text('<?xml version="1.0"?>\n<!-- ' + "padding <a> " * 10000 + '-->\n'
                   '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n'
                   '<iati-activities version="2.03"><iati-activity><iati-identifier>&lol2;</iati-identifier>'
                   '</iati-activity></iati-activities>\n', encoding="utf-8")
    before = run_cli("projects", "--format", "json", db=small_db).stdout
    result = run_cli("import", "iati", str(xml), db=small_db)
    assert result.exit_code == 1
    assert "DTD" in result.output and "hidden.xml:3" in result.output
    assert run_cli("projects", "--format", "json", db=small_db).stdout == before


def test_extract_exit_codes(tmp_path):
    ok = tmp_path / "ok.txt"
    ok.write_text("Жапония Сыртқы істер министрі 2019 жылы 5 мамырда Қазақстанға сапармен келді.\n", encoding="utf-8")
    both = run_cli("extract", str(ok), str(tmp_path / "missing.txt"))
    assert both.exit_code == 2 and "missing.txt: no such file, skipped" in both.stderr
    assert '"event_type": "visit"' in both.stdout            # the readable file was still read
    assert run_cli("extract", str(ok)).exit_code == 0
    bad_date = run_cli("extract", "--doc-date", "2024-13-45", str(ok))
    assert bad_date.exit_code == 2 and "month 13 does not exist" in bad_date.stderr


def test_one_writer_at_a_time(small_db, real_data):
    """While a build (or import) holds the database, another build or import says so and waits for nothing."""
    from silkroad.store import writing

    xml = real_data / "iati_activities" / "mofa_japan_activity_XM-DAC-701-2-2020003078.xml"
    with writing(small_db):
        build = run_cli("build", "--data", str(FIXTURE_KB), db=small_db)
        assert build.exit_code == 1 and "another silkroad build or import is writing" in build.stderr
        imp = run_cli("import", "iati", str(xml), db=small_db)
        assert imp.exit_code == 1 and "another silkroad build or import is writing" in imp.output
    assert run_cli("import", "iati", str(xml), db=small_db).exit_code == 0


def test_a_meeting_known_only_to_lie_between_two_dates(tmp_path):
    """``date: A/B`` records a sourced meeting whose day no source gives: listed with its interval,
    sorted by its first day, counted as undated by year, and a reversed interval is refused."""
    kb = kb_copy(tmp_path)
    before_db = tmp_path / "b.duckdb"
    store.build(before_db, [kb])
    (kb / "interval.yaml").write_text("""\
events:
  - id: evt-test-som-15
    type: meeting
    date: 2021-06-17/2022-12
    countries: [JP, KZ, UZ]
    title: {en: A senior officials' meeting known only from a later count}
    evidence: [{source: shadayeva-2026, locator: p. 1, quote: x}]
    confidence: low
    confidence_note: the count of meetings is sourced, the date is not
""", encoding="utf-8")
    db = tmp_path / "i.duckdb"
    store.build(db, [kb])
    (row,) = json.loads(run_cli("events", "--search", "known only from", "--format", "json", db=db).stdout)
    assert row["date"] == "2021-06-17/2022-12" and row["date_precision"] == "interval"

    def found(*years):
        out = run_cli("events", "--search", "known only from", *years, "--format", "json", db=db).stdout
        return [r["id"] for r in json.loads(out)]

    assert found("--since", "2022") == found("--until", "2021") == found("--since", "2022", "--until", "2022") \
        == ["evt-test-som-15"]                               # in every range the interval overlaps
    assert found("--until", "2020") == found("--since", "2023") == []

    def events_by_year(path):
        rows = json.loads(run_cli("stats", "--by", "year", "--format", "json", db=path).stdout)
        return {r["year"]: r["events"] for r in rows}

    before, after = events_by_year(before_db), events_by_year(db)
    assert after.pop(None) == before.pop(None, 0) + 1        # one more undated event, no year changed
    assert after == before
    (kb / "interval.yaml").write_text((kb / "interval.yaml").read_text().replace("2021-06-17/2022-12",
                                                                                  "2022-12/2021-06"))
    result = run_cli("validate", "--data", str(kb))
    assert result.exit_code == 1
    assert "interval.yaml:4" in result.stdout + result.stderr and "ends before it starts" in result.stdout + result.stderr


def test_import_into_a_database_of_another_schema_says_to_build(small_db, tmp_path):
    con = duckdb.connect(str(small_db))
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    crs = tmp_path / "crs.txt"
    crs.write_text("Year|DonorCode|RecipientCode|USD_Commitment|USD_Disbursement\n2020|701|613|1.0|\n",
                   encoding="utf-8")
    for args in (("import", "crs", str(crs)), ("import", "remove", "crs.txt")):
        result = run_cli(*args, db=small_db)
        assert result.exit_code == 2, result.output
        assert "has schema 2" in result.stderr and "build` first" in result.stderr
        assert "Traceback" not in result.stderr
