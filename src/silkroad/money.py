"""Currency conversion to US dollars with a cited yearly rate.

A year's rate is the mean over that year's days of the European Central
Bank's euro reference rates, crossed through the euro (1999 onwards).  The
table ``data/codes/usd_rates.tsv`` is written from the ECB history by
``tools/make_rates.py``; nothing is fetched at run time.  The original amount
is always kept; conversion only adds a column.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import NamedTuple

RATE_SOURCE = "ECB euro reference rates, yearly mean of daily cross rates (data/codes/usd_rates.tsv)"


class Converted(NamedTuple):
    value: float | None
    rate: float | None      # US dollars per unit of the original currency
    note: str | None


@functools.lru_cache(maxsize=1)
def _rates() -> dict[tuple[str, int], float]:
    table = resources.files("silkroad") / "data" / "codes" / "usd_rates.tsv"
    out: dict[tuple[str, int], float] = {}
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("currency\t") or not line.strip():
            continue
        currency, year, rate, _days = line.split("\t")
        out[(currency, int(year))] = float(rate)
    return out


def usd_rate(currency: str, year: int) -> float | None:
    """US dollars per one unit of ``currency``, averaged over ``year``; None if unknown."""
    if currency == "USD":
        return 1.0
    return _rates().get((currency, year))


def to_usd(value: float, currency: str, year: int | None) -> Converted:
    if currency == "USD":
        return Converted(value, 1.0, None)
    if year is None:
        return Converted(None, None, "no year to choose a rate")
    rate = usd_rate(currency, year)
    if rate is None:
        return Converted(None, None, f"no ECB rate for {currency} in {year}")
    return Converted(value * rate, rate, f"{RATE_SOURCE}, {year}")
