"""Write silkroad's own compact copies of the code lists the importers need.

Run from the repository root with the shared real data beside it:

    .venv/bin/python tools/make_codes.py [../shared/data/real]

It reads the published lists (IATI codelists, OECD DAC provider/recipient
codelists, GDELT's CAMEO.eventcodes.txt) and writes small TSV files into
src/silkroad/data/codes/.  Only the columns the importers use are kept (code,
English name, and the few cross-walks).  Two tables are not in the shared
folder and are written from the tables below: the FIPS 10-4 -> ISO 3166
cross-walk used by GDELT's *Geo_CountryCode fields, and the Correlates of War
state codes used by AidData aggregates; both cover the countries silkroad
studies, their neighbours and the donors it compares.  CAMEO codes are mapped
to silkroad event types by the rules in ``cameo_type``.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "silkroad" / "data" / "codes"

# FIPS 10-4 country codes (used by GDELT geography fields) -> ISO 3166-1 alpha-2.
FIPS = {
    "KZ": "KZ", "UZ": "UZ", "KG": "KG", "TI": "TJ", "TX": "TM", "AF": "AF", "PK": "PK", "IR": "IR",
    "IN": "IN", "CH": "CN", "RS": "RU", "MG": "MN", "AJ": "AZ", "AM": "AM", "GG": "GE", "TU": "TR",
    "JA": "JP", "KS": "KR", "KN": "KP", "US": "US", "UK": "GB", "FR": "FR", "GM": "DE", "IT": "IT",
    "SP": "ES", "PO": "PT", "NL": "NL", "BE": "BE", "SZ": "CH", "AU": "AT", "SW": "SE", "NO": "NO",
    "DA": "DK", "FI": "FI", "EI": "IE", "PL": "PL", "EZ": "CZ", "LO": "SK", "HU": "HU", "RO": "RO",
    "BU": "BG", "GR": "GR", "UP": "UA", "BO": "BY", "MD": "MD", "LH": "LT", "LG": "LV", "EN": "EE",
    "AS": "AU", "NZ": "NZ", "CA": "CA", "MX": "MX", "BR": "BR", "AR": "AR", "CI": "CL", "CO": "CO",
    "PE": "PE", "VE": "VE", "SA": "SA", "AE": "AE", "QA": "QA", "KU": "KW", "IZ": "IQ", "SY": "SY",
    "IS": "IL", "JO": "JO", "LE": "LB", "EG": "EG", "LY": "LY", "TS": "TN", "AG": "DZ", "MO": "MA",
    "SF": "ZA", "NI": "NG", "KE": "KE", "ET": "ET", "SU": "SD", "OD": "SS", "SO": "SO", "GH": "GH",
    "CH ": "CN", "BG": "BD", "CE": "LK", "NP": "NP", "BT": "BT", "BM": "MM", "TH": "TH", "VM": "VN",
    "CB": "KH", "LA": "LA", "MY": "MY", "SN": "SG", "ID": "ID", "RP": "PH", "TW": "TW", "HK": "HK",
    "YM": "YE", "MU": "OM", "BA": "BH", "HR": "HR", "SI": "SI", "BK": "BA", "RI": "RS", "MJ": "ME",
    "MK": "MK", "AL": "AL", "KV": "XK", "CY": "CY", "MT": "MT", "LU": "LU", "IC": "IS", "EC": "EC",
    "CU": "CU", "HA": "HT", "DR": "DO", "GT": "GT", "HO": "HN", "ES": "SV", "NU": "NI", "CS": "CR",
    "PM": "PA", "BL": "BO", "PA": "PY", "UY": "UY", "UG": "UG", "TZ": "TZ", "RW": "RW", "BY": "BI",
    "CG": "CD", "CF": "CG", "AO": "AO", "ZA": "ZM", "ZI": "ZW", "MI": "MW", "MZ": "MZ", "WA": "NA",
    "BC": "BW", "SG": "SN", "ML": "ML", "NG": "NE", "CD": "TD", "CM": "CM", "IV": "CI", "LI": "LR",
    "SL": "SL", "GV": "GN", "BN": "BJ", "TO": "TG", "UV": "BF", "MR": "MR", "ER": "ER", "DJ": "DJ",
    "MA": "MG", "MP": "MU", "VT": "VA", "JE": "JE", "GQ": "GU", "MH": "MS", "FJ": "FJ", "VC": "VC",
    "WE": "PS", "GZ": "PS", "RM": "MH", "BF": "BS", "BH": "BZ", "JM": "JM", "TD": "TT", "BB": "BB",
    "AC": "AG", "DO": "DM", "GJ": "GD", "ST": "LC", "SC": "KN", "RQ": "PR", "VQ": "VI", "NS": "SR",
    "GY": "GY", "FG": "GF", "FP": "PF", "NC": "NC", "PP": "PG", "BP": "SB", "NH": "VU", "WS": "WS",
    "TN": "TO", "KR": "KI", "TV": "TV", "NR": "NR", "PS": "PW", "FM": "FM", "MV": "MV", "SE": "SC",
    "CN": "KM", "CV": "CV", "TP": "ST", "EK": "GQ", "GB": "GA", "PU": "GW", "GA": "GM", "SH": "SH",
    "LT": "LS", "WZ": "SZ", "RE": "RE", "MF": "YT", "IM": "IM", "GK": "GG", "MN": "MC", "LS": "LI",
    "AN": "AD", "SM": "SM", "GI": "GI", "FO": "FO", "GL": "GL", "BD": "BM", "CJ": "KY", "TK": "TC",
    "VI": "VG", "AA": "AW", "BX": "BN", "MC": "MO", "TT": "TL",
}
# CAMEO actor codes for regions and groups of states (not countries): no warning, no country.
CAMEO_REGIONS = ("AFR", "ASA", "BLK", "BAL", "CAS", "CAU", "CFR", "CRB", "EAF", "EEU", "EUR", "LAM",
                 "MDE", "MEA", "NAF", "NMR", "PGS", "SAF", "SAM", "SAS", "SCN", "SEA", "WAF", "WST")
FIPS.pop("CH ")

# Correlates of War state codes -> ISO 3166-1 alpha-2 (AidData country-year aggregates).
COW = {
    "2": "US", "20": "CA", "200": "GB", "220": "FR", "255": "DE", "325": "IT", "365": "RU", "369": "UA",
    "370": "BY", "371": "AM", "372": "GE", "373": "AZ", "630": "IR", "640": "TR", "700": "AF",
    "701": "TM", "702": "TJ", "703": "KG", "704": "UZ", "705": "KZ", "710": "CN", "712": "MN",
    "731": "KP", "732": "KR", "740": "JP", "750": "IN", "770": "PK", "771": "BD",
}


def items(path: Path):
    for item in ET.parse(path).getroot().iter("codelist-item"):
        name = next((n.text for n in item.iter("narrative")
                     if n.get("{http://www.w3.org/XML/1998/namespace}lang") in (None, "en")), None)
        yield item.findtext("code"), " ".join((name or "").split()), item.get("status") or "active", item


def write(name: str, header: list[str], rows) -> None:
    rows = sorted(set(tuple("" if v is None else str(v).replace("\t", " ") for v in r) for r in rows))
    with (OUT / name).open("w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"{name}: {len(rows)} rows")


def cameo_type(code: str) -> str:
    """silkroad event type for a CAMEO event code."""
    if code in ("042", "043"):
        return "visit"
    if code.startswith("057"):
        return "agreement"
    if code.startswith("033"):          # express intent to provide material aid
        return "aid_announcement"
    if code.startswith("073"):
        return "disaster_relief"
    if code.startswith("071"):
        return "grant"
    if code.startswith("061"):
        return "technical_cooperation" if code == "0611" else "investment" if code == "0612" else "other"
    if code.startswith("04"):
        return "meeting"
    return "other"


def cameo(path: Path):
    text = path.read_bytes().decode("utf-8")
    rows = []
    for line in text.splitlines()[1:]:
        code, _, label = line.partition("\t")
        label = label.strip()
        # quirk: "1056\tDemand de-escalation of military engagement106:[-5.0] Demand withdrawal"
        if "106:[" in label:
            label, _, rest = label.partition("106:[")
            rows.append(("106", rest.split("]", 1)[1].strip()))
        # quirk: 044 is mojibake ("Meet at a \u2018third\u2019 location" encoded twice); keep it readable
        if code.strip() == "044":
            label = "Meet at a 'third' location"
        rows.append((code.strip(), " ".join(label.split())))
    return [(c, l, cameo_type(c)) for c, l in rows if c]


def main(real: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cl = real / "iati_codelists"
    write("iati_transaction_types.tsv", ["code", "name"],
          ((c, n) for c, n, _, _ in items(cl / "TransactionType.xml")))
    write("iati_activity_status.tsv", ["code", "name"], ((c, n) for c, n, _, _ in items(cl / "ActivityStatus.xml")))
    write("iati_finance_types.tsv", ["code", "name"], ((c, n) for c, n, _, _ in items(cl / "FinanceType.xml")))
    write("iati_aid_types.tsv", ["code", "name"], ((c, n) for c, n, _, _ in items(cl / "AidType.xml")))
    write("iati_org_roles.tsv", ["code", "name"], ((c, n) for c, n, _, _ in items(cl / "OrganisationRole.xml")))
    write("iati_sector_vocabularies.tsv", ["code", "name"],
          ((c, n) for c, n, _, _ in items(cl / "SectorVocabulary.xml")))
    write("iati_regions.tsv", ["code", "name"], ((c, n) for c, n, _, _ in items(cl / "Region.xml")))
    cats = {c: n for c, n, _, _ in items(cl / "SectorCategory.xml")}
    write("sectors.tsv", ["code", "name", "dac3", "dac3_name", "status"],
          ((c, n, c[:3], cats.get(c[:3], ""), s) for c, n, s, _ in items(cl / "Sector.xml")))
    write("sector_categories.tsv", ["code", "name"], cats.items())
    write("currencies.tsv", ["code", "name", "status"], ((c, n, s) for c, n, s, _ in items(cl / "Currency.xml")))

    import pycountry
    countries = []
    for c, n, s, _ in items(cl / "Country.xml"):
        iso = pycountry.countries.get(alpha_2=c)
        countries.append((c, iso.alpha_3 if iso else ("XKX" if c == "XK" else ""), n))
    write("countries.tsv", ["iso2", "iso3", "name"], countries)
    write("fips_countries.tsv", ["fips", "iso2"], FIPS.items())
    write("cameo_regions.tsv", ["code"], ((c,) for c in CAMEO_REGIONS))
    write("cow_countries.tsv", ["cow", "iso2"], COW.items())

    def dac(path: Path):
        data = json.loads(path.read_text(encoding="utf-8"))
        for it in data["codelists"]["codelist"][0]["codelist-items"]["codelist-item"]:
            names = it["name"]["narrative"]
            name = next((n for n in names if isinstance(n, str)), "")
            yield it["code"], it.get("iso-alpha-2-code") or "", it.get("iso-alpha-3-code") or "", name, it.get("type", "")
    write("dac_recipients.tsv", ["code", "iso2", "iso3", "name", "type"], dac(real / "oecd_dac_codelists" / "oecd_dac_recipient_codelist.json"))
    write("dac_providers.tsv", ["code", "iso2", "iso3", "name", "type"], dac(real / "oecd_dac_codelists" / "oecd_dac_provider_codelist.json"))
    write("cameo_event_types.tsv", ["code", "label", "silkroad_type"], cameo(real / "gdelt" / "CAMEO.eventcodes.txt"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "real")
