"""The extraction pipeline: read (any encoding, streamed), split, find, score, merge.

``extract_file(path)`` yields candidate dicts in the JSONL schema of DESIGN.md:
``doc, event_type, date, countries, actors, amount, currency, sector, evidence, start, end,
confidence`` plus ``date_precision`` and ``lang``.  ``start``/``end`` are character offsets
in the decoded document text (for HTML: in the extracted text).
"""

from __future__ import annotations

import codecs
import io
import itertools
import re
import sys
from pathlib import Path
from typing import IO, Iterable, Iterator

from . import amounts as amounts_mod
from . import dates as dates_mod
from . import entities as entities_mod
from . import events as events_mod
from .lang import detect
from .sentences import split

BLOCK_CHARS = 256 * 1024          # a paragraph block never exceeds this many characters
MIN_CONFIDENCE = 0.5
REQUIRE_ANCHOR = True             # a candidate needs a date or an amount stated in its text
MERGE_GAP = 400                   # characters between two sentences that may describe one event
PHASE_GAP = 2000                  # characters over which a later sentence of the same phase continues an event
PENDING_MAX = 4                   # candidates held back for merging
DOC_DATE_SPAN = 5000              # undated events this near the top of a dated document take its date


class ReadError(Exception):
    """A file that cannot be read as text (binary, empty, missing)."""


# --- reading ------------------------------------------------------------------

def sniff_encoding(head: bytes) -> str:
    """The encoding of a file from its first bytes: BOMs, then UTF-8, then cp1251."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return "utf-32"
    sample = head[:65536]
    if b"\x00" in sample:
        # UTF-16 without BOM: every other byte is NUL in mostly-ASCII/Cyrillic text
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) * 0.3 and even < len(sample) * 0.05:
            return "utf-16-le"
        if even > len(sample) * 0.3 and odd < len(sample) * 0.05:
            return "utf-16-be"
        raise ReadError("binary file (contains NUL bytes), skipped")
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if sample and controls / len(sample) > 0.05:
        raise ReadError("binary file (control bytes), skipped")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1251"


def _html_text(raw: bytes, encoding: str = "utf-8") -> str:
    import lxml.html

    text = raw.decode(encoding, errors="replace")
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        return ""
    doc = lxml.html.document_fromstring(text)
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    for el in doc.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "tr", "title"):
        el.tail = "\n\n" + (el.tail or "")
    return re.sub(r"\n{3,}", "\n\n", doc.text_content()).strip()


def open_text(path: str | Path, stream: IO[bytes] | None = None) -> tuple[IO[str], str]:
    """A text stream for ``path`` ('-' or ``stream`` for stdin) and the encoding found."""
    raw = stream if stream is not None else (sys.stdin.buffer if str(path) == "-" else open(path, "rb"))
    buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)
    head = buffered.peek(65536)[:65536]
    if not head:
        raise ReadError("empty file, nothing to extract")
    encoding = sniff_encoding(head)
    is_html = str(path).lower().endswith((".html", ".htm")) or head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    if is_html:
        text = _html_text(buffered.read(200 * 1024 * 1024), encoding)
        return io.StringIO(text), encoding + "+html"
    return io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline=""), encoding


def read_blocks(handle: IO[str], limit: int = BLOCK_CHARS) -> Iterator[tuple[int, str]]:
    """Paragraph blocks ``(offset, text)`` of a stream; memory stays bounded by ``limit``."""
    offset = 0
    parts: list[str] = []
    size = 0
    start = 0
    while True:
        line = handle.readline(limit)        # a bounded read even when a "line" is 200 MB long
        if not line:
            break
        if not parts:
            start = offset
        parts.append(line)
        size += len(line)
        offset += len(line)
        if (not line.strip() and size > 2000) or size >= limit:
            yield start, "".join(parts)
            parts, size = [], 0
    if parts:
        yield start, "".join(parts)


# --- extraction ---------------------------------------------------------------

_BIBLIO = re.compile(r"\(\d{4}\)\s*[«\"“]|https?://|Available via|\(Accessed|Accessed:|\[in [A-Z]|дата обращения|бб\.\s*\d|стр\.\s*\d|pp\.\s*\d", re.I)
_BIBLIO_ITEM = re.compile(r"^\s*\d{1,3}\.\s")
_TAB_ROW_YEAR = re.compile(r"^\s*(19[5-9]\d|20[0-4]\d)")


class _DocState:
    def __init__(self, doc: str, doc_date: str | None):
        self.doc = doc
        self.doc_date = doc_date
        self.anchor: str | None = None        # the last explicit date seen
        self.country_counts: dict[str, int] = {}
        self.pending: list[dict] = []
        self.table_type: str | None = None
        self.para_anchor: str | None = None    # the last explicit date of this paragraph
        self.para_index = 0                    # paragraphs seen so far (amount linking looks one ahead)
        self.sentence_index = 0                # sentences seen so far (siblings of one sentence)

    def dominant(self, besides: list[str] | None = None) -> str | None:
        """The document's most frequent country so far (other than ``besides``)."""
        counts = [kv for kv in self.country_counts.items() if not besides or kv[0] not in besides]
        if not counts:
            return None
        return max(counts, key=lambda kv: kv[1])[0]


def _sentence_candidate(text: str, s: int, e: int, base: int, lang: str, state: _DocState,
                        gaz, table_row_type: str | None) -> list[dict]:
    """The candidates of one sentence: none, one, or two when it reports two events of
    different kinds ("the agreement was signed during the visit")."""
    sentence = text[s:e]
    trig_list = events_mod.triggers(sentence, lang)
    # without a trigger only explicit dates matter (they anchor what follows)
    found_dates = dates_mod.find(sentence, lang, explicit_only=not trig_list and not table_row_type)
    mentions = gaz.find(sentence)
    countries: list[str] = []
    actors: list[str] = []
    has_person = named_person = False
    for m in mentions:
        for c in m.countries:
            if c not in countries:
                countries.append(c)
            state.country_counts[c] = state.country_counts.get(c, 0) + 1
        if m.actor and m.actor not in actors and m.kind != "state":
            actors.append(m.actor)
            if m.kind in ("person", "government_body", "agency", "organisation", "company"):
                has_person = True
            if m.kind == "person":
                named_person = True
    resolved = []
    for d in found_dates:
        value = dates_mod.resolve(d, state.anchor, state.doc_date)
        resolved.append((d, value))
    found_amounts = amounts_mod.find(sentence, lang) if trig_list else []
    chosen = events_mod.choose(trig_list, lang, has_amount=bool(found_amounts))
    table_row = False
    if chosen is None and table_row_type and _TAB_ROW_YEAR.match(sentence):
        chosen = events_mod.Trigger(0, 0, table_row_type, True)
        table_row = True
    result: list[dict] = []
    if chosen is not None and not countries and not actors and chosen.strong:
        dom = state.dominant()
        if dom and (resolved and any(v for _, v in resolved) or state.para_anchor):
            countries.append(dom)
    if chosen is not None and not _BIBLIO.search(sentence) and (countries or actors):
        if len(countries) == 1 or (not countries and actors):
            # the other party: a document about Japan's aid names Japan most, the recipient next
            dom = state.dominant(besides=countries)
            if dom:
                countries.append(dom)
        has_person = has_person or events_mod.names_office(sentence, lang)
        common = dict(sentence=sentence, s=s, e=e, base=base, lang=lang, state=state, resolved=resolved,
                      found_dates=found_dates, found_amounts=found_amounts, countries=countries, actors=actors,
                      has_person=has_person, named_person=named_person, table_row=table_row)
        result = [_build(chosen, **common)]
        second = None if table_row else _second_trigger(trig_list, chosen)
        if second is not None:
            # two events in one sentence ("signed ... during the visit"): one candidate each
            result.append(_build(second, secondary=True, **common))
        elif not table_row and not found_amounts and chosen.event_type in _COORDINATED:
            result = _split_coordinated(result[0], sentence, s, base, trig_list, resolved, mentions) or result
    for d, value in resolved:          # explicit dates become the anchor of what follows
        if d.explicit and value:
            state.anchor = value
            state.para_anchor = value
        elif value and d.month and d.shift is None and not d.today:
            # a day without a year, read in the document's year, is what "On the same day" means
            # ("The main events of the visit will begin on 18 December. ... On the same day ...")
            state.anchor = value
    return result


_CONTACT_FINANCE = ({"contact"}, {"agreement", "finance"})
_COORDINATED = {"other", "visit", "agreement"}
_CLAUSE_SEP = re.compile(r"[,;]\s+")


def _split_coordinated(cand: dict, sentence: str, s: int, base: int, trig_list: list, resolved: list,
                       mentions: list) -> list[dict] | None:
    """Coordinated clauses of one kind, each with its own date: "The Japanese Embassy in
    Tashkent was opened in January 1993, and the Uzbek Embassy in Tokyo opened in February
    1996"; "1992 жылы ... қатынастар орнатылып, 1993 жылы Алматыда Жапонияның елшілігі, 1997
    жылы Токиода Қазақстанның елшілігі ашылды".  One candidate per clause, when a comma or
    semicolon separates every two dates and every clause names a party or has a trigger; a
    bare list of years ("four times: in 1994, 1999, 2008 and 2016") stays one candidate."""
    dated = sorted(((d, v) for d, v in resolved if d.explicit and v), key=lambda dv: dv[0].start)
    if len(dated) < 2 or len({v for _, v in dated}) < len(dated):
        return None
    cuts = []
    for (d1, _), (d2, _) in zip(dated, dated[1:]):
        seps = list(_CLAUSE_SEP.finditer(sentence, d1.end, d2.start))
        if not seps:
            return None
        cuts.append(seps[-1].start())
    bounds = [0] + cuts + [len(sentence)]
    out = []
    for i, (d, value) in enumerate(dated):
        a, b = bounds[i], bounds[i + 1]
        seg = sentence[a:b]
        lead = len(seg) - len(seg.lstrip(",; "))
        a += lead
        own = [tr for tr in trig_list if a <= tr.start < b]
        if not own and not any(a <= m.start < b for m in mentions):
            return None
        c = dict(cand)
        c["countries"], c["actors"] = list(cand["countries"]), list(cand["actors"])
        c["event_type"] = own[0].event_type if own else cand["event_type"]
        if events_mod.group(c["event_type"]) == "finance":
            return None
        c["evidence"] = sentence[a:b].rstrip()
        c["start"], c["end"] = base + s + a, base + s + a + len(c["evidence"])
        c["date"], c["date_precision"], c["date_source"], c["_text_date"] = value, dates_mod.precision(value), "text", value
        out.append(c)
    return out


def _second_trigger(found: list, chosen) -> "events_mod.Trigger | None":
    """A second strong trigger of another kind in the sentence: contact next to agreement or
    finance ("signed ... during the visit"), or a summit next to a meeting ("took part in the
    summit and met X on its sidelines")."""
    g1 = events_mod.group(chosen.event_type)
    best = None
    for t in found:
        if not t.strong or t is chosen or (t.start < chosen.end and chosen.start < t.end):
            continue
        g2 = events_mod.group(t.event_type)
        pair = {chosen.event_type, t.event_type}
        if ((g1 in _CONTACT_FINANCE[0] and g2 in _CONTACT_FINANCE[1])
                or (g2 in _CONTACT_FINANCE[0] and g1 in _CONTACT_FINANCE[1])
                or (pair == {"summit", "meeting"})):
            if best is None or t.start < best.start:
                best = t
    return best


def _build(trigger, *, sentence, s, e, base, lang, state, resolved, found_dates, found_amounts, countries,
           actors, has_person, named_person, table_row, secondary=False) -> dict:
    """One candidate of a sentence for one trigger, with that trigger's own arguments: the date
    nearest it, and an amount only when it is a finance event (or the sentence's only one)."""
    inherited = False
    date = None
    best = None
    signed = events_mod.signing_dates(sentence, lang, [d for d, _ in resolved]) \
        if events_mod.group(trigger.event_type) in ("finance", "agreement") else set()
    for d, value in resolved:
        if value is None:
            continue
        gap = abs((d.start + d.end) / 2 - (trigger.start + trigger.end) / 2)
        if id(d) in signed:
            gap -= 10000              # "signed on 20 November 2023", "2003 жылғы 5 қарашада жасалған"
        if best is None or gap < best:
            best, date = gap, value
    if date is None and trigger.strong and state.para_anchor:
        date, inherited = state.para_anchor, True
    if date is None and state.anchor and dates_mod.opens_with_same_time(sentence):
        date, inherited = state.anchor, True
    finance = events_mod.group(trigger.event_type) == "finance"
    own_amounts = found_amounts if (finance or not secondary) else []
    if secondary and not finance:
        own_amounts = []
    # anchored in one concrete event: a date or an amount stated, or a named participant
    anchored = not events_mod.is_aggregate(sentence, lang) and (
        bool(found_dates) or inherited or bool(own_amounts) or table_row or (
        (named_person or events_mod.names_office(sentence, lang)) and not events_mod.needs_amount(trigger.event_type)))
    if events_mod.is_speech(sentence) and not own_amounts and not any(d.explicit for d in found_dates):
        anchored = False              # a quotation ("Today we discussed ...") reports no event of its own,
                                      # unless it states a year ('"... relations on January 26, 1992"')
    date_source = "text" if date else None
    amount = _best_amount(own_amounts)
    conf = events_mod.score(strong=trigger.strong, has_date=date is not None and not inherited,
                            inherited_date=inherited,
                            has_amount=amount is not None, has_person=has_person,
                            n_countries=len(countries), generic=events_mod.is_generic(sentence, lang),
                            table_row=table_row)
    if date is None and state.doc_date and base + s < DOC_DATE_SPAN:
        date, date_source = state.doc_date[:7], "document"     # news: the event of the report
    return {
        "doc": state.doc, "event_type": trigger.event_type, "date": date,
        "countries": sorted(countries), "actors": list(actors),
        "amount": amount.value if amount else None,
        "currency": amount.currency if amount else None,
        "sector": events_mod.sector(sentence, lang) if finance else None,
        "evidence": sentence, "start": base + s, "end": base + e,
        "confidence": conf, "date_precision": dates_mod.precision(date), "lang": lang,
        "approximate": bool(amount and amount.approximate), "date_source": date_source,
        "stage": events_mod.stage(sentence, lang) if finance else None,
        "_title_amount": bool(amount) and _is_title(sentence), "_anchored": anchored,
        "_framed": events_mod.is_framed(sentence, lang), "_strong": trigger.strong,
        "_phase": events_mod.phase(sentence), "_cont": events_mod.continues(sentence, lang),
        "_sids": {state.sentence_index}, "_para": state.para_index, "_secondary": secondary,
        "_text_date": date if date_source == "text" and not inherited else None,
    }


def _best_amount(found: list):
    """The amount of the event: outside brackets (not a conversion), with a currency, first."""
    if not found:
        return None
    return min(found, key=lambda a: (a.in_brackets, a.currency is None))


def _is_title(text: str) -> bool:
    """A headline: one short line without a closing full stop."""
    t = text.strip()
    return "\n" not in t and len(t) < 160 and not t.endswith((".", "!", "?", "…", ":", ";"))


def _amount_rank(c: dict) -> tuple:
    """Which of two amounts of one event to keep: the original (non-USD) currency, then the more precise."""
    digits = len(f"{c['amount']:.6g}".replace(".", "").rstrip("0").lstrip("0"))
    return (c.get("currency") != "USD", digits)


def _text_date(c: dict) -> str | None:
    """The candidate's date when the text states it (not the document's date)."""
    return c["date"] if c.get("date_source") == "text" else None


def _merge(a: dict, b: dict) -> bool:
    """Merge ``b`` into ``a`` when both describe one event; True when merged."""
    ga, gb = events_mod.group(a["event_type"]), events_mod.group(b["event_type"])
    # a headline is the title of the one event its lead reports: once merged, it is that event
    a_title = _is_title(a["evidence"]) and len(a.get("_sids", ())) <= 1
    b_title = _is_title(b["evidence"])
    pa, pb = a.get("_phase"), b.get("_phase")
    if pa and pb and pa != pb:
        return False                  # "Phase II" then "на первом этапе ... $35 млн": two events
    same_phase = bool(pa and pb and pa == pb)
    if ga != gb:
        # "Документы подписали ..." / "projects worth $435,900 were signed" right after a grant:
        # the documents of that grant (an amount must then agree with the grant's, below); a
        # finance word that is no event of its own ("thanked Japan for its assistance") takes none
        if not (ga == "finance" and b["event_type"] == "agreement" and a.get("_anchored")
                and (b["amount"] or b.get("date_source") != "text")):
            return False
    if b["start"] - a["end"] > (PHASE_GAP if same_phase else MERGE_GAP):
        return False
    if (ga == "contact" and a["event_type"] != b["event_type"] and not b.get("_framed")
            and a.get("_strong") and b.get("_strong")
            and not (a_title or b_title)):
        return False                  # "held a phone call" then "postponed his visit": two events
    if not a["date"] and b["date"] and not (a_title or b_title):
        return False
    # a date taken from the document is no evidence of another event; stated dates must agree
    ad, bd = _text_date(a), _text_date(b)
    if ad and bd and ad[:4] != bd[:4]:
        return False
    if ad and bd and ad != bd and not (ad.startswith(bd) or bd.startswith(ad)):
        return False
    rounded = component = False
    if a["amount"] and b["amount"] and a["amount"] != b["amount"] and a["currency"] == b["currency"]:
        close = abs(a["amount"] - b["amount"]) <= 0.1 * max(a["amount"], b["amount"])
        # a headline or an "about"/"более" figure rounds the figure of the text ("6 млн" then
        # "6,2 млн"); a pledge yields to the commitment ("will provide about $440,000" then
        # "worth a total of $435,900 were signed")
        rounded = close and bool(a.get("_title_amount") or a.get("approximate")
                                 or (a.get("stage") == "pledge" and b.get("stage") == "commitment"))
        # a part of the event's total ("Так, на строительство школы ... $90,6 тыс."), stated
        # without a date of its own by a weak trigger, the documents, or an anaphoric opening,
        # continues the event and keeps its total; a new strong grant of its own does not
        component = (not close and b["amount"] < a["amount"] and not bd
                     and (not b.get("_strong") or b["event_type"] == "agreement" or b.get("_cont")))
        if not (rounded or component):
            return False
    if not set(a["countries"]) & set(b["countries"]):
        return False
    a["end"] = max(a["end"], b["end"])
    if not a["date"] or (bd and (not ad or len(bd) > len(ad))):
        a["date"], a["date_precision"] = b["date"], b["date_precision"]
    if b["amount"] and not component and (
            not a["amount"] or rounded or (a.get("_title_amount") and _amount_rank(b) >= _amount_rank(a))
            or (a["currency"] is None and b["currency"] is not None)):
        a["_title_amount"] = False
        a["amount"], a["currency"], a["approximate"] = b["amount"], b["currency"], b["approximate"]
    if b.get("stage") == "commitment" or not a.get("stage"):
        a["stage"] = b.get("stage") or a.get("stage")
    for c in b["countries"]:
        if c not in a["countries"]:
            a["countries"].append(c)
    a["countries"].sort()
    for x in b["actors"]:
        if x not in a["actors"]:
            a["actors"].append(x)
    a["_anchored"] = a.get("_anchored") or b.get("_anchored")
    a["_phase"] = pa or pb
    a["_sids"] = a.get("_sids", set()) | b.get("_sids", set())
    a["_para"] = b.get("_para", a.get("_para"))
    if a.get("date_source") != "text" and b.get("date_source") == "text":
        a["date_source"] = "text"
    a["confidence"] = round(min(1.0, max(a["confidence"], b["confidence"]) + 0.05), 2)
    return True


def _link_amount(sentence: str, s: int, e: int, base: int, lang: str, state: _DocState) -> None:
    """Give the last event its amount from a following sentence without a trigger of its own
    that continues it: in the same paragraph, or opening the next one, with an anaphoric
    opening ("Under this project ...", "Для этого ...") or the same phase, and no other date."""
    if not state.pending:
        return
    a = state.pending[-1]
    if a["amount"] is not None or events_mod.group(a["event_type"]) != "finance":
        return
    gap_paras = state.para_index - a.get("_para", -99)
    if gap_paras not in (0, 1) or base + s - a["end"] > MERGE_GAP:
        return
    cont = events_mod.continues(sentence, lang)
    ph = events_mod.phase(sentence)
    if ph and a.get("_phase") and ph != a["_phase"]:
        return                        # an explicitly different phase: another event's amount
    if not (cont or (ph and ph == a.get("_phase") and gap_paras == 0)):
        return
    found = amounts_mod.find(sentence, lang)
    if not found:
        return
    ad = _text_date(a)
    for d in dates_mod.find(sentence, lang, explicit_only=True):
        v = d.value()
        if v and ad and not (v.startswith(ad[:4]) and (ad.startswith(v) or v.startswith(ad))):
            return                    # a sentence about another dated event
    best = _best_amount(found)
    a["amount"], a["currency"], a["approximate"] = best.value, best.currency, best.approximate
    a["end"] = max(a["end"], base + e)
    a["_anchored"] = True
    a["confidence"] = round(min(1.0, a["confidence"] + 0.1), 2)


def _process_block(text: str, base: int, lang: str, state: _DocState, gaz) -> Iterator[dict]:
    block_lang: list[str] = []

    def block_language() -> str:      # detected once, and only when a paragraph is ambiguous
        if not block_lang:
            block_lang.append(detect(text))
        return block_lang[0]

    for ls, le in _paragraphs(text):
        para = text[ls:le]
        state.para_index += 1
        plang = detect(para, default=block_language) if lang == "auto" else lang
        is_table = "\t" in para
        state.para_anchor = None
        if (_BIBLIO_ITEM.match(para) and _BIBLIO.search(para)) or events_mod.is_label(para):
            continue
        if not is_table:
            state.table_type = None
        for s, e in split(text[ls:le], ls):
            sentence = text[s:e]
            state.sentence_index += 1
            if "\t" in sentence and not _TAB_ROW_YEAR.match(sentence):
                found = events_mod.choose(events_mod.triggers(sentence, plang), plang)  # table header
                state.table_type = found.event_type if found else None
            cands = _sentence_candidate(text, s, e, base, plang, state, gaz, state.table_type if "\t" in sentence else None)
            if not cands:
                if not is_table:
                    _link_amount(sentence, s, e, base, plang, state)
                continue
            for cand in cands:
                if "\t" not in cand["evidence"] and _merge_into_pending(state.pending, cand):
                    continue
                state.pending.append(cand)
                while len(state.pending) > PENDING_MAX or (
                        len(state.pending) > 1 and cand["start"] - state.pending[0]["end"] > PHASE_GAP):
                    yield from _emit(state.pending.pop(0))


def _merge_into_pending(pending: list[dict], cand: dict) -> bool:
    """Merge ``cand`` into the last pending candidate that describes its event.  Looks past a
    candidate of the same sentence (the other event of "signed ... during the visit"), from one
    event of a two-event sentence to the other, past one that will be dropped (too weak, not
    anchored), and past one of an explicitly different phase; stops at any other."""
    for i in range(len(pending) - 1, -1, -1):
        p = pending[i]
        if p.get("_sids", set()) & cand.get("_sids", set()):
            continue
        if _merge(p, cand):
            return True
        sibling = i > 0 and bool(pending[i - 1].get("_sids", set()) & p.get("_sids", set()))
        doomed = p["confidence"] < MIN_CONFIDENCE or (REQUIRE_ANCHOR and not p.get("_anchored", True))
        if not (sibling or doomed or (p.get("_phase") and cand.get("_phase") and p["_phase"] != cand["_phase"])):
            return False
    return False


def _emit(cand: dict) -> Iterator[dict]:
    for key in ("_title_amount", "_framed", "_strong", "_phase", "_cont", "_sids", "_para", "_secondary", "_text_date"):
        cand.pop(key, None)
    if not cand.pop("_anchored", True) and REQUIRE_ANCHOR:
        return                        # no date, no amount: a general statement, not one event
    if cand["confidence"] >= MIN_CONFIDENCE:
        end = cand["end"]
        cand["evidence"] = cand.pop("_text", None) or cand["evidence"]
        cand["end"] = end
        yield cand


def _paragraphs(text: str) -> Iterator[tuple[int, int]]:
    for m in re.finditer(r"[^\n]+(?:\n(?![ \t]*\n)[^\n]+)*", text):
        yield m.span()


def extract_blocks(blocks: Iterable[tuple[int, str]], doc: str, lang: str = "auto",
                   doc_date: str | None = None, kb_dirs: tuple[Path, ...] | None = None) -> Iterator[dict]:
    gaz = entities_mod.gazetteer(kb_dirs)
    state = _DocState(doc, doc_date)
    blocks = iter(blocks)
    first = next(blocks, None)
    if first is None:
        return
    second = next(blocks, None)
    # the date the document states (a dateline, a header line) wins over the given one
    state.doc_date = dates_mod.document_date(first[1], whole=second is None) or doc_date
    todo = [first] + ([second] if second is not None else [])
    for base, text in itertools.chain(todo, blocks):
        for cand in _process_block(text, base, lang, state, gaz):
            yield cand
    for cand in state.pending:
        yield from _emit(cand)


def extract_text(text: str, doc: str = "<text>", lang: str = "auto", doc_date: str | None = None,
                 kb_dirs: tuple[Path, ...] | None = None) -> list[dict]:
    """Candidates of a text held in memory."""
    out = []
    blocks = list(read_blocks(io.StringIO(text, newline="")))
    for cand in extract_blocks(blocks, doc, lang, doc_date, kb_dirs):
        cand["evidence"] = text[cand["start"]:cand["end"]]
        out.append(cand)
    return out


def extract_file(path: str | Path, lang: str = "auto", doc_date: str | None = None,
                 kb_dirs: tuple[Path, ...] | None = None, stream: IO[bytes] | None = None) -> Iterator[dict]:
    """Candidates of one file, streamed block by block; raises ReadError for unreadable files."""
    handle, _encoding = open_text(path, stream)
    doc = str(path)
    recent: list[tuple[int, str]] = []

    def blocks():
        for base, text in read_blocks(handle):
            recent.append((base, text))
            if len(recent) > 3:
                recent.pop(0)
            yield base, text

    for cand in extract_blocks(blocks(), doc, lang, doc_date, kb_dirs):
        for base, text in recent:
            if base <= cand["start"] and cand["end"] <= base + len(text):
                cand["evidence"] = text[cand["start"] - base:cand["end"] - base]
                break
        yield cand
