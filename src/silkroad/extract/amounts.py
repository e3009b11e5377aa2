"""Money amounts with scale and currency: "24 миллиард иен", "US$250m", "1,6 млрд доллар"."""

from __future__ import annotations

import dataclasses
import functools
import re

from .resources import load


@dataclasses.dataclass
class AmountMention:
    start: int
    end: int
    value: float
    currency: str | None          # None: "44 million grant aid" states no currency
    approximate: bool = False
    in_brackets: bool = False


_DIGIT = re.compile(r"\d")


@functools.cache
def _pattern():
    data = load("amounts")
    alt = lambda words: "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # noqa: E731
    approx = [w for ws in data["approximate"].values() for w in ws]
    pat = (
        r"(?P<approx>(?<![\w])(?:" + alt(approx) + r")\s+)?"
        r"(?P<pre>" + alt(data["prefix"]) + r")?\s?"
        r"(?P<num>(?<![\w.,])\d{1,3}(?:(?:[ \u00a0\u202f]|,(?=\d{3}(?!\d)))\d{3})+(?:[.,]\d+)?|(?<![\w.,])\d+(?:[.,]\d+)?)"
        r"(?:(?P<glued>" + alt(data["glued_scales"]) + r")(?![\w])"
        r"|\s*(?P<scale>(?<![\w])(?:" + alt(data["scales"]) + r"))[\w]*\.?)?"
        r"(?P<between>(?:\s+(?:" + alt(data["between"]) + r")[\w.]*)*)"
        r"(?:\s*(?P<cur>(?<![\w])(?:" + alt(data["suffix"]) + r"))[\w]*\.?)?"
    )
    after_words = [str(w) for w in data.get("approximate_after", []) or []]
    approx_after = re.compile(r"[\s-]*(?:" + alt(after_words) + r")(?![\w])", re.I) if after_words else None
    before = re.compile(r"(?<![\w])(?:" + alt(data.get("bare_before", [])) + r")\s*$", re.I)
    after = re.compile(r"\W{0,3}(?:[\w\-]+\s+){0,2}?(?:" + alt(data.get("bare_after", [])) + r")", re.I)
    tables = {
        "prefix": {k.lower(): v for k, v in data["prefix"].items()},
        "suffix": {k.lower(): v for k, v in data["suffix"].items()},
        "scales": {k.lower(): float(v) for k, v in data["scales"].items()},
        "glued": {k.lower(): float(v) for k, v in data["glued_scales"].items()},
    }
    tables["approx_after"] = approx_after
    return re.compile(pat, re.I), data, before, after, tables


def _number(text: str, lang: str, has_scale: bool) -> float:
    s = text.replace("\u00a0", " ").replace("\u202f", " ")
    if " " in s:
        s = s.replace(" ", "")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in s:
        parts = s.split(",")
        if len(parts) > 2 or (len(parts[1]) == 3 and (lang == "en" or not has_scale)):
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
    elif "." in s:
        parts = s.split(".")
        if len(parts) > 2 or (len(parts[1]) == 3 and lang != "en" and not has_scale):
            s = s.replace(".", "")
    return float(s)


def find(text: str, lang: str = "en") -> list[AmountMention]:
    if not _DIGIT.search(text):
        return []
    pattern, data, bare_before, bare_after, tables = _pattern()
    out: list[AmountMention] = []
    prefix, suffix, scales, glued = tables["prefix"], tables["suffix"], tables["scales"], tables["glued"]
    for m in pattern.finditer(text):
        pre, cur = m.group("pre"), m.group("cur")
        if not (pre or cur):
            # no currency: only a scaled number in money context ("44 million grant aid")
            if not m.group("scale") or text[m.end():m.end() + 1] == "%":
                continue
            if not (bare_before.search(text, max(0, m.start() - 30), m.start("num"))
                    or bare_after.match(text, m.end(), m.end() + 40)):
                continue
            currency = None
        elif cur and text[m.end("cur"):m.end("cur") + 1] == "%":
            continue
        else:
            currency = prefix[pre.lower()] if pre else suffix[cur.lower()]
        scale = 1.0
        if m.group("glued"):
            scale = glued[m.group("glued").lower()]
        elif m.group("scale"):
            scale = scales[m.group("scale").lower()]
        try:
            value = _number(m.group("num"), lang, scale != 1.0) * scale
        except ValueError:
            continue
        if value <= 0:
            continue
        start = m.start("approx") if m.group("approx") else (m.start("pre") if pre else m.start("num"))
        opened = text.rfind("(", 0, start)
        closed = text.rfind(")", 0, start)
        approx = bool(m.group("approx"))
        if not approx and tables["approx_after"] is not None:
            # "5 миллион доллардан астам", "1 млрд долларға жуық"
            approx = bool(tables["approx_after"].match(text, m.end(), m.end() + 20))
        out.append(AmountMention(start, m.end(), round(value, 6), currency,
                                 approximate=approx, in_brackets=opened > closed))
    return out
