"""Link imported projects to the curated projects they duplicate.

A link is made when an imported project shares an external id value with a
curated project (``project_ids``), or has the same recipient and year and a
near-identical title (rapidfuzz token-sort ratio >= ``TITLE_THRESHOLD``), or is
an IATI activity that another imported file already holds (linked to that copy;
CRS rows repeated from another file are linked by the CRS importer).
The imported row stays in the database; ``project_links`` records the pair,
and ``silkroad import unlink`` removes a link and remembers not to make it
again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import duckdb

TITLE_THRESHOLD = 92.0


def _norm(title: str | None) -> str:
    return " ".join((title or "").lower().split())


def link_projects(con: duckdb.DuckDBPyConnection, import_ids: Sequence[str]) -> int:
    if not import_ids:
        return 0
    from rapidfuzz import fuzz

    curated = con.execute(
        "SELECT id, recipient, year, title_en FROM projects WHERE origin = 'curated'").fetchall()
    by_key: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for pid, recipient, year, title in curated:
        if recipient and year:
            by_key[(recipient, year)].append((pid, _norm(title)))
    unlinked = set(con.execute("SELECT project_id, linked_to FROM project_unlinks").fetchall())
    marks = ", ".join("?" * len(import_ids))
    links: list[tuple] = []
    # an IATI activity that another file already brought (kept as iati:X~N; its collision has no first line in
    # this file) is a copy of iati:X: linked to it, so that its money counts once
    for pid, target, import_id in con.execute(
            f"SELECT kept_as, 'iati:' || identifier, import_id FROM import_collisions WHERE import_id IN ({marks}) "
            f"AND dataset = 'iati' AND first_line IS NULL", list(import_ids)).fetchall():
        if (pid, target) not in unlinked:
            links.append((pid, target, "same IATI identifier in another file", 100.0, import_id))
    # external ids first: matched in SQL (an import may bring millions of ids; only the matches come back)
    norm = "lower(trim(CAST({} AS VARCHAR), ' \t\n\r\v\f'))"
    # the few curated ids first, then the imported ids that equal one of them, then those rows' imports
    for pid, target, import_id in con.execute(
            f"WITH c AS MATERIALIZED (SELECT ci.project_id, {norm.format('ci.value')} AS v FROM project_ids ci "
            f"                        JOIN projects cp ON cp.id = ci.project_id WHERE cp.origin = 'curated'), "
            f"m AS MATERIALIZED (SELECT i.project_id, c.project_id AS target FROM all_project_ids i "
            f"                   JOIN c ON c.v = {norm.format('i.value')}) "
            f"SELECT m.project_id, m.target, p.import_id FROM m JOIN all_projects p ON p.id = m.project_id "
            f"WHERE p.import_id IN ({marks})", list(import_ids)).fetchall():
        if (pid, target) not in unlinked:
            links.append((pid, target, "external_id", 100.0, import_id))
    linked = {l[0] for l in links}
    keys = list(by_key)
    if keys:
        # only imported projects whose recipient and year some curated project shares; each distinct
        # (recipient, year, title) is scored once (bulk files repeat titles)
        where = (f"p.import_id IN ({marks}) AND p.recipient IS NOT NULL AND p.year IS NOT NULL "
                 f"AND EXISTS (SELECT 1 FROM projects c WHERE c.origin = 'curated' AND c.recipient = p.recipient "
                 f"AND c.year = p.year)")
        for recipient, year, title in con.execute(
                f"SELECT DISTINCT p.recipient, p.year, p.title_en FROM all_projects p WHERE {where}",
                list(import_ids)).fetchall():
            cands = by_key.get((recipient, year))
            if not cands:
                continue
            t = _norm(title)
            best = max(((fuzz.token_sort_ratio(t, ct), cid) for cid, ct in cands), default=None)
            if not best or best[0] < TITLE_THRESHOLD:
                continue
            for pid, import_id in con.execute(
                    f"SELECT p.id, p.import_id FROM all_projects p WHERE {where} AND p.recipient = ? AND p.year = ? "
                    f"AND p.title_en IS NOT DISTINCT FROM ?", [*import_ids, recipient, year, title]).fetchall():
                if pid not in linked and (pid, best[1]) not in unlinked:
                    links.append((pid, best[1], "recipient+year+title", round(best[0], 1), import_id))
    if links:
        con.executemany("INSERT INTO project_links VALUES (?, ?, ?, ?, ?)", sorted(set(links)))
    return len(set(links))


def unlink(con: duckdb.DuckDBPyConnection, project_id: str, linked_to: str | None = None) -> list[tuple]:
    """Remove the links of imported ``project_id`` (to ``linked_to`` or to any) and remember it."""
    where, params = "project_id = ?", [project_id]
    if linked_to:
        where += " AND linked_to = ?"
        params.append(linked_to)
    rows = con.execute(f"SELECT project_id, linked_to FROM project_links WHERE {where}", params).fetchall()
    for pid, target in rows:
        con.execute("INSERT INTO project_unlinks VALUES (?, ?)", [pid, target])
    con.execute(f"DELETE FROM project_links WHERE {where}", params)
    return rows
