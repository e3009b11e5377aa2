"""Review: candidates become valid knowledge-base records; duplicates get the evidence."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from silkroad import kb as kbmod
from silkroad.extract import review
from silkroad.extract.commands import review as review_cmd

CAND = {"doc": "news/kabar-2020.txt", "event_type": "grant", "date": "2020-08-13", "countries": ["JP", "KG"],
        "actors": [], "amount": 305e6, "currency": "JPY", "sector": None,
        "evidence": "Правительство Японии приняло решение предоставить безвозмездную помощь Кыргызстану",
        "start": 120, "end": 205, "confidence": 0.85, "lang": "ru"}


@pytest.fixture
def kb_dir(tmp_path):
    d = tmp_path / "kb"
    d.mkdir()
    (d / "events.yaml").write_text(textwrap.dedent("""\
        # a curated file; its comments must survive
        sources:
          - id: mofa-2017-caj
            kind: press_release
            title: Sixth meeting
            url: https://www.mofa.go.jp/
            language: en
        events:
          - id: evt-2017-05-caj-fmm-6
            type: meeting
            date: 2017-05
            countries: [JP, KZ, KG, TJ, TM, UZ]
            title: {en: Sixth foreign ministers' meeting}
            evidence:
              - source: mofa-2017-caj
                locator: para 3
                quote: "the sixth meeting"
        """), encoding="utf-8")
    return d


def test_accept_writes_a_valid_record(kb_dir):
    rid = review.accept_candidate(CAND, kb_dir)
    base, problems = kbmod.load([kb_dir])
    assert problems == []
    ev = base.events[rid]
    assert ev.type == "grant" and str(ev.date) == "2020-08-13" and ev.countries == ["JP", "KG"]
    assert ev.amounts[0].value == 305e6 and ev.amounts[0].currency == "JPY"
    assert ev.evidence[0].locator == "chars 120-205"
    assert ev.evidence[0].quote.startswith("Правительство Японии")
    src = base.sources[ev.evidence[0].source]
    assert src.language == "ru" and "kabar-2020.txt" in src.citation
    # a second accept of another candidate keeps one source and a new id
    rid2 = review.accept_candidate({**CAND, "start": 300, "end": 350}, kb_dir)
    base, problems = kbmod.load([kb_dir])
    assert problems == [] and rid2 != rid and len(base.sources) == 2


def test_candidate_without_date_needs_an_edit(kb_dir):
    with pytest.raises(ValueError, match="no date"):
        review.accept_candidate({**CAND, "date": None}, kb_dir)
    rid = review.accept_candidate({**CAND, "date": None}, kb_dir, edits={"date": "2020", "title": "JDS grant"})
    base, _ = kbmod.load([kb_dir])
    assert base.events[rid].title.en == "JDS grant"


def test_duplicates_and_adding_evidence(kb_dir):
    cand = {**CAND, "event_type": "meeting", "date": "2017-05", "countries": ["JP", "KZ", "KG", "TJ", "TM", "UZ"],
            "amount": None, "currency": None, "evidence": "Кездесу барысында ол Бірлескен Декларацияға қол қойды.",
            "lang": "kk"}
    assert review.find_duplicates(cand, kb_dir) == ["evt-2017-05-caj-fmm-6"]
    assert review.find_duplicates(CAND, kb_dir) == []
    review.add_evidence("evt-2017-05-caj-fmm-6", cand, kb_dir)
    base, problems = kbmod.load([kb_dir])
    assert problems == []
    quotes = [e.quote for e in base.events["evt-2017-05-caj-fmm-6"].evidence]
    assert quotes == ["the sixth meeting", "Кездесу барысында ол Бірлескен Декларацияға қол қойды."]
    assert "# a curated file" in (kb_dir / "events.yaml").read_text(encoding="utf-8")


def test_review_command_with_scripted_keys(kb_dir, tmp_path):
    cands = tmp_path / "c.jsonl"
    dup = {**CAND, "event_type": "meeting", "date": "2017-05", "countries": ["JP", "KZ", "KG", "TJ", "TM", "UZ"],
           "amount": None, "currency": None}
    rows = [CAND, {**CAND, "event_type": "visit"}, dup, {**CAND, "date": None}]
    cands.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    # accept; reject; accept -> duplicate offered -> yes; edit (type, date, countries, title)
    keys = "a\nr\na\ny\ne\ngrant\n2020-08\nJP KG\nJDS grant 2020\n"
    result = CliRunner().invoke(review_cmd, [str(cands), "--kb", str(kb_dir)], input=keys)
    assert result.exit_code == 0, result.output
    assert "2 accepted, 1 merged, 1 rejected, 0 skipped" in result.output
    base, problems = kbmod.load([kb_dir])
    assert problems == []
    assert len(base.events) == 3
    assert any(e.title.en == "JDS grant 2020" and str(e.date) == "2020-08" for e in base.events.values())
    assert len(base.events["evt-2017-05-caj-fmm-6"].evidence) == 2


def test_help_has_runnable_examples():
    from silkroad.extract.commands import extract

    for cmd in (extract, review_cmd):
        out = CliRunner().invoke(cmd, ["--help"]).output
        assert "Example" in out and "silkroad " in out
