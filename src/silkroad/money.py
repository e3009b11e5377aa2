"""Currency conversion to US dollars with a cited yearly rate.

Rates are the European Central Bank's euro reference rates, shipped offline
inside the ``currencyconverter`` package (1999 onwards).  A year's rate is the
mean over that year's days of the USD/EUR rate divided by the currency/EUR
rate.  The original amount is always kept; conversion only adds a column.
"""

from __future__ import annotations

import functools
import statistics
from typing import NamedTuple

RATE_SOURCE = "ECB euro reference rates (currencyconverter package), yearly mean of daily cross rates"


class Converted(NamedTuple):
    value: float | None
    rate: float | None      # US dollars per unit of the original currency
    note: str | None


@functools.lru_cache(maxsize=1)
def _converter():
    from currency_converter import CurrencyConverter

    return CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


@functools.lru_cache(maxsize=None)
def usd_rate(currency: str, year: int) -> float | None:
    """US dollars per one unit of ``currency``, averaged over ``year``; None if unknown."""
    if currency == "USD":
        return 1.0
    conv = _converter()
    rates = getattr(conv, "_rates", {})
    usd, other = rates.get("USD"), rates.get(currency) if currency != "EUR" else None
    if usd is None or (currency != "EUR" and other is None):
        return None
    daily = []
    for day, usd_per_eur in usd.items():
        if day.year != year or usd_per_eur is None:
            continue
        if currency == "EUR":
            daily.append(usd_per_eur)
        elif other.get(day):
            daily.append(usd_per_eur / other[day])
    return statistics.fmean(daily) if daily else None


def to_usd(value: float, currency: str, year: int | None) -> Converted:
    if currency == "USD":
        return Converted(value, 1.0, None)
    if year is None:
        return Converted(None, None, "no year to choose a rate")
    rate = usd_rate(currency, year)
    if rate is None:
        return Converted(None, None, f"no ECB rate for {currency} in {year}")
    return Converted(value * rate, rate, f"{RATE_SOURCE}, {year}")
