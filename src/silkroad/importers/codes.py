"""The code lists the importers use, read from silkroad's own copies in ``silkroad/data/codes``.

The TSV files are written by ``tools/make_codes.py`` from the published lists
(IATI codelists, OECD DAC codelists, GDELT's CAMEO lookup).  Each table is
loaded once, on first use.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from pathlib import Path


def codes_dir() -> Path:
    return Path(str(resources.files("silkroad") / "data" / "codes"))


@functools.lru_cache(maxsize=None)
def table(name: str) -> tuple[dict[str, str], ...]:
    with (codes_dir() / f"{name}.tsv").open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


@functools.lru_cache(maxsize=None)
def mapping(name: str, key: str = "code", value: str = "name") -> dict[str, str]:
    return {r[key]: r[value] for r in table(name)}


def transaction_types() -> dict[str, str]:
    return mapping("iati_transaction_types")


def sectors() -> dict[str, str]:
    return mapping("sectors")


def sector_categories() -> dict[str, str]:
    return mapping("sector_categories")


def currencies() -> set[str]:
    return set(mapping("currencies"))


def countries() -> dict[str, str]:
    """ISO 3166 alpha-2 -> English name (IATI Country codelist)."""
    return mapping("countries", "iso2", "name")


def iso3_to_iso2() -> dict[str, str]:
    return {r["iso3"]: r["iso2"] for r in table("countries") if r["iso3"]}


def fips_to_iso2() -> dict[str, str]:
    return mapping("fips_countries", "fips", "iso2")


def cow_to_iso2() -> dict[str, str]:
    return mapping("cow_countries", "cow", "iso2")


def dac_recipients() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in table("dac_recipients")}


def dac_providers() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in table("dac_providers")}


def cameo() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in table("cameo_event_types")}


# IATI ActivityStatus -> silkroad status
ACTIVITY_STATUS = {"1": "proposed", "2": "ongoing", "3": "ongoing", "4": "completed", "5": "cancelled",
                   "6": "unknown"}
# IATI TransactionType codes with a short snake_case name used in the transactions table
TRANSACTION_KIND = {"1": "incoming_funds", "2": "commitment", "3": "disbursement", "4": "expenditure",
                    "5": "interest_payment", "6": "loan_repayment", "7": "reimbursement",
                    "8": "purchase_of_equity", "9": "sale_of_equity", "10": "credit_guarantee",
                    "11": "incoming_commitment", "12": "outgoing_pledge", "13": "incoming_pledge"}
# IATI 1.x letter codes for transaction types, still met in 2.0x files
TRANSACTION_LETTERS = {"IF": "1", "C": "2", "D": "3", "E": "4", "IR": "5", "LR": "6", "R": "7",
                       "QP": "8", "QS": "9", "CG": "10"}


def instrument(finance_type: str | None, aid_type: str | None) -> str:
    """silkroad instrument from IATI/CRS finance type and aid type codes."""
    if aid_type and aid_type[:1] == "D":
        return "technical_cooperation"
    ft = (finance_type or "").strip()
    if ft.isdigit():
        n = int(ft)
        if 400 <= n < 500:
            return "loan"
        if 100 <= n < 300:
            return "grant"
        if 500 <= n < 700:
            return "investment"
    return "other"


def sector_name(purpose_code: str | None) -> str | None:
    """The silkroad sector name (model.SECTORS) for a DAC purpose code."""
    from ..model import sector_of

    return sector_of(purpose_code) if purpose_code else None


def sector_group(dac_code: str | None) -> str | None:
    from ..model import SECTOR_GROUPS

    if not dac_code:
        return None
    return SECTOR_GROUPS.get(dac_code[0], "unallocated / unspecified")
