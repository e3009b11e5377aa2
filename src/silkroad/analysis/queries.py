"""Queries over a built database, written once as Ibis expressions.

Each listing returns plain dicts (JSON-ready): the record's fields plus
``sources``, the evidence behind it (source id, title, url or citation,
locator, quote).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from typing import Any, Iterable, Sequence

import duckdb
import ibis
from ibis import _

from ..model import SECTORS

STAT_KEYS = ("country", "year", "decade", "type", "kind", "sector", "instrument", "donor", "origin", "initiative")
# Flows that can be summed: aid pledged, committed and disbursed, and business deals
# (kind investment) kept apart from aid.  Cumulative totals are never summed.
AMOUNT_KINDS = ("pledge", "commitment", "disbursement", "investment")


class UnknownGrouping(ValueError):
    pass


class Query:
    """Reads one open DuckDB connection through Ibis."""

    def __init__(self, con: duckdb.DuckDBPyConnection, lang: str = "en"):
        self.con = con
        self.lang = lang if lang in ("en", "ru", "kk", "ja") else "en"   # the language of people's names
        self.db = ibis.duckdb.from_connection(con)

    @functools.cached_property
    def tables(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}

    # records stored once per imported CRS row are read through views that add them to the tables
    VIEWS = {"projects": "all_projects", "amounts": "all_amounts", "evidence": "all_evidence",
             "project_ids": "all_project_ids"}

    def table(self, name: str):
        return self.db.table(self.VIEWS.get(name, name))

    # --- related rows, fetched once per listing ------------------------------

    def _sources_for(self, kind: str, ids: Sequence[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        ev, src = self.table("evidence"), self.table("sources")
        q = (ev.filter((ev.record_kind == kind) & ev.record_id.isin(list(ids)))
             .join(src, ev.source_id == src.id, how="left")
             .select(ev.record_id, ev.seq, id=ev.source_id, title=src.title, url=src.url,
                     citation=src.citation, locator=ev.locator, quote=ev.quote, note=ev.note)
             .order_by(["record_id", "seq"]))
        out: dict[str, list[dict]] = defaultdict(list)
        for row in q.to_pyarrow().to_pylist():
            rid = row.pop("record_id")
            row.pop("seq")
            if row["note"] is None:
                row.pop("note")
            out[rid].append(row)
        return out

    def _related(self, kind: str, ids: Sequence[str]):
        """The amounts, sources and conflicts of records of one kind, by record id."""
        return self._amounts_for(kind, ids), self._sources_for(kind, ids), self._conflicts_for(kind, ids)

    def _amounts_for(self, kind: str, ids: Sequence[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        am = self.table("amounts")
        flags = ["left_out"] if "left_out" in am.columns else []
        q = (am.filter((am.record_kind == kind) & am.record_id.isin(list(ids)))
             .order_by(["record_id", "seq"])
             .select("record_id", "value", "currency", "kind", "year", "fiscal_year", "approximate",
                     "note", "value_usd", *flags))
        out: dict[str, list[dict]] = defaultdict(list)
        for row in q.to_pyarrow().to_pylist():
            out[row.pop("record_id")].append({k: v for k, v in row.items() if v is not None})
        return out

    def _conflicts_for(self, kind: str, ids: Sequence[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        c = self.table("conflicts")
        q = c.filter((c.record_kind == kind) & c.record_id.isin(list(ids))).order_by(["record_id", "seq"])
        out: dict[str, list[dict]] = defaultdict(list)
        for row in q.to_pyarrow().to_pylist():
            item = {k: row[k] for k in ("field", "source_id", "locator", "quote")}
            item["value"] = json.loads(row["value"])
            out[row["record_id"]].append(item)
        return out

    # --- listings -------------------------------------------------------------

    def events(self, country: str | None = None, type: str | None = None, since: int | None = None,
               until: int | None = None, search: str | None = None, initiative: str | None = None,
               origin: str | None = None, source: str | None = None) -> list[dict[str, Any]]:
        e = self._filtered(self.table("events"), "event", since, until, origin, source, search,
                           ["title_en", "title_ru", "title_kk", "summary_en", "summary_ru", "summary_kk"])
        if country:
            ec = self.table("event_countries")
            e = e.filter(e.id.isin(ec.filter(ec.country == country.upper()).event_id))
        if type:
            e = e.filter(e.type == type)
        if initiative:
            e = e.filter(e.initiative == initiative)
        rows = e.order_by(["day", "id"]).to_pyarrow().to_pylist()
        ids = [r["id"] for r in rows]
        countries = self._grouped("event_countries", "event_id", "country", ids)
        parts = self._participants(ids)
        amounts, sources, conflicts = self._related("event", ids)
        out = []
        for r in rows:
            rid = r["id"]
            out.append({
                "id": rid, "type": r["type"], "date": r["date"], "date_precision": r["date_precision"],
                "end_date": r["end_date"], "status": r["status"],
                "place": {"country": r["place_country"], "city": r["place_city"]},
                "countries": countries.get(rid, []), "participants": parts.get(rid, []),
                "initiative": r["initiative"],
                "title": _lang(r, "title"), "summary": _lang(r, "summary"),
                "amounts": amounts.get(rid, []), "confidence": r["confidence"],
                "confidence_note": r["confidence_note"], "origin": r["origin"],
                "conflicts": conflicts.get(rid, []), "sources": sources.get(rid, []),
            })
        return out

    def projects(self, country: str | None = None, sector: str | None = None, instrument: str | None = None,
                 since: int | None = None, until: int | None = None, search: str | None = None,
                 donor: str | None = None, origin: str | None = None,
                 source: str | None = None) -> list[dict[str, Any]]:
        p = self._filtered(self.table("projects"), "project", since, until, origin, source, search,
                           ["title_en", "title_ru", "title_kk", "summary_en"])
        if country:
            match = p.recipient == country.upper()
            if "project_recipients" in self.tables:   # multi-country imported activities
                pr = self.table("project_recipients")
                match = match | p.id.isin(pr.filter((pr.kind == "country") & (pr.code == country.upper())).project_id)
            p = p.filter(match)
        if sector:
            s = sector.lower()
            if s.isdigit():
                p = p.filter(p.purpose_code.startswith(s) | p.dac_code.startswith(s))
            elif s in SECTORS:
                p = p.filter(p.sector == s)
            else:                                   # a DAC broad group, e.g. "production sectors"
                p = p.filter(p.sector_group.lower() == s)
        if instrument:
            p = p.filter(p.instrument == instrument)
        if donor:
            p = p.filter(p.donor == donor)
        rows = p.order_by([ibis.asc("year", nulls_first=False), "id"]).to_pyarrow().to_pylist()
        ids = [r["id"] for r in rows]
        ext = self._external_ids(ids)
        links = (self._grouped("project_links", "project_id", "linked_to", ids)
                 if "project_links" in self.tables else {})
        amounts, sources, conflicts = self._related("project", ids)
        out = []
        for r in rows:
            rid = r["id"]
            out.append({
                "id": rid, "title": _lang(r, "title"), "donor": r["donor"], "agency": r["agency"],
                "recipient": r["recipient"],
                "sector": {"name": r["sector"], "purpose_code": r["purpose_code"], "dac_code": r["dac_code"],
                           "group": r["sector_group"]},
                "instrument": r["instrument"],
                "dates": {"signed": r["signed"], "start": r["start_date"], "end": r["end_date"]},
                "year": r["year"], "status": r["status"], "initiative": r["initiative"],
                "summary": _lang(r, "summary"), "amounts": amounts.get(rid, []), "external_ids": ext.get(rid, {}),
                "confidence": r["confidence"], "confidence_note": r["confidence_note"], "origin": r["origin"],
                "linked_to": links.get(rid, []),
                "conflicts": conflicts.get(rid, []), "sources": sources.get(rid, []),
            })
        return out

    def totals(self, country: str | None = None, donor: str | None = None, flow: str | None = None,
               since: int | None = None, until: int | None = None, origin: str | None = None,
               source: str | None = None) -> list[dict[str, Any]]:
        """Aid totals: a donor's aid to a recipient for a year, or cumulative to a year, as a source gives it
        (curated) or a dataset aggregates it (AidData's country-year finance).  Never added to project money."""
        t = self._filtered(self.table("aid_totals"), "aid_total", since, until, origin, source, None, [])
        if country:
            t = t.filter(t.recipient == country.upper())
        if donor:
            t = t.filter(t.donor == donor)
        if flow:
            t = t.filter(t.flow.lower().contains(flow.lower()))
        rows = t.order_by(["recipient", "year", "donor", "id"]).to_pyarrow().to_pylist()
        ids = [r["id"] for r in rows]
        amounts, sources, conflicts = self._related("aid_total", ids)
        return [{"id": r["id"], "donor": r["donor"], "recipient": r["recipient"], "year": r["year"],
                 "fiscal_year": r["fiscal_year"], "flow": r["flow"], "instrument": r["instrument"],
                 "amounts": amounts.get(r["id"], []), "confidence": r["confidence"],
                 "confidence_note": r["confidence_note"], "origin": r["origin"],
                 "conflicts": conflicts.get(r["id"], []), "sources": sources.get(r["id"], [])} for r in rows]

    def actors(self, kind: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
        a = self.table("actors")
        if kind:
            a = a.filter(a.kind == kind)
        if search:
            names = self.table("actor_names")
            a = a.filter(a.id.isin(names.filter(names.name.ilike(f"%{search}%")).actor_id)
                         | a.id.ilike(f"%{search}%"))
        rows = a.order_by("id").to_pyarrow().to_pylist()
        ids = [r["id"] for r in rows]
        names = self.table("actor_names")
        aliases: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for n in names.filter(names.actor_id.isin(ids) & names.is_alias).to_pyarrow().to_pylist():
            aliases[n["actor_id"]][n["lang"]].append(n["name"])
        roles: dict[str, list[dict]] = defaultdict(list)
        for r in self.table("actor_roles").filter(_.actor_id.isin(ids)).to_pyarrow().to_pylist():
            roles[r["actor_id"]].append({"title": r["title"], "of": r["of"], "start": r["start_date"],
                                         "end": r["end_date"]})
        sources = self._sources_for("actor", ids)
        return [{"id": r["id"], "kind": r["kind"], "country": r["country"],
                 "names": {k: r[f"name_{k}"] for k in ("en", "ru", "kk", "ja") if r[f"name_{k}"]},
                 "aliases": dict(aliases.get(r["id"], {})), "roles": roles.get(r["id"], []),
                 "sources": sources.get(r["id"], [])} for r in rows]

    def sources(self, kind: str | None = None, search: str | None = None) -> list[dict[str, Any]]:
        s = self.table("sources")
        if kind:
            s = s.filter(s.kind == kind)
        if search:
            s = s.filter(s.title.ilike(f"%{search}%") | s.publisher.ilike(f"%{search}%") | s.id.ilike(f"%{search}%"))
        ev = self.table("evidence")
        used = ev.group_by(ev.source_id).aggregate(records=ev.record_id.nunique())
        s = s.left_join(used, s.id == used.source_id).drop("source_id")
        rows = s.order_by("id").to_pyarrow().to_pylist()
        for r in rows:
            r["records"] = r["records"] or 0
        return rows

    def groupings(self) -> list[dict[str, Any]]:
        g, m = self.table("groupings"), self.table("grouping_members")
        members: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for row in m.order_by(["grouping_id", "label", "country"]).to_pyarrow().to_pylist():
            members[row["grouping_id"]][row["label"]].append(row["country"])
        rows = g.order_by("id").to_pyarrow().to_pylist()
        ids = [r["id"] for r in rows]
        sources = self._sources_for("grouping", ids)
        return [{"id": r["id"], "title": _lang(r, "title"), "author": r["author"], "summary": r["summary_en"],
                 "groups": {k: v for k, v in members[r["id"]].items()}, "confidence": r["confidence"],
                 "sources": sources.get(r["id"], [])} for r in rows]

    # --- statistics -------------------------------------------------------------

    def facts(self):
        """One row per record and country: the table that ``stats`` groups."""
        e, ec = self.table("events"), self.table("event_countries")
        # an event with no country (a GDELT row whose places map to none) still counts, under no country
        ev = e.left_join(ec, e.id == ec.event_id).select(
            record_kind=ibis.literal("event"), record_id=e.id.cast("string"), country=ec.country, year=e.year,
            type=e.type, sector=ibis.null(str), instrument=ibis.null(str), donor=ibis.null(str),
            origin=e.origin, initiative=e.initiative)
        p = self.table("projects")
        if "project_links" in self.tables:
            # an imported copy of a curated (or earlier imported) project counts once - while that project is
            # there: removing the import it came from makes the copy count again
            links = self.table("project_links")
            p = p.filter(~p.id.isin(links.filter(links.linked_to.isin(p.id)).project_id))
        def project_rows(t, country):
            return t.select(record_kind=ibis.literal("project"), record_id=t.id.cast("string"), country=country,
                            year=t.year, type=t.instrument, sector=t.sector, instrument=t.instrument,
                            donor=t.donor, origin=t.origin, initiative=t.initiative)

        pr = project_rows(p, p.recipient)
        if "project_recipients" in self.tables:
            # an imported activity with several recipient countries counts for each of them,
            # as `projects --country` lists it under each (like a multi-country event)
            rc = self.table("project_recipients")
            rc = rc.filter((rc.kind == "country") & rc.code.notnull() & (rc.code != ""))
            several = p.filter(p.recipient.isnull()).join(rc, p.id == rc.project_id)
            pr = p.filter(p.recipient.notnull() | ~p.id.isin(rc.project_id)).pipe(
                lambda t: project_rows(t, t.recipient)).union(project_rows(several, several.code))
        facts = ev.union(pr)
        return facts.mutate(decade=(facts.year // 10 * 10).cast(str) + "s", kind=facts.record_kind)

    def stats(self, by: Sequence[str] = ("country",), currency: str = "USD",
              grouping: str | None = None) -> list[dict[str, Any]]:
        allowed = STAT_KEYS + (("group",) if grouping else ())
        if not by or len(set(by)) != len(by):
            raise ValueError("give one or more different keys, e.g. country,decade")
        unknown = [k for k in by if k not in allowed]
        if unknown:
            raise ValueError(f"cannot group by {', '.join(unknown)}; use {', '.join(allowed)}"
                             + ("" if grouping else " (and 'group' with --grouping)"))
        facts = self.facts()
        if grouping:
            m = self.table("grouping_members")
            m = m.filter(m.grouping_id == grouping)
            if m.count().to_pyarrow().as_py() == 0:
                raise UnknownGrouping(f"no grouping {grouping!r}; see `silkroad groupings`")
            facts = facts.join(m, facts.country == m.country).select(facts, group=m.label)
        ev = self.table("evidence")
        am = self._summable_amounts()
        currency = currency.upper()
        value = am.value_usd if currency == "USD" else ibis.ifelse(am.currency == currency, am.value, ibis.null())
        summed = am.kind.isin(list(AMOUNT_KINDS))
        # an amount an importer left out (implausible, e.g. yen reported as US dollars; or one AidData does not
        # recommend adding up) is listed, not summed
        left = am.left_out.notnull()
        value = ibis.ifelse(left, ibis.null(), value)
        money = am.group_by([am.record_kind, am.record_id]).aggregate(
            unconverted=(summed & value.isnull() & ~left).cast("int64").sum(),
            left_out=(summed & left).cast("int64").sum(),
            **{f"{k}_{currency.lower()}": value.sum(where=am.kind == k) for k in AMOUNT_KINDS})
        keys = list(by)
        # one row per record and group, so that a record's amount counts once in each group
        per_group = facts.select(*keys, "record_kind", "record_id").distinct()
        keyed = per_group.left_join(
            money, (per_group.record_kind == money.record_kind) & (per_group.record_id == money.record_id))
        src = ev.select(ev.record_kind, ev.record_id, ev.source_id)
        grouped = keyed.group_by(keys).aggregate(
            records=keyed.record_id.nunique(),
            events=keyed.record_id.nunique(where=keyed.record_kind == "event"),
            projects=keyed.record_id.nunique(where=keyed.record_kind == "project"),
            **{f"{k}_{currency.lower()}": keyed[f"{k}_{currency.lower()}"].sum() for k in AMOUNT_KINDS},
            unconverted=keyed.unconverted.sum(), left_out=keyed.left_out.sum())
        # distinct sources behind each group
        with_src = facts.join(src, (facts.record_kind == src.record_kind) & (facts.record_id == src.record_id))
        sources = with_src.group_by(keys).aggregate(sources=with_src.source_id.nunique())
        out = grouped.left_join(sources, [grouped[k].identical_to(sources[k]) for k in keys]).select(
            *[grouped[k] for k in keys], "records", "events", "projects", "sources",
            *[f"{k}_{currency.lower()}" for k in AMOUNT_KINDS], "unconverted", "left_out")
        rows = out.order_by(keys).to_pyarrow().to_pylist()
        for r in rows:
            r["sources"] = r["sources"] or 0
            r["unconverted"] = r["unconverted"] or 0     # amounts left out: no rate, or another currency
            r["left_out"] = r["left_out"] or 0           # amounts left out: flagged by their importer
            for k in AMOUNT_KINDS:
                col = f"{k}_{currency.lower()}"
                if r[col] is not None:
                    r[col] = round(r[col], 2)
        return rows

    def _summable_amounts(self):
        """Amounts that can be added up without counting one sum twice.

        An event linked to a project that carries amounts (a signing that the
        project records) repeats the project's money, so its amounts are left
        out of sums; the listing still shows them.
        """
        am, links = self.table("amounts"), self.table("links")
        funded = am.filter(am.record_kind == "project").record_id
        repeats = links.filter((links.from_kind == "event") & (links.to_kind == "project")
                               & links.to_id.isin(funded)).from_id
        am = am.filter(~((am.record_kind == "event") & am.record_id.isin(repeats)))
        if "left_out" not in am.columns:            # a database built before the flag: nothing flagged
            am = am.mutate(left_out=ibis.null(str))
        if "project_links" in self.tables:
            am = self._moved_to_linked(am)
        return am

    def _moved_to_linked(self, am):
        """An imported project linked to a curated (or earlier imported) one is not counted itself (``facts``);
        its amounts of a kind the other project lacks (CRS disbursements of a loan whose curated record has
        only its commitment) are counted as that project's instead of being lost."""
        pl, projects = self.table("project_links"), self.table("projects")
        target = (pl.filter(pl.linked_to.isin(projects.id)).group_by("project_id")
                  .aggregate(linked_to=pl.linked_to.min()))
        own = am.filter(am.record_kind == "project").select(t_id=am.record_id, t_kind=am.kind).distinct()
        linked = am.filter(am.record_kind == "project").join(target, am.record_id == target.project_id)
        moved = (linked.left_join(own, (linked.linked_to == own.t_id) & (linked.kind == own.t_kind))
                 .filter(lambda t: t.t_id.isnull()))
        moved = moved.mutate(record_id=moved.linked_to).select(*am.columns)
        return am.filter(~((am.record_kind == "project") & am.record_id.isin(target.project_id))).union(moved)

    def counts(self) -> dict[str, int]:
        return {name: self.table(name).count().to_pyarrow().as_py()
                for name in ("sources", "actors", "initiatives", "events", "projects", "aid_totals", "groupings")}

    def overview(self) -> dict[str, Any]:
        e = self.table("events")
        ec = self.table("event_countries")
        by_type = e.group_by("type").aggregate(n=e.count()).order_by([ibis.desc("n"), "type"])
        by_country = ec.group_by("country").aggregate(events=ec.event_id.nunique())
        p = self.table("projects")
        proj_country = p.group_by(country=p.recipient).aggregate(projects=p.count())
        countries = by_country.outer_join(proj_country, by_country.country == proj_country.country).select(
            country=ibis.coalesce(by_country.country, proj_country.country),
            events=ibis.coalesce(by_country.events, 0), projects=ibis.coalesce(proj_country.projects, 0))
        facts = self.facts()
        facts = facts.mutate(decade=facts.decade.fill_null("undated"))
        decades = facts.group_by("decade").aggregate(
            events=facts.record_id.nunique(where=facts.record_kind == "event"),
            projects=facts.record_id.nunique(where=facts.record_kind == "project"))
        return {
            "counts": self.counts(),
            "by_type": by_type.to_pyarrow().to_pylist(),
            "by_country": countries.order_by([ibis.desc("events"), "country"]).to_pyarrow().to_pylist(),
            "by_decade": decades.order_by("decade").to_pyarrow().to_pylist(),
        }

    # --- helpers ----------------------------------------------------------------

    def _filtered(self, t, kind: str, since, until, origin, source, search, text_columns: Iterable[str]):
        """The filters events and projects share: years, origin, a cited source, words."""
        if "date" in t.columns:
            # an event dated START/END (no year of its own when it spans two) is in the range it overlaps
            first, last = t.date.substr(0, 4).cast("int32"), t.date.re_extract(r"(\d{4})[^/]*$", 1).cast("int32")
        else:
            first = last = t.year
        if since is not None:
            t = t.filter(last >= since)
        if until is not None:
            t = t.filter(first <= until)
        if origin:
            t = t.filter(t.origin == origin)
        if source:
            t = t.filter(t.id.isin(self._cited_by(kind, source)))
        if search:
            t = t.filter(self._matches(t, kind, search, text_columns))
        return t

    def _matches(self, t, kind: str, text: str, columns: Iterable[str]):
        """Case-insensitive substring match (no wildcards) in the columns or a quote."""
        needle = text.lower()
        cond = ibis.literal(False)
        for col in columns:
            cond = cond | t[col].lower().contains(needle).fill_null(False)
        ev = self.table("evidence")
        quoted = ev.filter((ev.record_kind == kind) & ev.quote.lower().contains(needle)).record_id
        return cond | t.id.isin(quoted)

    def _cited_by(self, kind: str, source: str):
        ev = self.table("evidence")
        return ev.filter((ev.record_kind == kind) & (ev.source_id == source)).record_id

    def _grouped(self, table: str, key: str, value: str, ids: Sequence[str]) -> dict[str, list]:
        if not ids:
            return {}
        t = self.table(table)
        out: dict[str, list] = defaultdict(list)
        for row in t.filter(t[key].isin(list(ids))).order_by([key, value]).to_pyarrow().to_pylist():
            out[row[key]].append(row[value])
        return out

    def _participants(self, ids: Sequence[str]) -> dict[str, list[dict]]:
        if not ids:
            return {}
        p, a = self.table("event_participants"), self.table("actors")
        q = p.filter(p.event_id.isin(list(ids))).left_join(a, p.actor_id == a.id).select(
            p.event_id, actor=p.actor_id, name=ibis.coalesce(a[f"name_{self.lang}"], a.name_en), role=p.role)
        out: dict[str, list[dict]] = defaultdict(list)
        for row in q.to_pyarrow().to_pylist():
            out[row.pop("event_id")].append(row)
        return out

    def _external_ids(self, ids: Sequence[str]) -> dict[str, dict[str, str]]:
        if not ids:
            return {}
        t = self.table("project_ids")
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for row in t.filter(t.project_id.isin(list(ids))).to_pyarrow().to_pylist():
            out[row["project_id"]][row["scheme"]] = row["value"]
        return out


def _lang(row: dict, prefix: str) -> dict[str, str]:
    return {lang: row[f"{prefix}_{lang}"] for lang in ("en", "ru", "kk", "ja")
            if row.get(f"{prefix}_{lang}")}
