"""`silkroad import iati`: the real IATI files of ../shared, bad input, idempotence, atomicity, build."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from silkroad import store
from silkroad.cli import cli

KB_SMALL = Path(__file__).parent / "fixtures" / "kb_small"
DPORTAL = "iati_activities/dportal_covid19_central_asia_activities_2021.xml"
MOFA = "iati_activities/mofa_japan_activity_XM-DAC-701-2-2020003078.xml"


def build_db(path: Path) -> Path:
    store.build(path, [KB_SMALL])
    return path


def run(db: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def dump(db: Path) -> dict[str, list]:
    """Every table's rows, sorted: two equal dumps mean two equal databases."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in sorted(tables)}
    finally:
        con.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "kb.duckdb")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from conftest import REAL as real_data

    if not real_data.is_dir():
        pytest.skip(f"real data not found at {real_data} (../shared is absent in this checkout)")
    path = build_db(tmp_path_factory.mktemp("iati") / "kb.duckdb")
    result = run(path, "import", "iati", str(real_data / DPORTAL), str(real_data / MOFA))
    assert result.exit_code == 0, result.output
    return path, result


def test_counts_match_an_independent_count(imported, real_data: Path):
    db, result = imported
    root = ET.parse(real_data / DPORTAL).getroot()
    acts = root.findall("iati-activity")
    assert len(acts) == 208
    n_tx = sum(len(a.findall("transaction")) for a in acts)
    assert n_tx == 1476
    assert "read 208, imported 208" in result.output
    assert "1476 transactions" in result.output
    con = duckdb.connect(str(db), read_only=True)
    imp = con.execute("SELECT import_id FROM imports WHERE file_name = ?", [Path(DPORTAL).name]).fetchone()[0]
    assert con.execute("SELECT count(*) FROM projects WHERE import_id = ?", [imp]).fetchone()[0] == 208
    assert con.execute("SELECT count(*) FROM transactions WHERE import_id = ?", [imp]).fetchone()[0] == 1476
    by_type = dict(con.execute("SELECT type_code, count(*) FROM transactions WHERE import_id = ? GROUP BY 1",
                               [imp]).fetchall())
    assert by_type == {"4": 733, "2": 231, "11": 198, "3": 191, "1": 104, "5": 19}

    # commitment totals per recipient country and currency, straight from the XML
    expected: dict[tuple, float] = defaultdict(float)
    for a in acts:
        countries = [r.get("code") for r in a.findall("recipient-country")]
        if len(countries) != 1:
            continue
        for t in a.findall("transaction"):
            if t.find("transaction-type").get("code") == "2":
                v = t.find("value")
                expected[(countries[0], v.get("currency") or a.get("default-currency"))] += float(v.text)
    got = dict(((r, c), v) for r, c, v in con.execute(
        "SELECT p.recipient, t.currency, sum(t.value) FROM transactions t JOIN projects p ON p.id = t.project_id "
        "WHERE t.import_id = ? AND t.type_code = '2' AND p.recipient IS NOT NULL GROUP BY 1, 2", [imp]).fetchall())
    assert got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k]), k
    # commitments and disbursements are separate amounts, never summed into one
    kinds = dict(con.execute("SELECT a.kind, count(*) FROM all_amounts a JOIN projects p ON p.id = a.record_id "
                             "WHERE p.import_id = ? GROUP BY 1", [imp]).fetchall())
    assert kinds == {"commitment": 231, "disbursement": 191}
    # multi-country activities keep every country with its percentage
    multi = con.execute("SELECT count(DISTINCT project_id) FROM project_recipients WHERE import_id = ? "
                        "AND kind = 'country' GROUP BY ALL HAVING count(*) > 1", [imp]).fetchall()
    assert con.execute("SELECT count(*) FROM (SELECT project_id FROM project_recipients WHERE import_id = ? AND "
                       "kind = 'country' GROUP BY 1 HAVING count(*) > 1)", [imp]).fetchone()[0] == 4
    del multi
    con.close()


def test_imported_projects_show_in_listings_and_link(imported):
    db, _ = imported
    import json

    rows = json.loads(run(db, "projects", "--country", "KZ", "--format", "json").output)
    origins = {r["origin"] for r in rows}
    assert origins == {"curated", "iati"}
    iati = [r for r in rows if r["origin"] == "iati"]
    assert all(r["sources"] and r["sources"][0]["id"].startswith("import-iati-") for r in iati)
    assert all("line" in r["sources"][0]["locator"] for r in iati)
    con = duckdb.connect(str(db), read_only=True)
    links = dict(con.execute("SELECT project_id, linked_to FROM project_links").fetchall())
    con.close()
    assert links == {"iati:46004-54188-001-LN3940": "prj-kz-2020-adb-active-response",
                     "iati:41AAA-22709-001": "prj-uz-2020-covid-procurement"}
    stats = run(db, "stats", "--by", "origin", "--format", "json")
    assert {r["origin"] for r in json.loads(stats.output)} >= {"curated", "iati"}


def test_mofa_yen_as_usd_is_a_located_warning(db: Path, real_data: Path):
    result = run(db, "import", "iati", str(real_data / MOFA))
    assert result.exit_code == 0
    assert f"{real_data / MOFA}:27: field transaction/value: implausible value 200,000,000,000 USD" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM import_warnings WHERE line = 27").fetchone()[0] == 1
    con.close()


def test_elements_without_a_code_are_located_warnings(imported, real_data: Path):
    """The real d-portal file has DAC sectors and a recipient country without a code: the warning says the
    code is missing (not "unknown code None") at the first such element's line, with how many there are."""
    from lxml import etree

    missing: dict[str, list[int]] = defaultdict(list)
    for el in etree.parse(str(real_data / DPORTAL)).iter("sector", "recipient-country"):
        # the activity's own (a transaction may have sectors too; the importer reads the activity's)
        if el.getparent().tag == "iati-activity" and not el.get("code") and el.get("vocabulary", "1") == "1":
            missing[el.tag].append(el.sourceline)
    assert set(missing) == {"sector", "recipient-country"}, "the file was expected to have both"
    path, result = imported
    con = duckdb.connect(str(path), read_only=True)
    got = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT field, line, count FROM import_warnings WHERE message LIKE '% without a code (row kept)' "
        "AND field IN ('sector/@code', 'recipient-country/@code')").fetchall()}
    con.close()
    assert got == {f"{tag}/@code": (min(lines), len(lines)) for tag, lines in missing.items()}
    for tag, lines in missing.items():
        assert f"{real_data / DPORTAL}:{min(lines)}: field {tag}/@code: {tag} without a code" in result.output


def test_flagged_amount_is_listed_but_not_summed(imported):
    """MOFA's 200,000,000,000 'USD' commitment (yen, by the look of it) stays on its project with a note, and
    `stats` leaves it out of the sums and counts it as left out, instead of a 200-billion-dollar total."""
    db, _ = imported
    con = duckdb.connect(str(db), read_only=True)
    # stats counts an imported copy of a curated project once (as the curated one): linked ones are left out
    kept, flagged = con.execute(
        "SELECT sum(value_usd) FILTER (WHERE abs(value_usd) <= 1e10), count(*) FILTER (WHERE abs(value_usd) > 1e10) "
        "FROM transactions WHERE type_code = '2' AND project_id NOT IN (SELECT project_id FROM project_links)"
    ).fetchone()
    con.close()
    assert flagged == 1
    stats = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
    iati_row = next(r for r in stats if r["origin"] == "iati")
    assert iati_row["left_out"] == 1
    assert iati_row["commitment_usd"] == pytest.approx(kept, abs=0.01)
    assert all(r["left_out"] == 0 for r in stats if r["origin"] != "iati")
    listed = json.loads(run(db, "projects", "--origin", "iati", "--format", "json").output)
    [mofa] = [p for p in listed if p["id"] == "iati:XM-DAC-701-2-2020003078"]
    [amount] = mofa["amounts"]
    assert amount["value"] == 200_000_000_000 and "left out of sums" in amount["note"]
    assert amount["left_out"] == "implausible, flagged when imported"
    csv_out = run(db, "projects", "--origin", "iati", "--donor", "japan", "--format", "csv").output
    assert "200000000000 USD commitment 2020 (implausible, flagged when imported; not summed)" in csv_out
    table = run(db, "projects", "--origin", "iati", "--donor", "japan").output     # wrapped inside its cell
    assert "(implausible," in table and "summed)" in table


def test_donor_is_a_state_actor_a_dac_name_or_the_reporting_organisation(imported, real_data: Path):
    """Donors compare across datasets: a government ref becomes the KB's state actor or the country's OECD DAC
    name (as the CRS importer shows it); any other organisation is shown by its own name, not its ref."""
    db, _ = imported
    con = duckdb.connect(str(db), read_only=True)
    donor = dict(con.execute("SELECT agency, any_value(donor) FROM projects WHERE origin = 'iati' GROUP BY 1").fetchall())
    con.close()
    assert donor["XM-DAC-701-2"] == "japan"              # MOFA: the KB's Japan
    assert donor["CH-4"] == "Switzerland"                 # SDC: no KB actor, the DAC list's name for CH
    names = {}
    for a in ET.parse(real_data / DPORTAL).getroot().iter("reporting-org"):
        names.setdefault(a.get("ref"), a.find("narrative").text.strip())
    assert donor["41AAA"] == names["41AAA"] == "United Nations Office for Project Services"
    assert not [ref for ref, d in donor.items() if d == ref], "a donor shown as a bare ref"


def test_sectors_given_on_transactions_are_the_activitys(imported, real_data: Path):
    """IATI 2.x puts sectors on the activity or on its transactions.  WHO's COVID-19 activities for the five
    states (and a CERF one) have them only on transactions: they still get their sectors and purpose code."""
    from collections import Counter

    expected = {}
    for a in ET.parse(real_data / DPORTAL).getroot().iter("iati-activity"):
        on_tx = [(s.get("vocabulary") or "1", s.get("code")) for s in a.findall("transaction/sector")]
        if on_tx and not a.findall("sector"):
            dac = Counter(code for vocab, code in on_tx if vocab == "1" and code)
            expected[f"iati:{a.findtext('iati-identifier').strip()}"] = (set(on_tx), dac.most_common(1)[0][0])
    assert len(expected) == 6
    db, _ = imported
    con = duckdb.connect(str(db), read_only=True)
    for pid, (pairs, purpose) in expected.items():
        rows = con.execute("SELECT vocabulary, code, percentage FROM project_sectors WHERE project_id = ?",
                           [pid]).fetchall()
        assert {(v, c) for v, c, _ in rows} == pairs and all(p is None for _, _, p in rows), pid
        assert con.execute("SELECT purpose_code FROM projects WHERE id = ?", [pid]).fetchone()[0] == purpose
    con.close()


def test_finance_type_given_on_transactions_decides_the_instrument(imported, real_data: Path):
    """IATI 2.x may give the finance type on each transaction instead of a default-finance-type: EBRD's loans
    (411 on every transaction) are loans, not 'other'."""
    from collections import Counter

    def instrument(code: str) -> str:      # the FinanceType codelist's ranges: 1xx-2xx grants, 4xx loans
        n = int(code)
        return ("loan" if 400 <= n < 500 else "grant" if 100 <= n < 300 else
                "investment" if 500 <= n < 700 else "other")

    expected = {}
    for a in ET.parse(real_data / DPORTAL).getroot().iter("iati-activity"):
        codes = Counter(f.get("code") for f in a.findall("transaction/finance-type") if f.get("code"))
        aid = [t.get("code") for t in a.findall("default-aid-type") + a.findall("transaction/aid-type")]
        if codes and a.find("default-finance-type") is None and not any((c or "").startswith("D") for c in aid):
            expected[f"iati:{a.findtext('iati-identifier').strip()}"] = instrument(codes.most_common(1)[0][0])
    assert sum(1 for pid in expected if "EBRD" in pid) == 13 and set(expected.values()) >= {"loan", "grant"}
    db, _ = imported
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT id, instrument FROM projects WHERE origin = 'iati'").fetchall())
    con.close()
    assert {pid: got[pid] for pid in expected} == expected


def test_amount_year_is_the_transaction_date_and_the_value_date_picks_the_rate(imported, real_data: Path):
    """The EC and the EBRD set every value-date to the day they published (2021): a commitment made in 2015
    is a 2015 amount, converted at the value date's rate, as IATI defines value-date."""
    from silkroad import money

    moved = {}
    for a in ET.parse(real_data / DPORTAL).getroot().iter("iati-activity"):
        pid = f"iati:{a.findtext('iati-identifier').strip()}"
        for seq, t in enumerate(a.findall("transaction")):
            tdate, value = t.find("transaction-date"), t.find("value")
            if (tdate is not None and value is not None
                    and value.get("value-date", "")[:4] != tdate.get("iso-date")[:4]):
                currency = value.get("currency") or a.get("default-currency")
                rate = money.to_usd(1.0, currency, int(value.get("value-date")[:4])).rate
                moved[(pid, seq)] = (int(tdate.get("iso-date")[:4]), rate)
    assert len(moved) > 50
    db, _ = imported
    con = duckdb.connect(str(db), read_only=True)
    got = {(pid, seq): (year, rate) for pid, seq, year, rate in
           con.execute("SELECT project_id, seq, year, usd_rate FROM transactions").fetchall()}
    con.close()
    assert {k: got[k][0] for k in moved} == {k: year for k, (year, _) in moved.items()}
    assert {k: got[k][1] for k in moved} == pytest.approx({k: rate for k, (_, rate) in moved.items()})


def test_kept_rows_with_gaps_list_and_bad_dates_are_warned(db: Path, real_data: Path, tmp_path: Path):
    """A transaction kept without a currency still lists (table and CSV), and dates that are no dates
    (month 13) are located warnings, not silently stored or dropped."""
    text = (real_data / MOFA).read_text(encoding="utf-8")
    text = text.replace('default-currency="USD"', "").replace('currency="USD"', "")
    assert 'currency="' not in text
    text = re.sub(r'(<activity-date[^>]*iso-date=")[^"]*"', r'\g<1>2020-13-45"', text, count=1)
    path = tmp_path / "gaps.xml"
    path.write_text(text, encoding="utf-8")
    result = run(db, "import", "iati", str(path))
    assert result.exit_code == 0, result.output
    assert "no currency and no default-currency (row kept)" in result.output
    assert "field activity-date/@iso-date: '2020-13-45' is not a date (left out)" in " ".join(result.output.split())
    for fmt in ("table", "csv"):
        listed = run(db, "projects", "--origin", "iati", "--format", fmt)
        assert listed.exit_code == 0 and "(no currency)" in listed.output, listed.output


def test_an_overlapping_second_file_does_not_double_the_totals(db: Path, real_data: Path, tmp_path: Path):
    """The same activities in another file (here the d-portal file re-encoded as UTF-16) are kept as
    iati:<id>~2, linked to the first copies and left out of sums; unlinking one makes it count."""
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    stats = lambda: next(r for r in json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
                         if r["origin"] == "iati")
    once = stats()
    copy = tmp_path / "copy-utf16.xml"
    copy.write_text((real_data / DPORTAL).read_text(encoding="utf-8"), encoding="utf-16")
    result = run(db, "import", "iati", str(copy))
    assert result.exit_code == 0 and "208 duplicate identifier(s)" in result.output
    linked = re.search(r"linked (\d+) imported project\(s\)", " ".join(result.output.split()))
    assert linked and int(linked.group(1)) >= 208      # and any the title or id rules link to curated ones
    assert stats() == once
    listed = json.loads(run(db, "projects", "--origin", "iati", "--format", "json").output)
    [twin] = [p for p in listed if p["id"] == "iati:41AAA-22709-001~2"]
    assert twin["linked_to"] == ["iati:41AAA-22709-001"]
    assert run(db, "import", "unlink", "iati:41AAA-22709-001~2").exit_code == 0
    assert stats()["projects"] == once["projects"] + 1


def test_dry_run_without_a_database_fails_like_the_import(tmp_path: Path, real_data: Path):
    missing = tmp_path / "none.duckdb"
    for extra in ([], ["--dry-run"]):
        result = run(missing, "import", "iati", *extra, str(real_data / MOFA))
        assert result.exit_code == 2 and "no database at" in result.output, (extra, result.output)
    assert not missing.exists()


def test_multilateral_donors_are_the_knowledge_bases_bodies(tmp_path: Path, real_data: Path):
    """With the bundled knowledge base, UNDP's activities (reporting-org XM-DAC-41114, named "United Nations
    Development Programme") have the donor `undp`, so `projects --donor undp` finds them."""
    db = tmp_path / "kb.duckdb"
    store.build(db)
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    undp = [a for a in ET.parse(real_data / DPORTAL).getroot().iter("iati-activity")
            if a.find("reporting-org").get("ref") == "XM-DAC-41114"]
    listed = json.loads(run(db, "projects", "--donor", "undp", "--origin", "iati", "--format", "json").output)
    assert len(listed) == len(undp) > 0


def test_reimport_is_idempotent_and_dry_run_writes_nothing(db: Path, real_data: Path):
    before = dump(db)
    assert run(db, "import", "iati", "--dry-run", str(real_data / DPORTAL)).exit_code == 0
    assert dump(db) == before
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    once = dump(db)
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    assert dump(db) == once


def test_dry_run_sees_activities_already_imported_from_another_file(db: Path, real_data: Path, tmp_path: Path):
    """A dry run reports what the import would: the same activities in a second file are duplicates."""
    assert run(db, "import", "iati", str(real_data / MOFA)).exit_code == 0
    before = dump(db)
    copy = tmp_path / "copy.xml"
    copy.write_text((real_data / MOFA).read_text(encoding="utf-8") + "\n", encoding="utf-8")   # other content
    dry = run(db, "import", "iati", "--dry-run", str(copy))
    assert dry.exit_code == 0 and "already imported from another file" in dry.output, dry.output
    assert dump(db) == before
    real = run(db, "import", "iati", str(copy))
    collisions = lambda out: next(line for line in out.splitlines() if "duplicate identifier(s)" in line)
    assert collisions(dry.output).replace("would import", "imported") == collisions(real.output)


def test_failure_mid_file_leaves_the_database_unchanged(db: Path, real_data: Path, monkeypatch):
    from silkroad.importers import iati

    real = iati._activity
    calls = {"n": 0}

    def failing(ctx, act, line):
        calls["n"] += 1
        if calls["n"] == 150:
            raise RuntimeError("injected failure")
        return real(ctx, act, line)

    before = dump(db)
    monkeypatch.setattr(iati, "_activity", failing)
    with pytest.raises(RuntimeError):
        run(db, "import", "iati", str(real_data / DPORTAL))
    assert calls["n"] == 150
    assert dump(db) == before


def test_linking_and_commit_get_a_larger_pool_than_the_parse(db: Path, real_data: Path, monkeypatch):
    """The parse runs in a small DuckDB pool; linking and COMMIT, with the file's rows in the open transaction,
    need more (on 1 GB a 32 MB pool failed to pin a block).  Scaled down: a 2 MB pool for the real file."""
    from silkroad.importers import iati

    monkeypatch.setattr(iati, "DUCKDB_MEMORY", "2MB")
    result = run(db, "import", "iati", str(real_data / DPORTAL))
    assert result.exit_code == 0 and "read 208, imported 208" in result.output, result.output


@pytest.mark.parametrize("during, after", [("2MB", "2MB"),      # enough for the parse, not for what follows
                                           ("1MB", "96MB")])    # not enough for the parse itself
def test_out_of_memory_is_reported_as_such_and_changes_nothing(db: Path, real_data: Path, monkeypatch,
                                                               during: str, after: str):
    from silkroad.importers import iati

    monkeypatch.setattr(iati, "DUCKDB_MEMORY", during)
    monkeypatch.setattr(iati, "DUCKDB_MEMORY_AFTER", after)
    before = dump(db)
    result = run(db, "import", "iati", str(real_data / DPORTAL))
    # DuckDB's own reason, not a later statement's "transaction is aborted"
    assert result.exit_code == 1 and "Out of Memory Error" in result.output, result.output
    assert dump(db) == before


def test_build_keeps_imports_and_unlink(db: Path, real_data: Path):
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    imported = dump(db)
    store.build(db, [KB_SMALL])
    assert dump(db) == imported
    result = run(db, "import", "unlink", "iati:41AAA-22709-001")
    assert result.exit_code == 0 and "unlinked" in result.output
    # the unlink survives a re-import
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM project_links WHERE project_id = 'iati:41AAA-22709-001'").fetchone()[0] == 0
    con.close()


def test_duplicate_identifiers_go_to_the_collision_log(db: Path, real_data: Path, tmp_path: Path):
    text = (real_data / MOFA).read_text(encoding="utf-8")
    start, end = text.index("<iati-activity"), text.index("</iati-activity>") + len("</iati-activity>")
    doubled = tmp_path / "doubled.xml"
    doubled.write_text(text[:end] + "\n" + text[start:end] + text[end:], encoding="utf-8")
    result = run(db, "import", "iati", str(doubled))
    assert result.exit_code == 0
    assert "read 2, imported 2" in result.output and "1 duplicate identifier(s)" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT identifier, kept_as FROM import_collisions").fetchall() == [
        ("XM-DAC-701-2-2020003078", "iati:XM-DAC-701-2-2020003078~2")]
    con.close()


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&lol3;</iati-identifier></iati-activity></iati-activities>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&e;</iati-identifier></iati-activity></iati-activities>
"""


@pytest.mark.parametrize("name, content, code, message", [
    ("laughs.xml", BILLION_LAUGHS.encode(), 1, ":2: field DOCTYPE: the file declares a DTD"),
    ("xxe.xml", XXE.encode(), 1, "field DOCTYPE"),
    ("truncated.xml", None, 1, "malformed XML"),
    ("latin1.xml", '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03"><iati-activity>'
                   '<iati-identifier>X</iati-identifier><title><narrative>Caf\xe9</narrative></title>'
                   '</iati-activity></iati-activities>'.encode("latin-1"), 1, "wrong encoding"),
    ("empty.xml", b"", 1, "the file is empty"),
    ("noactivity.xml", b'<?xml version="1.0"?>\n<html><body/></html>', 1, "no <iati-activity> element"),
    ("undefined-entity.xml", b'<iati-activities><iati-activity><iati-identifier>&nope;</iati-identifier>'
                             b'</iati-activity></iati-activities>', 1, "malformed XML"),
])
def test_bad_xml_is_a_clear_error_and_changes_nothing(db: Path, real_data: Path, tmp_path: Path,
                                                      name, content, code, message):
    path = tmp_path / name
    if content is None:
        content = (real_data / DPORTAL).read_bytes()[:500_000]
    path.write_bytes(content)
    before = dump(db)
    result = run(db, "import", "iati", str(path))
    assert result.exit_code == code, result.output
    assert message in result.output
    assert str(path) in result.output
    assert "the database at" in result.output and "was not changed" in result.output
    assert "Traceback" not in result.output
    assert dump(db) == before


def test_truncated_xml_names_the_line(db: Path, real_data: Path, tmp_path: Path):
    path = tmp_path / "cut.xml"
    path.write_bytes((real_data / DPORTAL).read_bytes()[:500_000])
    result = run(db, "import", "iati", str(path))
    last_line = path.read_bytes().count(b"\n") + 1
    assert f"{path}:{last_line}: field XML: malformed XML" in result.output


def test_directory_and_missing_file_are_usage_errors(db: Path, tmp_path: Path):
    before = dump(db)
    result = run(db, "import", "iati", str(tmp_path))
    assert result.exit_code == 2 and "is a directory" in result.output
    result = run(db, "import", "iati", str(tmp_path / "nope.xml"))
    assert result.exit_code == 2 and "no such file" in result.output
    result = run(tmp_path / "no.duckdb", "import", "iati", str(KB_SMALL / "kb.yaml"))
    assert result.exit_code == 2 and "no database" in result.output
    assert dump(db) == before


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_real_xml_never_crashes(db: Path, real_data: Path, tmp_path: Path, data):
    """Mutate a slice of the real file: the import either succeeds or fails cleanly, db unchanged on failure."""
    raw = (real_data / MOFA).read_bytes()
    op = data.draw(st.sampled_from(["cut", "flip", "delete", "insert"]))
    i = data.draw(st.integers(0, len(raw) - 1))
    if op == "cut":
        mutated = raw[:i]
    elif op == "flip":
        mutated = raw[:i] + bytes([raw[i] ^ data.draw(st.integers(1, 255))]) + raw[i + 1:]
    elif op == "delete":
        j = data.draw(st.integers(i, min(len(raw), i + 40)))
        mutated = raw[:i] + raw[j:]
    else:
        mutated = raw[:i] + data.draw(st.sampled_from([b"<", b"&", b"]]>", b"<!DOCTYPE a>", b"\xff", b"\x00"])) + raw[i:]
    path = tmp_path / "mutated.xml"
    path.write_bytes(mutated)
    before = dump(db)
    result = run(db, "import", "iati", "--dry-run", str(path))
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert "error:" in result.output and "Traceback" not in result.output
    assert dump(db) == before


def test_chunked_pass_equals_the_iterparse_pass(tmp_path: Path, real_data: Path, monkeypatch):
    """The threaded chunked pass (small chunks: many cuts) writes exactly what one iterparse pass writes."""
    from silkroad.importers import iati

    chunked, streamed = build_db(tmp_path / "chunked.duckdb"), build_db(tmp_path / "streamed.duckdb")
    monkeypatch.setattr(iati, "CHUNK_BYTES", 40_000)
    assert run(chunked, "import", "iati", str(real_data / DPORTAL), str(real_data / MOFA)).exit_code == 0
    monkeypatch.setattr(iati, "_chunk_header", lambda path: None)
    assert run(streamed, "import", "iati", str(real_data / DPORTAL), str(real_data / MOFA)).exit_code == 0
    assert dump(chunked) == dump(streamed)


def test_end_tag_inside_a_comment_does_not_break_the_chunked_pass(db: Path, real_data: Path, tmp_path: Path,
                                                                  monkeypatch):
    from silkroad.importers import iati

    text = (real_data / MOFA).read_text(encoding="utf-8")
    i = text.index("<title>")
    tricky = tmp_path / "tricky.xml"
    tricky.write_text(text[:i] + "<!-- </iati-activity> <iati-activity> -->" + text[i:], encoding="utf-8")
    monkeypatch.setattr(iati, "CHUNK_BYTES", 100)      # cut at the first end tag: the one in the comment
    result = run(db, "import", "iati", str(tricky))
    assert result.exit_code == 0, result.output
    assert "read 1, imported 1" in result.output


def test_parallel_pass_equals_the_serial_pass(tmp_path: Path, real_data: Path, monkeypatch):
    """`--jobs 2` (worker processes, small chunks: many cuts) writes exactly what the serial pass writes,
    warnings and counts included; duplicate identifiers and malformed XML go back to the serial passes."""
    from silkroad.importers import iati_parallel

    monkeypatch.setattr(iati_parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(iati_parallel, "PARALLEL_CHUNK_BYTES", 40_000)
    files = [str(real_data / DPORTAL), str(real_data / MOFA)]
    serial, parallel = build_db(tmp_path / "serial.duckdb"), build_db(tmp_path / "parallel.duckdb")
    out_serial = run(serial, "import", "iati", *files)
    out_parallel = run(parallel, "import", "iati", "--jobs", "2", *files)
    assert out_serial.exit_code == out_parallel.exit_code == 0, out_parallel.output
    assert out_parallel.output.replace(str(parallel), "DB") == out_serial.output.replace(str(serial), "DB")
    assert dump(parallel) == dump(serial)

    text = (real_data / DPORTAL).read_text(encoding="utf-8")
    first = text[text.index("<iati-activity"):text.index("</iati-activity>") + len("</iati-activity>")]
    doubled = tmp_path / "doubled.xml"          # the first activity again at the end: another chunk
    doubled.write_text(text.replace("</iati-activities>", first + "\n</iati-activities>"), encoding="utf-8")
    fresh_serial, fresh_parallel = build_db(tmp_path / "s2.duckdb"), build_db(tmp_path / "p2.duckdb")
    result = run(fresh_parallel, "import", "iati", "--jobs", "2", str(doubled))
    assert result.exit_code == 0 and "1 duplicate identifier(s)" in result.output, result.output
    run(fresh_serial, "import", "iati", str(doubled))
    assert dump(fresh_parallel) == dump(fresh_serial)

    cut = tmp_path / "cut.xml"
    cut.write_bytes((real_data / DPORTAL).read_bytes()[:500_000])
    before = dump(parallel)
    result = run(parallel, "import", "iati", "--jobs", "2", str(cut))
    last_line = cut.read_bytes().count(b"\n") + 1
    assert result.exit_code == 1 and f"{cut}:{last_line}: field XML: malformed XML" in result.output
    assert dump(parallel) == before


def test_build_over_a_schema_2_database_does_not_count_iati_money_twice(db: Path, real_data: Path):
    """Before schema 3 IATI commitments and disbursements were also rows of `amounts`; a build over such
    a database moves their year and rate onto the transactions and keeps one amount per transaction."""
    assert run(db, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    expected = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
    con = duckdb.connect(str(db))          # turn the database into the schema-2 layout
    con.execute("""
        INSERT INTO amounts SELECT 'project', project_id, seq, value, currency, type, year, false, false,
               'IATI transaction ' || (seq + 1) || ' (type ' || type_code || ')', value_usd, usd_rate, usd_rate_note
        FROM transactions WHERE type IN ('commitment', 'disbursement')""")
    for view in ("all_amounts", "all_evidence", "all_projects", "all_project_ids"):
        con.execute(f"DROP VIEW {view}")
    for column in ("year", "usd_rate", "usd_rate_note"):
        con.execute(f"ALTER TABLE transactions DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    build_db(db)
    assert json.loads(run(db, "stats", "--by", "origin", "--format", "json").output) == expected


def test_a_file_that_is_one_activity_without_a_root_list(db: Path, real_data: Path, tmp_path: Path):
    text = (real_data / MOFA).read_text(encoding="utf-8")
    activity = text[text.index("<iati-activity"):text.index("</iati-activity>") + len("</iati-activity>")]
    single = tmp_path / "single.xml"
    single.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + activity + "\n", encoding="utf-8")
    result = run(db, "import", "iati", str(single))
    assert result.exit_code == 0, result.output
    assert "read 1, imported 1" in result.output


def _dies_on_a_later_chunk(data: bytes, line_offset: int):
    """Stands in for iati_parallel._map_chunk in a worker: killed, as the out-of-memory killer would."""
    import os
    import signal

    from silkroad.importers import iati_parallel

    if line_offset > 2000:
        os.kill(os.getpid(), signal.SIGKILL)
    return iati_parallel._real_map_chunk(data, line_offset)


def test_a_worker_that_dies_sends_the_file_to_the_serial_pass(tmp_path: Path, real_data: Path, monkeypatch):
    from silkroad.importers import iati_parallel

    monkeypatch.setattr(iati_parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(iati_parallel, "PARALLEL_CHUNK_BYTES", 40_000)
    monkeypatch.setattr(iati_parallel, "_real_map_chunk", iati_parallel._map_chunk, raising=False)
    monkeypatch.setattr(iati_parallel, "_map_chunk", _dies_on_a_later_chunk)
    serial, parallel = build_db(tmp_path / "serial.duckdb"), build_db(tmp_path / "parallel.duckdb")
    assert run(serial, "import", "iati", str(real_data / DPORTAL)).exit_code == 0
    result = run(parallel, "import", "iati", "--jobs", "2", str(real_data / DPORTAL))
    assert result.exit_code == 0, result.output
    assert dump(parallel) == dump(serial)
