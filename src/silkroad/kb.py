"""Load and validate the curated knowledge base (YAML files).

A knowledge-base folder holds ``*.yaml`` files at any depth.  Each file is a
mapping whose keys name record kinds (``sources``, ``actors``, ``initiatives``,
``events``, ``projects``, ``aid_totals``) and whose values are lists of
records.  Validation never stops at the first problem: it returns every
problem, each naming the file, line, record id and field.
"""

from __future__ import annotations

import dataclasses
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import ValidationError

from .model import RECORD_KINDS, AidTotal, Actor, Event, Grouping, Initiative, Project, Source


def bundled_data_dir() -> Path:
    return Path(str(resources.files("silkroad") / "data" / "kb"))


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    record: str          # "events[evt-...]" or "events[3]" when the id is missing
    field: str           # dotted path, "" for the whole record
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" field {self.field}:" if self.field else ":"
        if not (self.record or self.field):
            return f"{where}: {self.message}"
        record = f" {self.record}" if self.record else ""
        return f"{where}:{record}{field} {self.message}"


class LineDict(dict):
    """A mapping that remembers the line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict


class LineList(list):
    line: int = 0
    item_lines: list


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~10x faster
    """Safe YAML with line numbers; dates stay text so that PartialDate checks them."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError("while constructing a mapping", node.start_mark,
                                       f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader, node):
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _line_of(data: Any, loc: Iterable[Any]) -> int:
    """The line of the deepest part of ``data`` that ``loc`` still reaches."""
    line = getattr(data, "line", 0)
    for part in loc:
        if isinstance(data, LineDict) and part in data:
            line = data.key_lines.get(part, line)
            data = data[part]
        elif isinstance(data, LineList) and isinstance(part, int) and part < len(data):
            line = data.item_lines[part]
            data = data[part]
        else:
            break
        line = getattr(data, "line", 0) or line
    return line


def _field_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-plain") or "[" in str(part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclasses.dataclass
class KnowledgeBase:
    sources: dict[str, Source] = dataclasses.field(default_factory=dict)
    actors: dict[str, Actor] = dataclasses.field(default_factory=dict)
    initiatives: dict[str, Initiative] = dataclasses.field(default_factory=dict)
    events: dict[str, Event] = dataclasses.field(default_factory=dict)
    projects: dict[str, Project] = dataclasses.field(default_factory=dict)
    aid_totals: dict[str, AidTotal] = dataclasses.field(default_factory=dict)
    groupings: dict[str, Grouping] = dataclasses.field(default_factory=dict)
    # where each record was read: (kind, id) -> (file, line)
    origin: dict[tuple[str, str], tuple[str, int]] = dataclasses.field(default_factory=dict)
    files: list[Path] = dataclasses.field(default_factory=list)
    # the files' names and bytes as read, in load order: what a build records as its content
    sha256: "hashlib._Hash" = dataclasses.field(default_factory=hashlib.sha256)

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in RECORD_KINDS}


def data_files(dirs: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted(p for p in d.rglob("*.yaml") if p.is_file()))
        else:
            raise FileNotFoundError(f"{d}: no such knowledge-base folder or file")
    return files


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load(dirs: Iterable[Path] | None = None) -> tuple[KnowledgeBase, list[Problem]]:
    """Read every YAML file below ``dirs`` (default: the bundled data).

    Returns the records that parsed and the list of problems; a knowledge
    base is usable only when that list is empty.
    """
    dirs = list(dirs) if dirs else [bundled_data_dir()]
    kb = KnowledgeBase()
    problems: list[Problem] = []
    for path in data_files(dirs):
        kb.files.append(path)
        problems.extend(_load_file(path, kb))
    problems.extend(check_references(kb))
    return kb, sorted(set(problems))


def _load_file(path: Path, kb: KnowledgeBase) -> list[Problem]:
    shown = _display(path)
    raw = path.read_bytes()
    kb.sha256.update(path.name.encode())
    kb.sha256.update(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(shown, 0, "", "", f"not UTF-8 text (byte {exc.start}): save the file as UTF-8")]
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return [Problem(shown, line, "", "", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [Problem(shown, 1, "", "", "a knowledge-base file must be a mapping of record kinds "
                        f"({', '.join(RECORD_KINDS)}) to lists of records")]
    problems: list[Problem] = []
    for kind, records in data.items():
        line = data.key_lines.get(kind, 0)
        if kind not in RECORD_KINDS:
            problems.append(Problem(shown, line, "", kind, f"unknown record kind; use one of {', '.join(RECORD_KINDS)}"))
            continue
        if not isinstance(records, list):
            problems.append(Problem(shown, line, kind, "", "must be a list of records"))
            continue
        model = RECORD_KINDS[kind]
        store = getattr(kb, kind)
        for index, raw in enumerate(records):
            rec_line = records.item_lines[index]
            rid = raw.get("id") if isinstance(raw, dict) else None
            label = f"{kind}[{rid}]" if isinstance(rid, str) else f"{kind}[{index}]"
            if not isinstance(raw, dict):
                problems.append(Problem(shown, rec_line, label, "", "a record must be a mapping of fields"))
                continue
            try:
                record = model.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = [p for p in err["loc"]]
                    msg = err["msg"].removeprefix("Value error, ")
                    if err["type"] == "missing":
                        msg = "missing (required)"
                    elif err["type"] == "extra_forbidden":
                        msg = "unknown field"
                    elif err["type"] == "literal_error":
                        msg = f"{err.get('input')!r} is not allowed: {msg}"
                    problems.append(Problem(shown, _line_of(raw, loc) or rec_line, label, _field_path(loc), msg))
                continue
            if record.id in store:
                first_file, first_line = kb.origin[(kind, record.id)]
                problems.append(Problem(shown, rec_line, label, "id",
                                        f"duplicate id (first defined at {first_file}:{first_line})"))
                continue
            store[record.id] = record
            kb.origin[(kind, record.id)] = (shown, rec_line)
    return problems


def check_references(kb: KnowledgeBase) -> list[Problem]:
    """Ids that point to records which do not exist, and ids shared across kinds."""
    problems: list[Problem] = []

    def problem(kind: str, rid: str, field: str, message: str) -> None:
        file, line = kb.origin.get((kind, rid), ("", 0))
        problems.append(Problem(file, line, f"{kind}[{rid}]", field, message))

    def need(kind: str, rid: str, field: str, target: str, ref: str | None) -> None:
        if ref is not None and ref not in getattr(kb, target):
            problem(kind, rid, field, f"unknown {target[:-1]} id {ref!r}")

    seen: dict[str, str] = {}
    for kind in RECORD_KINDS:
        for rid in getattr(kb, kind):
            if rid in seen and seen[rid] != kind:
                problem(kind, rid, "id", f"the same id is also used by a record in {seen[rid]}")
            seen.setdefault(rid, kind)

    pages: dict[str, str] = {}
    for sid, src in kb.sources.items():
        if not src.url:
            continue
        page = src.url.strip().rstrip("/").removeprefix("https://").removeprefix("http://").removeprefix("www.")
        if page in pages:
            first_file, first_line = kb.origin[("sources", pages[page])]
            problem("sources", sid, "url", f"the same page is already source {pages[page]!r} "
                    f"({first_file}:{first_line}); cite that id instead")
        else:
            pages[page] = sid

    def check_evidence(kind: str, rid: str, evidence, prefix: str = "evidence") -> None:
        for i, ev in enumerate(evidence):
            need(kind, rid, f"{prefix}[{i}].source", "sources", ev.source)

    for kind in ("initiatives", "events", "projects", "aid_totals", "groupings"):
        for rid, rec in getattr(kb, kind).items():
            check_evidence(kind, rid, rec.evidence)
            shown_rank = min((kb.sources[e.source].rank for e in rec.evidence if e.source in kb.sources), default=2)
            for i, conflict in enumerate(rec.conflicts):
                need(kind, rid, f"conflicts[{i}].evidence.source", "sources", conflict.evidence.source)
                if conflict.field not in type(rec).model_fields:
                    problem(kind, rid, f"conflicts[{i}].field", f"{conflict.field!r} is not a field of {kind}")
                other = kb.sources.get(conflict.evidence.source)
                if other is not None and other.rank < shown_rank:
                    problem(kind, rid, f"conflicts[{i}]",
                            f"source {other.id!r} outranks the record's own sources (funder, then implementing "
                            f"agency, then others): show its value and move the other to conflicts")
    for rid, actor in kb.actors.items():
        check_evidence("actors", rid, actor.evidence)
    for rid, ev in kb.events.items():
        for i, p in enumerate(ev.participants):
            need("events", rid, f"participants[{i}].actor", "actors", p.actor)
        need("events", rid, "initiative", "initiatives", ev.initiative)
        for i, pid in enumerate(ev.projects):
            need("events", rid, f"projects[{i}]", "projects", pid)
    for rid, pr in kb.projects.items():
        need("projects", rid, "donor", "actors", pr.donor)
        need("projects", rid, "agency", "actors", pr.agency)
        need("projects", rid, "initiative", "initiatives", pr.initiative)
        for i, eid in enumerate(pr.events):
            need("projects", rid, f"events[{i}]", "events", eid)
    for rid, ini in kb.initiatives.items():
        need("initiatives", rid, "donor", "actors", ini.donor)
        for i, eid in enumerate(ini.events):
            need("initiatives", rid, f"events[{i}]", "events", eid)
        for i, pid in enumerate(ini.projects):
            need("initiatives", rid, f"projects[{i}]", "projects", pid)
    for rid, total in kb.aid_totals.items():
        need("aid_totals", rid, "donor", "actors", total.donor)
    return problems


def validate(dirs: Iterable[Path] | None = None) -> list[Problem]:
    return load(dirs)[1]


if __name__ == "__main__":  # python -m silkroad.kb [DIR|FILE ...]
    import sys

    found = validate([Path(a) for a in sys.argv[1:]] or None)
    for p in found:
        print(p)
    print(f"{len(found)} problem(s)", file=sys.stderr)
    sys.exit(1 if found else 0)
