"""`silkroad import crs|gdelt|aiddata`: real GDELT and AidData files, a synthetic CRS file, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from silkroad import store
from test_import_iati import build_db, dump, run

GDELT = "gdelt/gdelt_v1_events_sample_20160728.tsv"
AGG = "aiddata/gcdf3_china_country_year_central_asia_cow.csv"

# Official CRS bulk-file column names (OECD CRS .txt), in the published order.
CRS_COLUMNS = ["Year", "DonorCode", "DonorName", "AgencyCode", "AgencyName", "CrsID", "ProjectNumber",
               "InitialReport", "RecipientCode", "RecipientName", "RegionCode", "RegionName", "IncomegroupCode",
               "IncomegroupName", "FlowCode", "FlowName", "Bi_Multi", "Category", "Finance_t", "Aid_t",
               "USD_Commitment", "USD_Disbursement", "USD_Received", "USD_Commitment_Defl",
               "USD_Disbursement_Defl", "USD_Received_Defl", "PurposeCode", "PurposeName", "SectorCode",
               "SectorName", "ChannelCode", "ChannelName", "ParentChannelCode", "ProjectTitle",
               "ShortDescription", "LongDescription"]


def crs_rows(n: int = 6):
    """SYNTHETIC test input: realistic CRS rows built from real codes (Japan 701 -> Uzbekistan 617 ...)."""
    base = [
        ("2019", "701", "Japan", "1", "JICA", "2019000123", "UZ-P123", "1", "617", "Uzbekistan", "10019",
         "Central Asia", "10024", "LMICs", "11", "ODA Loans", "1", "10", "421", "C01", "120.5", "35.25", "",
         "", "", "", "23210", "Energy generation, renewable sources", "230", "Energy", "11000", "", "",
         "Turakurgan thermal power station", "Power plant", "Test row (synthetic)"),
        ("2020", "742", "Korea", "1", "KOICA", "2020000456", "KG-7", "1", "614", "Kyrgyzstan", "10019",
         "Central Asia", "10024", "LMICs", "11", "ODA Grants", "1", "10", "110", "D02", "2.0", "1.5", "",
         "", "", "", "12191", "Medical services", "120", "Health", "", "", "", "Hospital equipment",
         "", ""),
        ("2021", "701", "Japan", "1", "JICA", "2021000789", "KZ-1", "1", "613", "Kazakhstan", "10019",
         "Central Asia", "10025", "UMICs", "11", "ODA Grants", "1", "10", "110", "D02", "", "0.8", "", "", "",
         "", "74020", "Multi-hazard response preparedness", "740", "Disaster prevention", "", "", "",
         "Disaster risk reduction training", "", ""),
    ]
    rows = []
    for i in range(n):
        r = list(base[i % len(base)])
        r[5] = str(int(r[5]) + i)
        rows.append(r)
    return rows


def write_crs(path: Path, rows, encoding: str = "utf-8-sig", columns=CRS_COLUMNS) -> Path:
    text = "|".join(columns) + "\r\n" + "".join("|".join(r) + "\r\n" for r in rows)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "kb.duckdb")


# --- CRS --------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "utf-16"])
def test_crs_rows_become_projects_with_separate_amounts(db: Path, tmp_path: Path, encoding):
    path = write_crs(tmp_path / "CRS 2021 data.txt", crs_rows(6), encoding)
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 0, result.output
    assert "read 6, imported 6, skipped 0" in result.output
    rows = json.loads(run(db, "projects", "--country", "UZ", "--format", "json").output)
    crs = [r for r in rows if r["origin"] == "crs"]
    assert len(crs) == 2
    p = crs[0]
    assert p["donor"] == "japan" and p["instrument"] == "loan" and p["sector"]["name"] == "energy"
    assert {a["kind"]: a["value"] for a in p["amounts"]} == {"commitment": 120.5e6, "disbursement": 35.25e6}
    assert p["external_ids"]["crs"].startswith("2019")
    con = duckdb.connect(str(db), read_only=True)
    kg = con.execute("SELECT instrument, recipient FROM all_projects WHERE origin = 'crs' AND recipient = 'KG'").fetchall()
    assert kg and kg[0] == ("technical_cooperation", "KG")
    con.close()


def test_crs_large_file_lines_evidence_and_totals(db: Path, tmp_path: Path):
    """A file big enough for DuckDB to read in parallel: every row keeps its own line number, its
    evidence names that line, and the commitment totals per recipient equal a sum done here in Python."""
    base = crs_rows(3)
    rows, expected = [], {}
    for i in range(150_000):
        r = list(base[i % 3])
        r[5] = str(4_000_000_000 + i)                 # CrsID encodes the row's position
        r[20] = f"{(i % 97) / 8:.3f}" if r[20] else ""
        rows.append(r)
        if r[20]:
            iso = {"617": "UZ", "614": "KG", "613": "KZ"}[r[8]]
            expected[iso] = expected.get(iso, 0.0) + float(r[20]) * 1e6
    path = write_crs(tmp_path / "CRS big.txt", rows)
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    wrong = con.execute("SELECT count(*) FROM crs_rows WHERE CAST(crs_id AS BIGINT) - 4000000000 + 2 <> line"
                        ).fetchone()[0]
    assert wrong == 0
    ev = con.execute("SELECT e.locator FROM all_evidence e JOIN all_project_ids i ON i.project_id = e.record_id "
                     "WHERE i.scheme = 'crs' AND i.value = '4000123456'").fetchone()
    assert ev == ("CRS big.txt line 123458, CrsID 4000123456",)
    got = dict(con.execute("SELECT p.recipient, sum(a.value) FROM all_amounts a JOIN all_projects p "
                           "ON p.id = a.record_id WHERE p.origin = 'crs' AND a.kind = 'commitment' GROUP BY 1"
                           ).fetchall())
    con.close()
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 1e-3 * expected[k] for k in expected)
    out = run(db, "stats", "--by", "country,origin", "--format", "json")
    assert out.exit_code == 0, out.output
    uz = next(r for r in json.loads(out.output) if r["country"] == "UZ" and r["origin"] == "crs")
    assert abs(uz["commitment_usd"] - expected["UZ"]) < 1e-3 * expected["UZ"]


def test_crs_unknown_codes_warn_and_keep_the_row(db: Path, tmp_path: Path):
    rows = crs_rows(3)
    rows[1][1] = "9999"      # no such donor
    rows[2][8] = "1234"      # no such recipient
    path = write_crs(tmp_path / "crs.txt", rows)
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 0
    assert "imported 3" in result.output
    assert f"{path}:3: field DonorCode: unknown OECD DAC donor code '9999' (row kept)" in result.output
    assert f"{path}:4: field RecipientCode: unknown OECD DAC recipient code '1234' (row kept)" in result.output


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_crs_rows_keep_their_line_across_empty_lines(db: Path, tmp_path: Path, encoding: str):
    """DuckDB's reader skips empty lines; each row still cites the line it is on (single, adjacent and
    trailing empty lines, CRLF file, UTF-8 and UTF-16)."""
    rows = crs_rows(30)
    lines = ["|".join(CRS_COLUMNS)]
    where = {}                                  # CrsID -> its line in the file
    for n, r in enumerate(rows):
        if n in (3, 10, 11, 12, 25):            # empty lines before these rows
            lines.append("")
        lines.append("|".join(r))
        where[r[5]] = len(lines)
    lines += ["", ""]
    path = tmp_path / "CRS gaps.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 0 and "read 30, imported 30" in result.output, result.output
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT crs_id, line FROM crs_rows").fetchall())
    con.close()
    assert got == where


def test_crs_wrong_column_count_names_file_line_and_field(db: Path, tmp_path: Path):
    rows = crs_rows(5)
    rows[3] = rows[3][:20]
    path = write_crs(tmp_path / "crs.txt", rows)
    before = dump(db)
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 1
    assert f"{path}:5: field USD_Commitment: wrong number of columns: expected 36, found 20" in result.output
    assert dump(db) == before


@pytest.mark.parametrize("line_break", ["\r\n", "\n"])
def test_crs_line_break_inside_a_field_is_an_error_at_its_line(db: Path, tmp_path: Path, line_break: str):
    """CRS text is read unquoted, so a description broken over two lines (even in quotes) cannot shift the
    line numbers of later rows: it is refused at the line where the broken row goes on."""
    rows = crs_rows(4)
    rows[1][-1] = f'"first half{line_break}second half"'     # data row 2: lines 3 and 4 of the file
    path = write_crs(tmp_path / "crs.txt", rows)
    before = dump(db)
    result = run(db, "import", "crs", str(path))
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    if line_break == "\r\n":      # a whole CRLF: the row ends there, the next line has one column
        assert f"{path}:4: field DonorCode: wrong number of columns: expected 36, found 1" in output
        assert "a line break inside a text field ends the row there" in output
    else:                          # a bare LF in a CRLF file: DuckDB gives no line, the importer finds it
        assert f"{path}:3: field LongDescription: a line feed without a carriage return" in output
    assert dump(db) == before


def test_crs_wrong_encoding_and_missing_columns(db: Path, tmp_path: Path):
    rows = crs_rows(2)
    rows[1][33] = "Réseau électrique"
    path = write_crs(tmp_path / "latin1.txt", rows, "latin-1")
    before = dump(db)
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 1 and "wrong encoding" in result.output and str(path) in result.output
    path = write_crs(tmp_path / "nocols.txt", [r[:5] for r in crs_rows(2)], columns=CRS_COLUMNS[:5])
    result = run(db, "import", "crs", str(path))
    assert result.exit_code == 1 and ":1: field RecipientCode: missing CRS column" in result.output
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert run(db, "import", "crs", str(empty)).exit_code == 1
    assert dump(db) == before


def test_crs_reimport_idempotent_and_kept_by_build(db: Path, tmp_path: Path):
    from silkroad import store
    from test_import_iati import KB_SMALL

    path = write_crs(tmp_path / "crs.txt", crs_rows(9) + crs_rows(2))   # 2 identical rows repeated
    result = run(db, "import", "crs", str(path))
    assert "2 duplicate identifier(s)" in result.output
    once = dump(db)
    run(db, "import", "crs", str(path))
    assert dump(db) == once
    store.build(db, [KB_SMALL])
    assert dump(db) == once


def test_links_count_each_sum_once_and_keep_what_the_curated_record_lacks(tmp_path: Path):
    """A CRS row linked to a curated project (same JICA id) is not counted as a second project, but its
    disbursements, which the curated record does not have, still count (as that project's); the import says
    it linked.  The same rows in a second file are linked to the first copy: totals do not double, and
    removing the first file makes the copy count again."""
    db = tmp_path / "kb.duckdb"
    store.build(db)                 # the bundled KB: its Astana airport loan has JICA id KAZ-P3, a commitment only
    rows = crs_rows(3)
    for r, (year, disbursed) in zip(rows, ((2019, "10"), (2020, "20"), (2021, "30"))):
        r[0], r[5], r[6], r[8], r[20], r[21] = str(year), f"{year}009999", "KAZ-P3", "613", "", disbursed
    (tmp_path / "a").mkdir()
    first = write_crs(tmp_path / "a" / "CRS a.txt", rows)

    def curated_sums():
        stats = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
        row = next(r for r in stats if r["origin"] == "curated")
        return row["projects"], row["commitment_usd"], row["disbursement_usd"] or 0.0

    projects, committed, disbursed = curated_sums()
    result = run(db, "import", "crs", str(first))
    assert result.exit_code == 0 and "linked 3 imported project(s)" in " ".join(result.output.split()), result.output
    assert curated_sums() == (projects, committed, pytest.approx(disbursed + 60e6))
    stats = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
    assert all(r["origin"] != "crs" for r in stats)          # the three rows count as the curated project

    (tmp_path / "b").mkdir()
    second = write_crs(tmp_path / "b" / "CRS b.txt", rows + crs_rows(1))   # an overlapping download
    before = {r["origin"]: r for r in json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)}
    result = run(db, "import", "crs", str(second))
    assert result.exit_code == 0 and "linked" in result.output
    after = {r["origin"]: r for r in json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)}
    assert after["curated"] == before["curated"] and after["crs"]["projects"] == 1     # only the new row counts
    assert run(db, "import", "remove", "CRS a.txt").exit_code == 0
    assert curated_sums() == (projects, committed, pytest.approx(disbursed + 60e6))  # now b's copies are linked


def test_crs_new_release_replace_and_remove(db: Path, tmp_path: Path):
    before = dump(db)
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    old = write_crs(tmp_path / "v1" / "CRS 2021 data.txt", crs_rows(4))     # two releases of one file
    new = write_crs(tmp_path / "v2" / "CRS 2021 data.txt", crs_rows(5))
    assert run(db, "import", "crs", str(old)).exit_code == 0
    result = run(db, "import", "crs", str(new))
    assert result.exit_code == 0 and "stays beside this one; pass --replace" in result.output
    assert "4 row(s) were already imported from another file" in result.output     # crs_rows(5) ⊃ crs_rows(4)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM all_projects WHERE origin = 'crs'").fetchone()[0] == 9
    con.close()
    # a dry run previews the replacement and writes nothing
    kept = dump(db)
    result = run(db, "import", "crs", "--dry-run", "--replace", str(new))
    assert result.exit_code == 0 and "would replace crs-" in result.output, result.output
    assert dump(db) == kept
    result = run(db, "import", "crs", "--replace", str(new))
    assert result.exit_code == 0 and "; replaced crs-" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM all_projects WHERE origin = 'crs'").fetchone()[0] == 5
    citation = con.execute("SELECT citation FROM sources WHERE origin = 'crs'").fetchone()[0]
    con.close()
    assert str(tmp_path) not in citation and "CRS 2021 data.txt" in citation
    result = run(db, "import", "remove", "CRS 2021 data.txt")
    assert result.exit_code == 0 and result.output.startswith("removed crs-")
    assert dump(db) == before
    assert run(db, "import", "remove", "CRS 2021 data.txt").exit_code == 2      # nothing by that name
    # two files of one command are never each other's older release, even with --replace
    result = run(db, "import", "crs", "--replace", str(old), str(new))
    assert result.exit_code == 0 and "replaced" not in result.output and "stays beside" not in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM all_projects WHERE origin = 'crs'").fetchone()[0] == 9
    con.close()
    # the name now stands for two releases: removing by name is refused, by import_id it works
    both = dump(db)
    result = run(db, "import", "remove", "CRS 2021 data.txt")
    assert result.exit_code == 2 and "2 imports have the file name" in result.output and dump(db) == both
    first_id = result.output.split(": ")[-1].split(",")[0].strip()
    assert run(db, "import", "remove", first_id).exit_code == 0


def test_crs_file_name_with_glob_characters_reads_only_that_file(db: Path, tmp_path: Path):
    write_crs(tmp_path / "CRS 2 data.txt", crs_rows(6))
    bracketed = write_crs(tmp_path / "CRS [2] data.txt", crs_rows(4))     # as a glob, [2] matches "2"
    result = run(db, "import", "crs", str(bracketed))
    assert result.exit_code == 0 and "read 4, imported 4" in result.output, result.output


# --- GDELT ------------------------------------------------------------------------

def test_gdelt_real_sample(db: Path, real_data: Path):
    path = real_data / GDELT
    lines = path.read_bytes().decode("utf-8").splitlines()
    kz = [l.split("\t")[0] for l in lines if "\tKZ\t" in l or "\tKAZ\t" in l]
    result = run(db, "import", "gdelt", str(path))
    assert result.exit_code == 0, result.output
    assert f"read {len(lines)}, imported {len(lines)}" in result.output and len(lines) == 710
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM events WHERE origin = 'gdelt'").fetchone()[0] == 710
    ids = {r[0] for r in con.execute("SELECT e.id FROM events e JOIN event_countries c ON c.event_id = e.id "
                                     "WHERE c.country = 'KZ' AND e.origin = 'gdelt'").fetchall()}
    assert ids == {f"gdelt:{i}" for i in kz} and "gdelt:564137808" in ids
    tm = con.execute("SELECT place_country FROM events WHERE id = 'gdelt:564160176'").fetchone()
    assert tm == ("TM",)
    visit = con.execute("SELECT e.type, c.event_code, c.label FROM events e JOIN event_cameo c ON c.event_id = e.id "
                        "WHERE c.event_code = '042' LIMIT 1").fetchone()
    assert visit is None or visit[0] == "visit"
    assert con.execute("SELECT count(*) FROM event_cameo").fetchone()[0] == 710
    for n in (1, 355, 710):       # every row cites its own line
        gid = lines[n - 1].split("\t")[0]
        (locator,) = con.execute("SELECT locator FROM evidence WHERE record_id = ?", [f"gdelt:{gid}"]).fetchone()
        assert locator == f"{path.name} line {n}, GLOBALEVENTID {gid}"
    con.close()
    rows = json.loads(run(db, "events", "--country", "KZ", "--format", "json").output)
    assert {r["origin"] for r in rows} == {"curated", "gdelt"}
    # every event counts in stats, also the few whose places map to no country (grouped under no country)
    for by in ("origin", "origin,year", "origin,country"):
        stats = json.loads(run(db, "stats", "--by", by, "--format", "json").output)
        assert sum(r["events"] for r in stats if r["origin"] == "gdelt") >= 710
    by_origin = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
    assert next(r["events"] for r in by_origin if r["origin"] == "gdelt") == 710


def test_gdelt_v2_and_wrong_columns(db: Path, real_data: Path, tmp_path: Path):
    lines = (real_data / GDELT).read_bytes().decode("utf-8").splitlines()
    v1 = [l.split("\t") for l in lines if len(l.split("\t")) == 58][:20]
    # GDELT 2.0 layout: an ADM2 code after each geography's ADM1 code (columns 39, 47, 55 of 1.0 + 1)
    v2 = []
    for r in v1:
        r = list(r)
        for pos in (38 + 1, 45 + 2, 52 + 3):
            r.insert(pos, "")
        v2.append(r)
    path = tmp_path / "20240101000000.export.CSV"
    path.write_text("\n".join("\t".join(r) for r in v2) + "\n", encoding="utf-8")
    result = run(db, "import", "gdelt", str(path))
    assert result.exit_code == 0, result.output
    assert "GDELT 2.0 format" in result.output and "imported 20" in result.output
    bad = tmp_path / "bad.tsv"
    bad.write_text("\n".join("\t".join(r) for r in v1[:3]) + "\n" + "\t".join(v1[3][:30]) + "\n", encoding="utf-8")
    before = dump(db)
    result = run(db, "import", "gdelt", str(bad))
    assert result.exit_code == 1 and f"{bad}:4" in result.output and "wrong number of columns" in result.output
    odd = tmp_path / "odd.tsv"
    odd.write_text("a\tb\tc\n", encoding="utf-8")
    result = run(db, "import", "gdelt", str(odd))
    assert result.exit_code == 1 and f"{odd}:1: field columns: wrong number of columns: 3" in result.output
    assert dump(db) == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_gdelt_rows_never_crash(db: Path, real_data: Path, tmp_path: Path, data):
    lines = (real_data / GDELT).read_bytes().splitlines()[:40]
    i = data.draw(st.integers(0, len(lines) - 1))
    cut = data.draw(st.integers(0, len(lines[i])))
    junk = data.draw(st.sampled_from([b"", b"\t", b"\xff\xfe", b"x", b"\t\t\t"]))
    lines[i] = lines[i][:cut] + junk + lines[i][cut:]
    path = tmp_path / "m.tsv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run(db, "import", "gdelt", "--dry-run", str(path))
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


# --- AidData ----------------------------------------------------------------------

def test_aiddata_country_year_aggregate(db: Path, real_data: Path):
    path = real_data / AGG
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = {}
    for r in rows:
        for flow in ("oda", "oof", "vof"):
            v = float(r[f"{flow}_amt"])
            if v:
                expected[(r["ccode"], flow)] = expected.get((r["ccode"], flow), 0) + v
    result = run(db, "import", "aiddata", str(path))
    assert result.exit_code == 0, result.output
    assert f"read {len(rows)}" in result.output and f"{len(expected) and sum(1 for r in rows for fl in ('oda', 'oof', 'vof') if float(r[fl + '_amt']))} aid_totals" in result.output
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("SELECT t.recipient, t.flow, sum(a.value) FROM aid_totals t JOIN amounts a "
                      "ON a.record_kind = 'aid_total' AND a.record_id = t.id WHERE t.origin = 'aiddata' "
                      "GROUP BY 1, 2").fetchall()
    con.close()
    cow = {"701": "TM", "702": "TJ", "703": "KG", "704": "UZ", "705": "KZ"}
    flows = {"oda": "ODA-like", "oof": "OOF-like", "vof": "Vague (Official Finance)"}
    want = {(cow[c], flows[f]): v for (c, f), v in expected.items()}
    assert {(r, f): pytest.approx(v) for r, f, v in got} == want


def test_totals_lists_china_beside_japan(tmp_path: Path, real_data: Path):
    """`silkroad totals` shows AidData's Chinese finance per country and year beside the curated Japanese totals
    (of the bundled knowledge base), each with its source; `--donor`, `--country`, `--origin` and `--since`
    filter them."""
    db = tmp_path / "kb.duckdb"
    store.build(db)                         # the bundled knowledge base: it has Japan's curated totals
    path = real_data / AGG
    cow = {"701": "TM", "702": "TJ", "703": "KG", "704": "UZ", "705": "KZ"}
    flows = {"oda": "ODA-like", "oof": "OOF-like", "vof": "Vague (Official Finance)"}
    with path.open(encoding="utf-8") as f:
        want = {(cow[r["ccode"]], int(r["year"]), flows[fl]): float(r[f"{fl}_amt"])
                for r in csv.DictReader(f) for fl in flows if float(r[f"{fl}_amt"])}
    assert run(db, "import", "aiddata", str(path)).exit_code == 0
    china = json.loads(run(db, "totals", "--donor", "china", "--format", "json").output)
    got = {(t["recipient"], t["year"], t["flow"]): t["amounts"][0]["value"] for t in china}
    assert got == pytest.approx(want)
    assert all(t["origin"] == "aiddata" and t["sources"][0]["locator"].startswith(path.name) for t in china)
    kz = json.loads(run(db, "totals", "--country", "KZ", "--since", "2010", "--format", "json").output)
    assert {t["donor"] for t in kz} >= {"china"} and all(t["recipient"] == "KZ" and t["year"] >= 2010 for t in kz)
    assert len([t for t in kz if t["donor"] == "china"]) == len([k for k in want if k[0] == "KZ" and k[1] >= 2010])
    curated = json.loads(run(db, "totals", "--origin", "curated", "--format", "json").output)
    assert {t["donor"] for t in curated} == {"japan"} and all(t["sources"] and t["amounts"] for t in curated)
    assert {t["donor"] for t in kz} == {"china", "japan"}
    table = run(db, "totals", "--donor", "china", "--country", "TM")
    assert table.exit_code == 0 and "Aid totals" in table.output and "OOF-like" in table.output


def test_aiddata_project_level_and_bad_rows(db: Path, tmp_path: Path):
    header = ["AidData Record ID", "Recommended For Aggregates", "Financier Country", "Recipient", "Recipient ISO-3",
              "Commitment Year", "Title", "Status", "Flow Type", "Flow Class", "Sector Code", "Sector Name",
              "Amount (Constant USD 2021)", "Funding Agencies", "Description"]
    # SYNTHETIC rows in the GCDF 3.0 layout
    rows = [["51234", "Yes", "China (People's Republic of)", "Kyrgyz Republic", "KGZ", "2013",
             "China Eximbank provides loan for Datka-Kemin transmission line", "Completion", "Loan",
             "OOF-like", "230", "ENERGY", "389000000", "Export-Import Bank of China", "A transmission line."],
            ["51235", "Yes", "China (People's Republic of)", "Tajikistan", "TJK", "2015", "Scholarships",
             "Implementation", "Grant", "ODA-like", "110", "EDUCATION", "1200000", "MOFCOM", ""],
            # an umbrella agreement whose parts are rows of their own: AidData says not to add it up
            ["51236", "No", "China (People's Republic of)", "Kyrgyz Republic", "KGZ", "2013",
             "Framework agreement on the transmission lines", "Completion", "Loan", "OOF-like", "230", "ENERGY",
             "500000000", "Export-Import Bank of China", "Umbrella."]]
    path = tmp_path / "gcdf.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    result = run(db, "import", "aiddata", str(path))
    assert result.exit_code == 0 and "read 3, imported 3" in result.output
    got = json.loads(run(db, "projects", "--country", "KG", "--format", "json").output)
    p = next(r for r in got if r["id"] == "aiddata:51234")
    assert p["donor"] == "china" and p["instrument"] == "loan" and p["amounts"][0]["value"] == 389e6
    umbrella = next(r for r in got if r["id"] == "aiddata:51236")["amounts"][0]
    assert umbrella["value"] == 500e6 and umbrella["left_out"] == "not recommended for aggregates by AidData"
    stats = json.loads(run(db, "stats", "--by", "origin", "--format", "json").output)
    china = next(r for r in stats if r["origin"] == "aiddata")
    assert china["commitment_usd"] == 389e6 + 1.2e6 and china["left_out"] == 1 and china["projects"] == 3
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, rows[0], rows[1][:4]])
    before = dump(db)
    result = run(db, "import", "aiddata", str(bad))
    assert result.exit_code == 1 and f"{bad}:3: field Recipient ISO-3: wrong number of columns" in result.output
    assert dump(db) == before
