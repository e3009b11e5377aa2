"""Print listings as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Callable, Sequence

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")


def fmt_amount(a: dict) -> str:
    """An amount for reading: 1.378 m EUR disbursement (rounded; ~ when approximate; why it is not summed)."""
    value = a["value"]
    for scale, word in ((1e9, "bn"), (1e6, "m")):
        if abs(value) >= scale:
            text = f"{value / scale:,.3f}".rstrip("0").rstrip(".") + f" {word}"
            break
    else:
        text = f"{value:,.0f}"
    approx = "~" if a.get("approximate") else ""
    return f"{approx}{text} {a.get('currency') or '(no currency)'} {a.get('kind', '')}".strip() + _left_out(a)


def _left_out(a: dict) -> str:
    return f" ({a['left_out']}; not summed)" if a.get("left_out") else ""


def exact_amount(a: dict) -> str:
    """An amount for a spreadsheet: every digit, its year, and the flags of fmt_amount."""
    value = f"{a['value']:f}".rstrip("0").rstrip(".")
    parts = [("~" if a.get("approximate") else "") + value, a.get("currency") or "(no currency)", a.get("kind", "")]
    if a.get("year") is not None:
        parts.append(("FY" if a.get("fiscal_year") else "") + str(a["year"]))
    return " ".join(p for p in parts if p) + _left_out(a)


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: texts by language, lists joined by '; ', nested records as compact JSON."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("title", "summary", "names") and isinstance(value, dict):
            for lang in ("en", "ru", "kk"):
                out[f"{key}_{lang}"] = value.get(lang, "")
        elif key == "sources" and isinstance(value, list):
            out["source_ids"] = "; ".join(s["id"] for s in value)
            out["quotes"] = " | ".join(s["quote"] for s in value)
        elif key == "amounts" and isinstance(value, list):
            out[key] = "; ".join(exact_amount(a) for a in value)
            notes = [a.get("note") or "" for a in value]
            out["amount_notes"] = "; ".join(notes) if any(notes) else ""
        elif key == "participants" and isinstance(value, list):
            out[key] = "; ".join(p["actor"] + (f" ({p['role']})" if p.get("role") else "") for p in value)
        elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            out[key] = "; ".join(str(v) for v in value)
        elif isinstance(value, (dict, list)):
            out[key] = json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
        else:
            out[key] = "" if value is None else value
    return out


def emit(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[tuple[str, Callable[[dict], Any]]],
         title: str | None = None, console: Console | None = None) -> None:
    console = console or Console()
    if fmt == "json":
        print(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
    elif fmt == "csv":
        flat = [flatten(r) for r in rows]
        fields: list[str] = []
        for r in flat:
            fields.extend(k for k in r if k not in fields)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        print(buf.getvalue(), end="")
    else:
        table = Table(title=title, show_lines=False, header_style="bold")
        for name, _ in columns:
            table.add_column(name, overflow="fold")
        for r in rows:
            table.add_row(*["" if (v := get(r)) is None else str(v) for _, get in columns])
        console.print(table)
        console.print(f"{len(rows)} row(s)", style="dim")
