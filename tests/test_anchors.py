"""Known anchors: dates and amounts confirmed by two or more independent sources.

Each anchor names the record, the value it must hold, and for each source the words of its
quote that state that value, so a change of the value or the loss of a source is caught.  A date
anchor of a year or month also holds a more precise date within it (a later source may give the day).
"""

from __future__ import annotations

import pytest

from silkroad import kb as kbmod

# (record id, field, expected value, {source id: [words its quote must contain]})
ANCHORS = [
    ("evt-1991-12-28-jp-recognizes-kz", "date", "1991-12-28", {
        "mfa-kz-tokyo-bilateral-relations": ["December 28, 1991"],
        "jpemb-kz-relations-overview": ["28 December 1991"]}),
    ("evt-1991-uz-recognition", "date", "1991-12-28", {
        "shadayeva-2026": ["1991 жылы мойындап"],
        "uzembassy-jp-political-relations": ["December 28, 1991"]}),
    ("evt-1992-01-26-jp-kz-diplomatic-relations", "date", "1992-01-26", {
        "mfa-kz-tokyo-bilateral-relations": ["January 26, 1992"],
        "jpemb-kz-relations-overview": ["26 January 1992"],
        "kazinform-2017-01-jp-embassy-25-years": ["January 26, 1992"]}),
    ("evt-1992-02-02-jp-tj-diplomatic-relations", "date", "1992-02-02", {
        "asiaplus-2018-10-rahmon-flies-japan": ["February 2, 1992"],
        "casian-2022-02-tj-jp-30-years": ["2 февраля 1992 года"]}),
    ("evt-2002-07-29-strategic-partnership-statement", "date", "2002-07-29", {
        "mfa-uz-japan-political-cooperation": ["July 29, 2002"],
        "uzembassy-jp-political-relations": ["July 29, 2002"]}),
    ("evt-2024-11-08-meredov-iwaya-phone", "date", "2024-11-08", {
        "nca-2024-11-meredov-iwaya-phone": ["8 November 2024"],
        "atavatan-2024-11-meredov-iwaya-phone": ["8 November 2024"]}),
    ("evt-2011-jp-uz-summit-karimov", "date", "2011", {
        "shadayeva-2026": ["2011", "Ислам Каримов"],
        "mfa-uz-japan-political-cooperation": ["2011", "Karimov"]}),
    ("evt-2008-jp-kz-summit-nazarbayev", "date", "2008", {
        "shadayeva-2026": ["2008", "Назарбаев"],
        "mfa-kz-tokyo-bilateral-relations": ["2008", "Nazarbayev"]}),
    ("prj-tj-dushanbe-airport-improvement-1", "amount", (1.914e9, "JPY"), {
        "eadaily-2018-06-dushanbe-cargo-terminal": ["1 млрд 914 млн йен"],
        "newstj-2018-06-cargo-terminal-opens": ["1.914 billion yens"]}),
]


@pytest.fixture(scope="module")
def kb():
    base, problems = kbmod.load()
    assert not problems
    return base


@pytest.mark.parametrize("rid, field, expected, quotes", ANCHORS, ids=[a[0] for a in ANCHORS])
def test_anchor(kb, rid, field, expected, quotes):
    record = kb.events.get(rid) or kb.projects.get(rid)
    assert record is not None, f"anchor record {rid} is missing"
    if field == "date":
        assert record.date == expected or record.date.startswith(expected + "-"), record.date
    else:
        assert (expected[0], expected[1]) in {(a.value, a.currency) for a in record.amounts}
    assert len({e.source for e in record.evidence}) >= 2
    cited = {}
    for ev in record.evidence:
        cited.setdefault(ev.source, []).append(ev.quote)
    for source, words in quotes.items():
        assert source in cited, f"{rid} no longer cites {source}"
        for word in words:
            assert any(word in q for q in cited[source]), f"{rid}: {source}'s quote does not say {word!r}"
