"""Turn reviewed candidates into knowledge-base records (library for the CLI and the web UI).

``accept_candidate`` appends a source (the document) and an event to
``<kb>/reviewed/<out_name>``; ``find_duplicates`` lists existing events with the same type,
date and countries; ``add_evidence`` adds the candidate's quote to such an event in the file
it lives in.  Every write is checked by reloading the file with ``silkroad.kb``; a write
that would make the file invalid is undone and raises ``ValueError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import yaml

from silkroad import kb as kbmod
from silkroad.model import EVENT_TYPES, Event, Source

QUOTE_MAX = 400


def default_kb_dir() -> Path:
    return kbmod.bundled_data_dir()


REQUIRED = ("event_type", "evidence", "start", "end")


def load_candidates(path: str | Path) -> list[dict]:
    """The candidates of a JSONL file (or '-' for stdin); a bad line raises ValueError naming it."""
    import sys

    name = "stdin" if str(path) == "-" else str(path)
    handle = sys.stdin if str(path) == "-" else open(path, encoding="utf-8")
    out = []
    try:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                cand = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{name}:{n}: not a JSON object ({exc.msg}, column {exc.colno})") from None
            if not isinstance(cand, dict):
                raise ValueError(f"{name}:{n}: not a JSON object")
            missing = [k for k in REQUIRED if k not in cand]
            if missing:
                raise ValueError(f"{name}:{n}: candidate lacks {', '.join(missing)}")
            if cand["event_type"] not in EVENT_TYPES:
                raise ValueError(f"{name}:{n}: field event_type: {cand['event_type']!r} is not an event type")
            out.append(cand)
    finally:
        if handle is not sys.stdin:
            handle.close()
    return out


def _write(path: Path, text: str) -> None:
    """Replace a file's text atomically: an interrupted write leaves the old file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def describe(cand: dict, index: int = 1, total: int = 1) -> str:
    amount = f"{cand['amount']:,.0f} {cand.get('currency') or ''}" if cand.get("amount") else "-"
    return (f"\n[{index}/{total}] {cand['event_type']}  date {cand.get('date') or '?'}  "
            f"countries {' '.join(cand.get('countries') or []) or '-'}  amount {amount}  "
            f"confidence {cand.get('confidence')}\n  {cand.get('doc')} chars {cand.get('start')}-{cand.get('end')}\n"
            f"  « {cand.get('evidence', '').strip()[:500]} »")


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:60].strip("-") or "doc"


def source_for(cand: dict) -> dict:
    """The source record of the candidate's document (url when the doc is one, else a path)."""
    doc = str(cand.get("doc") or "stdin")
    # the hash keeps two documents with the same name (or long URLs of one site) apart
    digest = hashlib.sha1(doc.encode("utf-8")).hexdigest()[:8]
    stem = Path(doc).stem if "://" not in doc else doc.split("://", 1)[1]
    sid = f"doc-{_slug(stem)[:50].strip('-')}-{digest}"
    rec = {"id": sid, "kind": "web_page" if "://" in doc else "article", "title": Path(doc).name or doc,
           "language": cand.get("lang") or "en"}
    if "://" in doc:
        rec["url"] = doc
    else:
        rec["citation"] = f"document {doc}"
    return rec


def default_title(cand: dict) -> str:
    kind = cand["event_type"].replace("_", " ")
    countries = "–".join(cand.get("countries") or [])
    return f"{kind.capitalize()}: {countries}" + (f" ({cand['date']})" if cand.get("date") else "")


def _confidence(cand: dict) -> dict:
    c = float(cand.get("confidence") or 0)
    if c >= 0.8:
        return {"confidence": "high"}
    if c >= 0.6:
        return {"confidence": "medium"}
    return {"confidence": "low", "confidence_note": f"extracted automatically with score {c}"}


def evidence_for(cand: dict, source_id: str) -> dict:
    quote = " ".join(str(cand.get("evidence", "")).split())[:QUOTE_MAX]
    return {"source": source_id, "locator": f"chars {cand['start']}-{cand['end']}", "quote": quote}


def candidate_to_event(cand: dict, source_id: str, edits: dict | None = None) -> dict:
    """The event record (a dict valid for ``model.Event``) of a candidate plus edits."""
    c = {**cand, **(edits or {})}
    if not c.get("date"):
        raise ValueError("the candidate has no date: edit it and give one")
    if not c.get("countries"):
        raise ValueError("the candidate names no country: edit it and give one")
    rec = {"id": "", "type": c["event_type"], "date": str(c["date"]), "countries": list(c["countries"]),
           "title": {"en": c.get("title") or default_title(c)},
           "evidence": [evidence_for(c, source_id)], **_confidence(c)}
    if c.get("actors"):
        rec["participants"] = [{"actor": a} for a in c["actors"]]
    if c.get("amount") and c.get("currency"):
        rec["amounts"] = [{"value": float(c["amount"]), "currency": c["currency"], "kind": "pledge"
                           if c["event_type"] == "aid_announcement" else "commitment",
                           "approximate": bool(c.get("approximate"))}]
    rec["id"] = f"evt-{rec['date']}-{_slug(c['event_type'])}-{'-'.join(x.lower() for x in rec['countries'])}"[:90].strip("-")
    Event.model_validate(rec)
    return rec


def find_duplicates(cand: dict, kb_dir: str | Path) -> list[str]:
    """Ids of existing events with the same type, date and set of countries."""
    base, _ = kbmod.load([Path(kb_dir)])
    out = []
    for eid, ev in base.events.items():
        if ev.type == cand.get("event_type") and str(ev.date) == str(cand.get("date")) \
                and set(ev.countries) == set(cand.get("countries") or []):
            out.append(eid)
    return out


def _check(path: Path, before: str | None) -> None:
    # the file alone: references to records in other files are checked by `silkroad validate`
    problems = [p for p in kbmod.validate([path]) if not re.search(r"unknown (actor|source|initiative) id", p.message)]
    if problems:
        if before is None:
            path.unlink()
        else:
            _write(path, before)
        raise ValueError("; ".join(str(p) for p in problems[:3]))


def accept_candidate(cand: dict, kb_dir: str | Path, edits: dict | None = None,
                     out_name: str = "extracted.yaml", source: dict | None = None) -> str:
    """Append the candidate (and its source, once) to ``<kb>/reviewed/<out_name>``; returns the event id."""
    kb_dir = Path(kb_dir)
    path = kb_dir / "reviewed" / out_name
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.exists() else None
    data = yaml.safe_load(before) if before else None
    data = data or {}
    data.setdefault("sources", [])
    data.setdefault("events", [])
    src = source or source_for(cand)
    Source.model_validate(src)
    if not any(s.get("id") == src["id"] for s in data["sources"]):
        base, _ = kbmod.load([kb_dir])
        if src["id"] not in base.sources:
            data["sources"].append(src)
    rec = candidate_to_event(cand, src["id"], edits)
    existing = {e.get("id") for e in data["events"]}
    base, _ = kbmod.load([kb_dir]) if kb_dir.exists() else (None, None)
    taken = existing | (set(base.events) if base else set())
    rid, n = rec["id"], 2
    while rid in taken:
        rid, n = f"{rec['id']}-{n}", n + 1
    rec["id"] = rid
    data["events"].append(rec)
    _write(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    _check(path, before)
    return rid


def add_evidence(event_id: str, cand: dict, kb_dir: str | Path, source: dict | None = None,
                 out_name: str = "extracted.yaml") -> Path:
    """Add the candidate's evidence to the existing event ``event_id`` in its own file.

    The file is edited as text (its comments and layout stay): a new item is inserted
    under the record's block-style ``evidence:`` key.  The source record goes to the
    reviewed file when the knowledge base does not have it yet.
    """
    kb_dir = Path(kb_dir)
    base, _ = kbmod.load([kb_dir])
    if event_id not in base.events:
        raise ValueError(f"no event {event_id!r} in {kb_dir}")
    file, line = base.origin[("events", event_id)]
    path = Path(file)
    if not path.is_absolute() and not path.exists():
        path = next(p for p in base.files if str(p).endswith(file))
    src = source or source_for(cand)
    if src["id"] not in base.sources:
        rpath = kb_dir / "reviewed" / out_name
        rpath.parent.mkdir(parents=True, exist_ok=True)
        rbefore = rpath.read_text(encoding="utf-8") if rpath.exists() else None
        data = (yaml.safe_load(rbefore) if rbefore else None) or {}
        data.setdefault("sources", []).append(src)
        _write(rpath, yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
        _check(rpath, rbefore)
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    start = line - 1
    rec_indent = len(lines[start]) - len(lines[start].lstrip(" -"))
    for i in range(start, len(lines)):
        if i > start and re.match(r"^\s*- id:", lines[i]) and (len(lines[i]) - len(lines[i].lstrip(" "))) <= rec_indent - 2:
            break
        m = re.match(r"^(\s*)evidence:\s*$", lines[i])
        if m:
            ind = m.group(1) + "  "
            ev = evidence_for(cand, src["id"])
            item = (f"{ind}- source: {ev['source']}\n{ind}  locator: {json.dumps(ev['locator'])}\n"
                    f"{ind}  quote: {json.dumps(ev['quote'], ensure_ascii=False)}\n")
            j = i + 1
            key_indent = len(m.group(1))
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip(" ")) > key_indent
                                      or (lines[j].lstrip(" ").startswith("- ") and len(lines[j]) - len(lines[j].lstrip(" ")) == key_indent
                                          and not re.match(r"^\s*- id:", lines[j]))):
                j += 1
            while j > i + 1 and not lines[j - 1].strip():
                j -= 1
            lines.insert(j, item)
            _write(path, "".join(lines))
            _check(path, before)
            return path
    raise ValueError(f"{event_id}: no block-style evidence list found in {path}; add the evidence by hand")
