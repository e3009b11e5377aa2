"""`silkroad validate`: one clear line per problem, naming file, line, record and field."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from conftest import FIXTURE_KB, run_cli

GOOD_EVIDENCE = """\
    evidence:
      - source: shadayeva-2026
        locator: "chars 10879-10996"
        quote: "Коидзуми"
"""


# the same evidence at the indentation of an event's fields (as BASE is written)
EVIDENCE = textwrap.dedent(GOOD_EVIDENCE)


def kb_with(tmp_path, text: str, name: str = "extra.yaml"):
    """The small test knowledge base plus one more file holding ``text``."""
    kb = tmp_path / "kb"
    if not kb.exists():
        shutil.copytree(FIXTURE_KB, kb)
    (kb / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return kb


def problems_for(tmp_path, text: str) -> list[str]:
    kb = kb_with(tmp_path, text)
    result = run_cli("validate", "--data", str(kb))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines, "a failing validation must print its problems"
    assert f"{len(lines)} problem(s)" in result.stderr
    return lines


def test_clean_knowledge_base_passes():
    result = run_cli("validate", "--data", str(FIXTURE_KB))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "ok: 4 file(s), 2 sources, 6 actors, 1 initiatives, 3 events, 1 projects" in result.stderr


def event(body: str, id_: str = "evt-2010-test") -> str:
    return f"events:\n  - id: {id_}\n" + textwrap.indent(textwrap.dedent(body), "    ")


BASE = """\
type: visit
date: 2010-05-01
countries: [JP, KZ]
title: {en: A test visit}
"""


@pytest.mark.parametrize("body, line, field, message", [
    # missing pieces of evidence
    (BASE + "evidence:\n  - locator: p. 3\n    quote: x\n", 8, "evidence[0].source", "missing (required)"),
    (BASE + "evidence:\n  - source: shadayeva-2026\n    locator: p. 3\n", 8, "evidence[0].quote", "missing (required)"),
    (BASE + "evidence:\n  - source: shadayeva-2026\n    locator: p. 3\n    quote: '  '\n", 10,
     "evidence[0].quote", "must not be blank"),
    (BASE, 2, "evidence", "missing (required)"),
    (BASE + "evidence: []\n", 7, "evidence", "List should have at least 1 item"),
    # references to records that do not exist
    (BASE + "evidence:\n  - source: no-such-source\n    locator: p. 3\n    quote: x\n", 2,
     "evidence[0].source", "unknown source id 'no-such-source'"),
    (BASE + "participants: [{actor: nobody}]\n" + EVIDENCE, 2,
     "participants[0].actor", "unknown actor id 'nobody'"),
    # bad values
    (BASE.replace("[JP, KZ]", "[JP, XX]") + EVIDENCE, 5,
     "countries", "'XX' is not an ISO 3166 alpha-2 country code"),
    (BASE.replace("[JP, KZ]", "[JP, kz]") + EVIDENCE, 5,
     "countries", "'kz' is not an ISO 3166 alpha-2 country code (two capital letters)"),
    (BASE.replace("2010-05-01", "2010-13") + EVIDENCE, 4,
     "date", "'2010-13': month 13 does not exist"),
    (BASE.replace("2010-05-01", "2011-02-30") + EVIDENCE, 4,
     "date", "'2011-02-30': day 30 does not exist in that month"),
    (BASE.replace("2010-05-01", "May 2010") + EVIDENCE, 4,
     "date", "'May 2010' is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)"),
    # wrong types
    (BASE.replace("type: visit", "type: visitt") + EVIDENCE, 3,
     "type", "'visitt' is not allowed"),
    (BASE.replace("countries: [JP, KZ]", "countries: KZ") + EVIDENCE,
     5, "countries", "Input should be a valid list"),
    (BASE + "amounts: [{value: lots, currency: JPY}]\n" + EVIDENCE,
     7, "amounts[0].value", "Input should be a valid number"),
    (BASE + "amounts: [{value: 5, currency: YEN}]\n" + EVIDENCE,
     7, "amounts[0].currency", "'YEN' is not an ISO 4217 currency code"),
    (BASE + "venue: Astana\n" + EVIDENCE, 7,
     "venue", "unknown field"),
    (BASE + "confidence: low\n" + EVIDENCE, 2,
     "", "confidence: low needs a confidence_note saying why"),
    (BASE.replace("date: 2010-05-01", "date: 2010-05-01\nend_date: 2010-04-30")
     + EVIDENCE, 2, "", "end_date is before date"),
])
def test_each_problem_is_reported_with_file_line_record_and_field(tmp_path, body, line, field, message):
    lines = problems_for(tmp_path, event(body))
    assert len(lines) == 1, lines
    expected_where = f"extra.yaml:{line}: events[evt-2010-test]"
    assert expected_where in lines[0]
    assert (f"field {field}: " if field else "events[evt-2010-test]: ") in lines[0]
    assert message in lines[0]


def test_duplicate_ids_name_both_places(tmp_path):
    text = event(BASE + EVIDENCE, "evt-2006-08-koizumi-visit-kz-uz")
    lines = problems_for(tmp_path, text)
    assert len(lines) == 1
    assert "extra.yaml:2: events[evt-2006-08-koizumi-visit-kz-uz] field id: duplicate id" in lines[0]
    assert "first defined at" in lines[0] and "events.yaml:2" in lines[0]


def test_same_id_in_two_kinds_is_a_problem(tmp_path):
    text = """\
    sources:
      - id: japan
        kind: news
        title: A source sharing an actor's id
        url: https://example.org/a
        language: en
    """
    lines = problems_for(tmp_path, text)
    assert any("[japan] field id: the same id is also used by a record in" in line for line in lines)


def test_project_problems(tmp_path):
    text = """\
    projects:
      - id: prj-kz-test
        title: {en: A test loan}
        donor: nobody
        recipient: KZ
        sector: {name: energy, purpose_code: "21010"}
        instrument: loan
        evidence:
          - source: shadayeva-2026
            locator: p. 1
            quote: x
      - id: prj-kz-test-2
        title: {en: Another}
        donor: japan
        recipient: KZ
        sector: rockets
        instrument: gift
        evidence:
          - source: shadayeva-2026
            locator: p. 1
            quote: x
    """
    lines = problems_for(tmp_path, text)
    joined = "\n".join(lines)
    assert "projects[prj-kz-test] field sector: purpose_code 21010 is not in sector energy (DAC 23xxx)" in joined
    assert "projects[prj-kz-test-2] field sector: unknown sector 'rockets'" in joined
    assert "projects[prj-kz-test-2] field instrument: 'gift' is not allowed" in joined


def test_source_needs_url_or_citation_and_a_language(tmp_path):
    text = """\
    sources:
      - id: bare-source
        kind: news
        title: No way to find it
        language: english
      - id: bare-source-2
        kind: news
        title: No way to find it either
        language: en
    """
    joined = "\n".join(problems_for(tmp_path, text))
    assert "extra.yaml:5: sources[bare-source] field language: 'english' is not an ISO 639-1 language code" in joined
    assert "extra.yaml:6: sources[bare-source-2]: a source needs a url or a full citation" in joined


def test_malformed_yaml_gives_its_line(tmp_path):
    lines = problems_for(tmp_path, "events:\n  - id: evt-x\n    title: {en: unclosed\n    type: visit\n")
    assert len(lines) == 1
    assert "extra.yaml:" in lines[0] and "not valid YAML" in lines[0]


def test_file_that_is_not_utf8(tmp_path):
    kb = kb_with(tmp_path, "")
    (kb / "latin.yaml").write_bytes("events: []\n# Қазақстан\n".encode("utf-16"))
    result = run_cli("validate", "--data", str(kb))
    assert result.exit_code == 1
    assert "latin.yaml: not UTF-8 text (byte 0): save the file as UTF-8" in result.stdout


def test_file_of_the_wrong_shape(tmp_path):
    lines = problems_for(tmp_path, "- just\n- a list\n")
    assert "a knowledge-base file must be a mapping of record kinds" in lines[0]
    lines = problems_for(tmp_path, "happenings: []\n")
    assert "extra.yaml:1: field happenings: unknown record kind" in lines[0]


def test_all_problems_are_reported_not_just_the_first(tmp_path):
    text = event(BASE.replace("visit", "visitt").replace("2010-05-01", "2010-13"))
    lines = problems_for(tmp_path, text)
    assert len(lines) == 3  # type, date, evidence


def test_missing_data_folder_is_a_usage_error(tmp_path):
    result = run_cli("validate", "--data", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_conflicts_are_listed(tmp_path):
    text = """\
    events:
      - id: evt-2010-05-conflicting
        type: visit
        date: 2010-05-01
        countries: [JP, KZ]
        title: {en: A visit whose date two sources give differently}
        evidence:
          - source: shadayeva-2026
            locator: p. 1
            quote: first
        conflicts:
          - field: date
            value: 2010-05-02
            evidence: {source: pollmann-2015-diplomat, locator: para 4, quote: second}
    """
    kb = kb_with(tmp_path, text)
    result = run_cli("validate", "--data", str(kb), "--conflicts")
    assert result.exit_code == 0, result.output
    assert ("conflict: events[evt-2010-05-conflicting] field date: shown 2010-05-01 (from shadayeva-2026); "
            "pollmann-2015-diplomat says 2010-05-02 (para 4: \"second\")") in result.stdout
    assert "1 conflict(s)" in result.stderr


def test_conflict_rule_shows_the_funders_value(tmp_path):
    """When the funder's own source disagrees, its value must be the one shown."""
    text = """\
    sources:
      - id: mofa-test-page
        kind: press_release
        title: A ministry page
        publisher: Ministry of Foreign Affairs of Japan
        url: https://example.org/mofa
        language: en
    events:
      - id: evt-2010-05-ranked
        type: visit
        date: 2010-05-01
        countries: [JP, KZ]
        title: {en: A visit}
        evidence:
          - {source: shadayeva-2026, locator: p. 1, quote: first}
        conflicts:
          - field: date
            value: 2010-05-03
            evidence: {source: mofa-test-page, locator: para 2, quote: second}
    """
    lines = problems_for(tmp_path, text)
    assert len(lines) == 1
    assert "events[evt-2010-05-ranked] field conflicts[0]: source 'mofa-test-page' outranks" in lines[0]
    # the other way round is the rule followed
    fixed = text.replace("source: shadayeva-2026", "source: SWAP").replace(
        "source: mofa-test-page", "source: shadayeva-2026").replace("source: SWAP", "source: mofa-test-page")
    kb = kb_with(tmp_path / "second", fixed)
    assert run_cli("validate", "--data", str(kb)).exit_code == 0


def test_one_page_is_one_source(tmp_path):
    text = """\
    sources:
      - id: diplomat-again
        kind: news
        title: The same article under another id
        url: http://thediplomat.com/2015/10/what-did-abe-accomplish-in-central-asia
        language: en
    """
    lines = problems_for(tmp_path, text)
    assert len(lines) == 1
    # files load in name order, so the later one (sources.yaml) is the duplicate
    assert "sources[pollmann-2015-diplomat] field url: the same page is already source 'diplomat-again'" in lines[0]
