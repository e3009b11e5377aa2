"""Conversion to US dollars at yearly ECB rates, from the shipped rate table."""

from __future__ import annotations

import pytest

from silkroad import money


def test_yen_in_2017_is_about_112_to_the_dollar():
    rate = money.usd_rate("JPY", 2017)
    assert 1 / 115 < rate < 1 / 109
    converted = money.to_usd(24e9, "JPY", 2017)
    assert converted.value == pytest.approx(24e9 * rate)
    assert "ECB" in converted.note and "2017" in converted.note


@pytest.mark.parametrize("currency, first, last", [
    ("EUR", 1999, 2025), ("JPY", 1999, 2025), ("KRW", 1999, 2025), ("GBP", 1999, 2025), ("CHF", 1999, 2025),
    ("CNY", 2005, 2025), ("TRY", 2005, 2025),
    ("RUB", 2005, 2021),        # the ECB stopped publishing the rouble in March 2022
])
def test_the_table_covers_the_partners_currencies(currency, first, last):
    assert [y for y in range(first, last + 1) if money.usd_rate(currency, y) is None] == []
    assert money.usd_rate(currency, first - 1) is None


def test_euro_and_dollar():
    assert money.to_usd(5.0, "USD", None) == (5.0, 1.0, None)
    assert 1.0 < money.usd_rate("EUR", 2010) < 1.5


def test_unknown_rates_are_said_not_guessed():
    assert money.to_usd(1e6, "JPY", 1995) == (None, None, "no ECB rate for JPY in 1995")
    assert money.to_usd(1e6, "KZT", 2015).value is None     # the ECB publishes no tenge rate
    assert money.to_usd(1e6, "JPY", None).note == "no year to choose a rate"
