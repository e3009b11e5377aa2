"""Lenient evaluation of candidates against a hand-annotated gold set.

A candidate matches a gold event of the same document when their evidence spans overlap
and their types are in the same group ({visit, meeting, summit}, {loan, grant,
technical_cooperation, investment, aid_announcement, disaster_relief}, any other type
alone).  Each gold event is matched at most once (best-overlap, most confident first).
Among matched pairs: exact year (gold has a date) and exact amount (gold has an amount;
value within 0.5 %, currency equal when the gold gives one).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Iterable

from .events import group


@dataclasses.dataclass
class Scores:
    candidates: int
    gold: int
    matched: int
    year_total: int
    year_exact: int
    amount_total: int
    amount_exact: int

    @property
    def precision(self) -> float:
        return self.matched / self.candidates if self.candidates else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def year_accuracy(self) -> float:
        return self.year_exact / self.year_total if self.year_total else 1.0

    @property
    def amount_accuracy(self) -> float:
        return self.amount_exact / self.amount_total if self.amount_total else 1.0

    def report(self) -> str:
        return (f"candidates {self.candidates}  gold {self.gold}  matched {self.matched}\n"
                f"precision {self.precision:.3f}  recall {self.recall:.3f}  F1 {self.f1:.3f}\n"
                f"exact year {self.year_accuracy:.3f} ({self.year_exact}/{self.year_total})  "
                f"exact amount {self.amount_accuracy:.3f} ({self.amount_exact}/{self.amount_total})")


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def doc_key(doc: str) -> str:
    return Path(str(doc)).name


def evaluate(candidates: Iterable[dict], gold: Iterable[dict], docs: Iterable[str] | None = None) -> Scores:
    """Score ``candidates`` against ``gold``; ``docs`` limits the gold to those documents."""
    candidates = list(candidates)
    gold = list(gold)
    if docs is not None:
        keys = {doc_key(d) for d in docs}
        gold = [g for g in gold if doc_key(g["doc"]) in keys]
    used: set[int] = set()
    matched = year_total = year_exact = amount_total = amount_exact = 0
    for cand in sorted(candidates, key=lambda c: -float(c.get("confidence") or 0)):
        best, best_overlap = None, 0
        for i, g in enumerate(gold):
            if i in used or doc_key(g["doc"]) != doc_key(cand["doc"]):
                continue
            if group(g["event_type"]) != group(cand["event_type"]):
                continue
            overlap = min(g["end"], cand["end"]) - max(g["start"], cand["start"])
            if overlap > best_overlap:
                best, best_overlap = i, overlap
        if best is None:
            continue
        used.add(best)
        matched += 1
        g = gold[best]
        if g.get("date"):
            year_total += 1
            if cand.get("date") and str(cand["date"])[:4] == str(g["date"])[:4]:
                year_exact += 1
        if g.get("amount"):
            amount_total += 1
            if cand.get("amount") and abs(cand["amount"] - g["amount"]) <= 0.005 * g["amount"] and \
                    (not g.get("currency") or g["currency"] == cand.get("currency")):
                amount_exact += 1
    return Scores(len(candidates), len(gold), matched, year_total, year_exact, amount_total, amount_exact)
