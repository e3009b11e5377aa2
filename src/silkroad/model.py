"""The records of the knowledge base and their vocabularies.

Every curated record is one of the pydantic models below.  The YAML files in
``silkroad/data`` are lists of such records; ``silkroad.kb`` loads and checks
them, ``silkroad.store`` compiles them into DuckDB.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, get_args

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# --- vocabularies -----------------------------------------------------------

EventType = Literal[
    "visit", "meeting", "summit", "agreement", "loan", "grant",
    "technical_cooperation", "investment", "aid_announcement",
    "program_launch", "disaster_relief", "other",
]
SourceKind = Literal["article", "press_release", "news", "treaty", "dataset", "report", "book", "web_page"]
ActorKind = Literal["state", "government_body", "agency", "company", "person", "forum", "multilateral", "organisation"]
Instrument = Literal["loan", "grant", "technical_cooperation", "investment", "other"]
AmountKind = Literal["pledge", "commitment", "disbursement", "total", "investment", "trade"]
EVENT_TYPES = get_args(EventType)
SOURCE_KINDS = get_args(SourceKind)
ACTOR_KINDS = get_args(ActorKind)
INSTRUMENTS = get_args(Instrument)
AMOUNT_KINDS = get_args(AmountKind)
Confidence = Literal["high", "medium", "low"]
Status = Literal["held", "planned", "cancelled", "signed", "ongoing", "completed", "proposed", "unknown"]
LANGS = ("en", "ru", "kk", "ja")
# Publishers whose word decides a conflict first (the funder), then second (the
# implementing agency); lower-case fragments of Source.publisher.
FUNDER_PUBLISHERS = ("ministry of foreign affairs of japan", "mofa japan", "embassy of japan",
                     "prime minister of japan", "kantei", "government of japan")
IMPLEMENTER_PUBLISHERS = ("japan international cooperation agency", "jica", "japan bank for international",
                          "jbic", "nexi", "jogmec")

# Named sectors and the OECD DAC purpose-code prefixes they stand for (a
# purpose code has five digits; its first three are the DAC sector).  A
# project gives a sector name, a purpose code or both; the code must then
# start with the name's prefix.
SECTORS: dict[str, str] = {
    "education": "11",
    "health": "12",
    "population": "13",
    "water": "14",
    "government": "15",
    "social": "16",
    "transport": "21",
    "communications": "22",
    "energy": "23",
    "banking": "24",
    "business": "25",
    "agriculture": "31",
    "industry": "321",
    "mining": "322",
    "construction": "323",
    "trade": "331",
    "tourism": "332",
    "environment": "41",
    "multisector": "43",
    "budget_support": "51",
    "food_aid": "52",
    "commodity_aid": "53",
    "debt": "60",
    "humanitarian": "72",
    "reconstruction": "73",
    "disaster_prevention": "74",
    "administrative": "91",
    "unspecified": "99",
}
# DAC broad groups by the first digit of a purpose code.
SECTOR_GROUPS = {
    "1": "social infrastructure and services",
    "2": "economic infrastructure and services",
    "3": "production sectors",
    "4": "multi-sector / cross-cutting",
    "5": "commodity aid and general programme assistance",
    "6": "action relating to debt",
    "7": "humanitarian aid",
    "9": "unallocated / unspecified",
}

def sector_of(purpose_code: str) -> str:
    """The sector name whose prefix is the longest match for a purpose code."""
    best = max((p for p in SECTORS.values() if purpose_code.startswith(p)), key=len, default=None)
    return next(n for n, p in SECTORS.items() if p == best) if best else "unspecified"


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def check_slug(value: Any) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(f"{value!r} is not a slug id (lower-case letters, digits and hyphens)")
    return value


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def check_country(code: Any) -> str:
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code (two capital letters)")
    if code != "XK" and pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code")
    return code


def check_currency(code: Any) -> str:
    if not isinstance(code, str) or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


# --- dates with precision ---------------------------------------------------

class PartialDate(str):
    """A date written as YYYY, YYYY-MM or YYYY-MM-DD; its form is its precision.

    ``A/B`` (two such dates, ISO 8601 interval form) is a date known only to lie between A and B,
    e.g. a meeting whose existence is sourced but whose day is not; its year is known only when A and
    B fall in the same year.
    """

    @property
    def is_interval(self) -> bool:
        return "/" in self

    @property
    def precision(self) -> str:
        return "interval" if self.is_interval else {4: "year", 7: "month", 10: "day"}[len(self)]

    @property
    def year(self) -> int | None:
        if self.is_interval:
            first, last = self.split("/")
            return int(first[:4]) if first[:4] == last[:4] else None
        return int(self[:4])

    def first_day(self) -> dt.date:
        parts = [int(p) for p in self.split("/")[0].split("-")] + [1, 1]
        return dt.date(parts[0], parts[1], parts[2])

    def last_day(self) -> dt.date:
        import calendar

        parts = [int(p) for p in self.split("/")[-1].split("-")]
        year, month = parts[0], parts[1] if len(parts) > 1 else 12
        day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
        return dt.date(year, month, day)

    @classmethod
    def parse(cls, value: Any) -> "PartialDate":
        if isinstance(value, str) and "/" in value:
            parts = value.strip().split("/")
            if len(parts) != 2:
                raise ValueError(f"{value!r} is not a date interval (write START/END, e.g. 2018-06/2019-05)")
            first, last = cls._parse_one(parts[0]), cls._parse_one(parts[1])
            if last.last_day() < first.first_day():
                raise ValueError(f"{value!r}: the interval ends before it starts")
            return cls(f"{first}/{last}")
        return cls._parse_one(value)

    @classmethod
    def _parse_one(cls, value: Any) -> "PartialDate":
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return cls(value.isoformat())
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)")
        m = _DATE.match(value.strip())
        if not m:
            raise ValueError(f"{value!r} is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)")
        year, month, day = m.group(1), m.group(2), m.group(3)
        if not 1900 <= int(year) <= 2100:
            raise ValueError(f"{value!r}: year out of range 1900-2100")
        if month and not 1 <= int(month) <= 12:
            raise ValueError(f"{value!r}: month {month} does not exist")
        if day:
            try:
                dt.date(int(year), int(month), int(day))
            except ValueError:
                raise ValueError(f"{value!r}: day {day} does not exist in that month") from None
        return cls(value.strip())

    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )


# --- shared parts -------------------------------------------------------------

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Text(Strict):
    """A short text in several languages; English is required."""

    en: str
    ru: str | None = None
    kk: str | None = None
    ja: str | None = None


class Evidence(Strict):
    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)
    quote: str = Field(min_length=1)
    note: str | None = None

    @field_validator("locator", "quote")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class Amount(Strict):
    value: float = Field(gt=0)
    currency: str
    kind: AmountKind = "commitment"
    year: int | None = Field(default=None, ge=1900, le=2100)
    fiscal_year: bool = False          # a Japanese fiscal year (April-March)
    approximate: bool = False
    note: str | None = None

    _currency = field_validator("currency")(classmethod(lambda cls, v: check_currency(v)))


class Conflict(Strict):
    """Another value that a source gives for one field of the record."""

    field: str
    value: Any
    evidence: Evidence
    note: str | None = None


class Place(Strict):
    country: str | None = None
    city: str | None = None

    _country = field_validator("country")(classmethod(lambda cls, v: v if v is None else check_country(v)))


class Participant(Strict):
    actor: str
    role: str | None = None


class Record(Strict):
    id: str
    evidence: list[Evidence] = Field(min_length=1)
    confidence: Confidence = "high"
    confidence_note: str | None = None
    conflicts: list[Conflict] = []

    _slug = field_validator("id")(classmethod(lambda cls, v: check_slug(v)))

    @model_validator(mode="after")
    def _low_confidence_has_reason(self):
        if self.confidence == "low" and not self.confidence_note:
            raise ValueError("confidence: low needs a confidence_note saying why")
        return self


# --- records ------------------------------------------------------------------

class Source(Strict):
    id: str
    kind: SourceKind
    title: str
    publisher: str | None = None
    author: str | None = None
    url: str | None = None
    citation: str | None = None
    language: str
    published: PartialDate | None = None
    accessed: PartialDate | None = None
    license: str | None = None
    doi: str | None = None
    # who speaks: the funder's own source outranks the implementing agency's,
    # which outranks everyone else's, when sources disagree (see Source.rank)
    standing: Literal["funder", "implementer", "other"] | None = None

    _slug = field_validator("id")(classmethod(lambda cls, v: check_slug(v)))

    @property
    def rank(self) -> int:
        """0 funder, 1 implementing agency, 2 others; guessed from the publisher when not given."""
        standing = self.standing
        if standing is None:
            publisher = (self.publisher or "").lower()
            if any(k in publisher for k in FUNDER_PUBLISHERS):
                standing = "funder"
            elif any(k in publisher for k in IMPLEMENTER_PUBLISHERS):
                standing = "implementer"
            else:
                standing = "other"
        return ("funder", "implementer", "other").index(standing)

    @field_validator("language")
    @classmethod
    def _lang(cls, value: str) -> str:
        if pycountry.languages.get(alpha_2=value) is None:
            raise ValueError(f"{value!r} is not an ISO 639-1 language code")
        return value

    @model_validator(mode="after")
    def _url_or_citation(self):
        if not (self.url or self.citation):
            raise ValueError("a source needs a url or a full citation")
        return self

    def cite(self) -> str:
        return self.citation or f"{self.publisher + ': ' if self.publisher else ''}{self.title}. {self.url}"


class Names(Strict):
    en: str
    ru: str | None = None
    kk: str | None = None
    ja: str | None = None


class Aliases(Strict):
    en: list[str] = []
    ru: list[str] = []
    kk: list[str] = []
    ja: list[str] = []


class Role(Strict):
    title: str                       # e.g. "prime minister", "foreign minister"
    of: str | None = None            # country code or actor id
    start: PartialDate | None = None
    end: PartialDate | None = None


class Actor(Strict):
    """A state, body, company, person or forum; its names feed the gazetteer."""

    id: str
    kind: ActorKind
    names: Names
    aliases: Aliases = Aliases()
    country: str | None = None
    roles: list[Role] = []
    evidence: list[Evidence] = []

    _slug = field_validator("id")(classmethod(lambda cls, v: check_slug(v)))
    _country = field_validator("country")(classmethod(lambda cls, v: v if v is None else check_country(v)))

    @model_validator(mode="after")
    def _state_has_country(self):
        if self.kind == "state" and not self.country:
            raise ValueError("an actor of kind state needs its country code")
        return self


class Event(Record):
    type: EventType
    date: PartialDate
    end_date: PartialDate | None = None
    status: Status = "held"
    place: Place | None = None
    countries: list[str] = Field(min_length=1)
    participants: list[Participant] = []
    initiative: str | None = None
    projects: list[str] = []
    title: Text
    summary: Text | None = None
    amounts: list[Amount] = []

    @field_validator("place", mode="before")
    @classmethod
    def _place_shorthand(cls, value: Any) -> Any:
        return {"country": value} if isinstance(value, str) else value

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for code in value:
            check_country(code)
        if len(set(value)) != len(value):
            raise ValueError("a country is listed twice")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self):
        if self.end_date and self.end_date.first_day() < self.date.first_day():
            raise ValueError("end_date is before date")
        return self


class Sector(Strict):
    name: str | None = None
    purpose_code: str | None = None

    @model_validator(mode="after")
    def _known(self):
        if not (self.name or self.purpose_code):
            raise ValueError("a sector needs a name or a purpose_code")
        if self.name is not None and self.name not in SECTORS:
            raise ValueError(f"unknown sector {self.name!r}; use one of {', '.join(SECTORS)}")
        if self.purpose_code is not None:
            if not re.fullmatch(r"\d{5}", self.purpose_code):
                raise ValueError(f"purpose_code {self.purpose_code!r} is not a 5-digit DAC purpose code")
            if self.name and not self.purpose_code.startswith(SECTORS[self.name]):
                prefix = SECTORS[self.name]
                raise ValueError(f"purpose_code {self.purpose_code} is not in sector {self.name} "
                                 f"(DAC {prefix}{'x' * (5 - len(prefix))})")
        return self

    @property
    def dac_code(self) -> str:
        """The DAC sector: three digits of the purpose code, or the name's prefix."""
        return self.purpose_code[:3] if self.purpose_code else SECTORS[self.name]

    @property
    def group(self) -> str:
        return SECTOR_GROUPS.get(self.dac_code[0], "unallocated / unspecified")

    @property
    def label(self) -> str:
        return self.name or sector_of(self.purpose_code)

    @field_validator("purpose_code", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ProjectDates(Strict):
    signed: PartialDate | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None


class Project(Record):
    title: Text
    donor: str                        # actor id
    agency: str | None = None          # actor id
    recipient: str                     # country code
    sector: Sector
    instrument: Instrument
    dates: ProjectDates = ProjectDates()
    amounts: list[Amount] = []
    status: Status = "unknown"
    external_ids: dict[str, str] = {}
    events: list[str] = []
    initiative: str | None = None
    summary: Text | None = None

    _recipient = field_validator("recipient")(classmethod(lambda cls, v: check_country(v)))

    @field_validator("sector", mode="before")
    @classmethod
    def _sector_shorthand(cls, value: Any) -> Any:
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return {"purpose_code": str(value)}
        return {"name": value} if isinstance(value, str) else value

    @property
    def year(self) -> int | None:
        for d in (self.dates.signed, self.dates.start):
            if d and d.year:            # an interval over two years has none
                return d.year
        for a in self.amounts:
            if a.year:
                return a.year
        return None


class Initiative(Record):
    title: Text
    donor: str | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    countries: list[str] = []
    summary: Text | None = None
    amounts: list[Amount] = []          # pledges or totals stated for the whole initiative
    events: list[str] = []
    projects: list[str] = []

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        return [check_country(c) for c in value]


class AidTotal(Record):
    """A donor's yearly aid total to one recipient, as an official source states it."""

    donor: str                          # actor id
    recipient: str                      # country code
    year: int = Field(ge=1950, le=2100)
    fiscal_year: bool = False
    flow: str = "ODA"
    instrument: Instrument | None = None
    amount: Amount

    _recipient = field_validator("recipient")(classmethod(lambda cls, v: check_country(v)))


class Grouping(Record):
    """An author's grouping of countries, e.g. the article's "core" and "distant" partners."""

    title: Text
    author: str | None = None          # whose analysis: a source id or a name
    groups: dict[str, list[str]] = Field(min_length=2)   # group label -> country codes
    summary: Text | None = None

    @field_validator("groups")
    @classmethod
    def _members(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        seen: set[str] = set()
        for label, codes in value.items():
            if not codes:
                raise ValueError(f"group {label!r} has no countries")
            for code in codes:
                check_country(code)
                if code in seen:
                    raise ValueError(f"{code} is in two groups")
                seen.add(code)
        return value


# The files of the knowledge base: the top-level key of each YAML file names
# which kind of record it holds.
RECORD_KINDS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "actors": Actor,
    "initiatives": Initiative,
    "events": Event,
    "projects": Project,
    "aid_totals": AidTotal,
    "groupings": Grouping,
}
