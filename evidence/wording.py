"""The wording checker: which sentences of a marketing draft claim more than the evidence allows.

Marketing pastes a draft (plain text, Markdown or HTML); the checker reads it, splits it into
sentences and reports every sentence that makes a claim about dry needling: the topic it is
about, the registered claim it matches (``data/curated/claims.yaml``), that claim's verdict and
certainty (``data/derived/claim_verdicts.csv``), whether the sentence is flagged and why, and
wording to use instead.

Matching approach
-----------------
1. **Topic lexicon.** Every topic of :data:`evidence.topics.TOPICS` has regular expressions for
   its words and the paraphrases marketing uses (``circulation``, ``oxygenates`` -> blood_flow;
   ``tennis elbow``, ``lateral epicondylitis`` -> lateral_elbow_tendinopathy; ``toxins``,
   ``flush`` -> metabolic_waste; ``risk-free``, ``side effects`` -> general_safety ...).
   A sentence can match several topics. Logistics topics (definition, procedure, prices ...)
   are recognised but never make a sentence a claim; questions are never claims.
2. **Is it a claim?** An efficacy, outcome or mechanism topic counts only when the sentence
   asserts something: an efficacy verb (reduces, relieves, eliminates, cures, fixes, resolves,
   treats, heals, improves, boosts, increases, restores, releases, flushes, resets, helps,
   eases ...) or an absolute word. A contradicted topic (lactic acid, toxins) counts on its own.
   A safety topic counts unless the sentence only describes what is felt during the session.
   When a narrower topic matches, the broader one is dropped (patellar tendinopathy over knee
   pain, bruising over general safety, trigger-point release over muscle knots).
3. **Strength of the wording.** Hedges (may, might, could, some people, in some cases,
   probably, likely, possibly ...), statements that the evidence is uncertain (evidence is
   (very) uncertain, little to no difference, more research is needed ...), absolute or hype
   words (cure, eliminates, permanently, guaranteed, proven, always, instant, 100%, miracle,
   completely safe, no risk, risk-free, no side effects ...; "not a cure" and "cannot
   guarantee" are negated and do not count) and, for safety, frequency words (rare, uncommon,
   common, most people ...) in the clause that names the topic.
4. **Register claim.** Within the topic, the sentence is matched to the register claim whose
   ``frequency_claimed`` equals the sentence's frequency word when there is one, else to the
   claim whose statement shares most words with the sentence (ties: claims without a
   frequency, then the best verdict). Its verdict row gives verdict, certainty and
   ``allowed_wording`` (the GRADE informative statement, Santesso et al. 2020).
5. **Verdict-driven rules** decide the flag for each topic (the policy below); when several
   topics match, the finding reports the most serious flag, then the most specific topic
   (a named condition before a mechanism, safety event, outcome, general muscle or chronic
   pain, and generic pain relief last).

Flagging policy
---------------
* A sentence matching a topic whose verdict is **contradicted** (lactic acid, metabolic waste)
  is flagged whatever its hedging.
* **Absolute or hype words** are always flagged ("cures", "eliminates", "guaranteed",
  "proven", "completely safe", "no side effects", "risk-free"), also in a sentence whose topic
  is not recognised when it claims results ("proven to work").
* An **unhedged efficacy, outcome or mechanism** statement is flagged when the claim's
  certainty is low or very low, or its verdict is overstated, uncertain or unsupported, or the
  topic has no verdict at all. A **hedged** one ("may", "might") is not flagged at low (or
  better) certainty; at **very low** certainty, or with no evidence (unsupported), even "may
  reduce" is flagged unless the sentence says the evidence is uncertain. A sentence that says
  the evidence is uncertain is never flagged by this rule. not_checkable claims are not flagged.
* **Safety**: "safe" / "very safe" without a qualification (trained practitioner, serious,
  rare, mild, generally ...) is flagged when the general_safety verdict is not supported. A
  frequency word is matched to the register claim of that topic with the same
  ``frequency_claimed``; the sentence is flagged when that claim is contradicted or
  overstated, or, when no claim has that frequency, when a supported claim of the topic gives
  a different one ("bruising is rare" against "bruising is common", supported). For
  general_safety, whose register claim is about serious events, a sentence about mild or minor
  effects is not compared.
* The **suggestion** is the matched claim's ``allowed_wording``; without one, a generic hedge
  for the topic's claim type.

Known limits
------------
* **Negation** is only handled for absolute words ("not a cure"); "lactic acid does *not*
  cause soreness" still matches the contradicted lactic-acid topic and is flagged, and
  "does not improve neck pain" reads as an efficacy claim.
* **Sarcasm, irony, quotations and reported speech** ("some clinics claim it cures
  everything") are read literally.
* **Topics outside the lexicon** (conditions or mechanisms nobody wrote patterns for, or
  unusual paraphrases) are missed: the sentence is not reported unless it uses an absolute
  word and claims results. Words shared by several topics (``heal``, ``stiffness``) can pick
  a neighbouring topic.
* Sentences are split on punctuation and line breaks: a claim spread over two sentences
  ("Tennis elbow? Gone.") is not joined, and a hedge in one sentence does not carry to the next.
* Hedging is judged by words, not by meaning: "can" is not a hedge; "might permanently cure"
  is still flagged for its absolute word.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from dataclasses import asdict, dataclass, fields
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, TextIO

import pandas as pd

from evidence.claims import find_occurrence
from evidence.config import ConfigError
from evidence.tables import read_csv
from evidence.topics import TOPICS, topic_type

FORMATS = ("table", "json", "csv")
TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
STDIN = "-"

# --------------------------------------------------------------------------------------------
# Reading drafts
# --------------------------------------------------------------------------------------------

_HTML_BLOCKS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td th thead title tr ul".split()
)
_HTML_SKIPPED = frozenset({"script", "style", "noscript", "template"})
_LOOKS_LIKE_HTML = re.compile(r"<(?:!doctype|html|body|p|div|h[1-6]|ul|ol|li|br|span|a)\b", re.I)


class _HtmlText(HTMLParser):
    """Collects the text of an HTML page, one line per block element, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping += 1
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _HTML_BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(re.sub(r"\s+", " ", data))  # source line breaks are only spaces in HTML


def html_to_text(html: str) -> str:
    """The visible text of ``html``: block elements end lines, scripts and styles are dropped."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return _tidy_lines("".join(parser.parts))


_MD_LINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$"), ""),  # horizontal rule
    (re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$"), ""),  # link reference definition
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$"), ""),  # table separator
    (re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$"), r"\1"),  # ATX heading
    (re.compile(r"^\s{0,3}(?:>\s?)+"), ""),  # block quote
    (re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+"), ""),  # list bullet
)
_MD_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image: keep alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # inline link: keep its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),  # autolink
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # inline HTML tag
    (re.compile(r"(\*{1,3}|~~|`+)"), ""),  # emphasis, strike-through, code
    (re.compile(r"(?<!\w)_{1,3}|_{1,3}(?!\w)"), ""),  # underscore emphasis, not snake_case
    (re.compile(r"\s*\|\s*"), "\n"),  # table cells
)
_MD_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")


def markdown_to_text(markdown: str) -> str:
    """Markdown without its markup: headings, emphasis, links (their text kept), bullets, code fences."""
    lines = []
    for line in markdown.splitlines():
        if line.strip().startswith(("```", "~~~")) or _MD_SETEXT_UNDERLINE.match(line):
            continue
        for pattern, repl in _MD_LINE_RULES:
            line = pattern.sub(repl, line)
        for pattern, repl in _MD_INLINE_RULES:
            line = pattern.sub(repl, line)
        lines.append(line)
    return _tidy_lines("\n".join(lines))


def _tidy_lines(text: str) -> str:
    """Collapse runs of spaces inside lines and drop empty lines."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _format_of(path: str) -> str:
    """``text``, ``markdown`` or ``html`` from the extension; ConfigError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        known = ", ".join(TEXT_SUFFIXES)
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise ConfigError(f"{path}: unknown format ({shown}); give a {known} file or - for stdin")
    return TEXT_SUFFIXES[suffix]


def _read_stdin() -> bytes:
    """The bytes of stdin (its text re-encoded when it has no binary buffer)."""
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")


def _decode(name: str, data: bytes) -> str:
    """UTF-8 text of ``data``; ConfigError for empty or binary input."""
    if b"\x00" in data:
        raise ConfigError(f"{name}: binary file (contains NUL bytes); give plain text, Markdown or HTML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: binary file or not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise ConfigError(f"{name}: file is empty")
    return text


def read_text(path_or_dash: str | Path) -> str:
    """The plain text of a draft: ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm`` or ``-`` (stdin).

    Markdown loses its markup, HTML keeps the text of its block elements (one per line).
    Stdin is read as HTML when it looks like HTML, else as Markdown. Missing, empty, binary and
    unknown-format inputs raise :class:`ConfigError` naming the file.
    """
    path = str(path_or_dash)
    if path == STDIN:
        name = "<stdin>"
        text = _decode(name, _read_stdin())
        fmt = "html" if _LOOKS_LIKE_HTML.search(text) else "markdown"
    else:
        name, file = path, Path(path)
        if not file.exists():
            raise ConfigError(f"{path}: file not found")
        if not file.is_file():
            raise ConfigError(f"{path}: not a file")
        fmt = _format_of(path)
        text = _decode(name, file.read_bytes())
    converted = {"text": _tidy_lines, "markdown": markdown_to_text, "html": html_to_text}[fmt](text)
    if not converted:
        raise ConfigError(f"{name}: no text left after removing the {fmt} markup")
    return converted


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*+•·▪◦‣–—]|\d{1,3}[.)])\s+")
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_ABBREVIATIONS = frozenset(
    "e.g. i.e. etc. vs. cf. approx. dr. mr. mrs. ms. prof. st. no. fig. incl. min. max. mins. "
    "hrs. wk. wks. a.m. p.m. u.s. u.k. ph.d.".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``: line breaks and bullet items end sentences, and so do . ! ? followed
    by a space and a capital, except after abbreviations (e.g., i.e., Dr.) and inside decimals."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        if line:
            sentences.extend(_split_line(line))
    return sentences


def _split_line(line: str) -> list[str]:
    """Split one line at sentence-ending punctuation."""
    pieces, start = [], 0
    for match in _BOUNDARY.finditer(line):
        before = line[start:match.end()].split()
        last_word = before[-1].lower().rstrip("\"'”’)]") if before else ""
        next_char = line[match.end():match.end() + 1]
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last_word) or next_char.islower():
            continue
        pieces.append(line[start:match.end()].strip())
        start = match.end()
    pieces.append(line[start:].strip())
    return [p for p in pieces if p]


# --------------------------------------------------------------------------------------------
# Topic lexicon
# --------------------------------------------------------------------------------------------

_RELIEVE = (r"(?:reliev|reduc|eas|eliminat|decreas|lessen|alleviat|lower|treat|fix|cur|soothe|banish|kill|tackl|"
            r"get rid of|gets rid of)\w*")

TOPIC_LEXICON: dict[str, tuple[str, ...]] = {
    # efficacy
    "neck_pain": (r"\bnecks?\b", r"\bwhiplash", r"\bcervical (?:pain|spine)"),
    "low_back_pain": (r"\b(?:low(?:er)?[- ])?back(?:[- ]?(?:pain|ache|problems?|spasms?|issues?))\b", r"\blower back",
                      r"\bsciatica", r"\bsacroiliac|\bSI joint", r"\blumbar", r"\bbad back"),
    "shoulder_pain": (r"\bshoulders?\b", r"\brotator cuff", r"\bimpingement"),
    "headache": (r"\bheadaches?\b", r"\bmigraines?\b", r"\btension[- ]type", r"\bcervicogenic"),
    "tmd": (r"\bjaws?\b", r"\bTMJ\b", r"\bTMDs?\b", r"\btemporomandibular", r"\bclench\w*", r"\bteeth grinding",
            r"\bbruxism"),
    "hip_pain": (r"\bhips?\b", r"\bgluteal|\bglutes?\b|\bbuttocks?\b", r"\bpiriformis"),
    "knee_pain": (r"\bknees?\b", r"\bpatellofemoral", r"\bIT[- ]?band|\biliotibial", r"\brunner'?s knee"),
    "plantar_heel_pain": (r"\bplantar fasci\w*", r"\bheels?\b", r"\bfoot\b|\bfeet\b", r"\barch pain", r"\bheel spurs?"),
    "lateral_elbow_tendinopathy": (r"\btennis elbow", r"\blateral epicondyl\w*", r"\belbows?\b"),
    "medial_elbow_tendinopathy": (r"\bgolfer'?s elbow", r"\bmedial epicondyl\w*"),
    "achilles_tendinopathy": (r"\bachilles",),
    "patellar_tendinopathy": (r"\bpatellar tendin\w*", r"\bjumper'?s knee"),
    "myofascial_pain_syndrome": (r"\bmyofascial", r"\bknots?\b", r"\btrigger[- ]points?\b"),
    "fibromyalgia": (r"\bfibromyalgia",),
    "muscle_pain_general": (r"\bmuscles? (?:pain|aches?|tightness|soreness|tension|strain)", r"\btight(?:ness)?\b",
                            r"\bsore muscles?", r"\baching muscles?", r"\bmuscular (?:pain|tension|aches?)"),
    "sports_injuries": (r"\bsports? injur\w*", r"\bstrains?\b", r"\bsprains?\b", r"\boveruse", r"\bpulled muscles?",
                        r"\bhamstrings?\b"),
    "post_surgical_stiffness": (r"\bafter (?:your |an? )?(?:surgery|operation)", r"\bpost[- ]?(?:surgical|operative)",
                                r"\bsurgery\b"),
    "postural_pain": (r"\bposture[- ]related", r"\bdesk (?:work|jobs?|workers?)", r"\b(?:computer|screen|office) work",
                      r"\bsitting all day", r"\brepetitive (?:strain|tasks?|work|movements?)", r"\btech neck", r"\bRSI\b"),
    "chronic_pain": (r"\bchronic (?:musculoskeletal )?(?:pain|conditions?)", r"\blong[- ]standing pain",
                     r"\bpersistent pain", r"\bnagging pain", r"\bpain that (?:won'?t|will not|doesn'?t) go away"),
    # outcomes and time course
    "pain_relief": (r"\bpain relief", rf"\b{_RELIEVE}\s+(?:\w+\s+)?pain\b", r"\bpain[- ]free", r"\bless pain",
                    r"\bpain (?:goes|will go|went) away", r"\brelief\b"),
    "range_of_motion": (r"\brange of (?:motion|movement)", r"\bmobility\b", r"\bflexib\w*", r"\bmove (?:more )?freely",
                        r"\bstiff(?:ness)?\b", r"\bloosen\w* up"),
    "function": (r"\bfunction(?:al|ing)?\b", r"\bdaily (?:activities|life|tasks)", r"\bget(?:ting)? back to",
                 r"\bmove better", r"\bmovement (?:quality|patterns?)", r"\beveryday tasks"),
    "muscle_activation": (r"\bmuscle activation", r"\bmotor control", r"\bstrength\b", r"\bstronger\b",
                          r"\bactivat\w* (?:the |your )?muscles?", r"\bperformance"),
    "medication_use": (r"(?<!natural )(?<!own )\bpain ?killers?", r"\bmedication", r"\bmedicines?\b", r"\bpills\b",
                       r"\btablets\b", r"\bibuprofen", r"\bopioids?\b"),
    "posture": (r"\bposture\b", r"\bstand (?:up )?taller"),
    "muscle_spasms": (r"\bspasms?\b", r"\bcramp\w*"),
    "recovery_speed": (r"\b(?:faster|quicker|speedier|speed\w* up|accelerat\w*|shorten\w*) (?:your |the )?recovery",
                       r"\brecover\w* (?:faster|quicker|more quickly|sooner)", r"\breturn to (?:training|sport|play)",
                       r"\bback (?:to training|on the (?:field|court|pitch))", r"\bbounce back", r"\brecovery time"),
    "add_on_to_exercise": (r"\b(?:alongside|combined with|together with|in addition to|on top of|added to|plus|with)\b"
                           r"[^.]{0,30}\b(?:exercises?|rehab\w*|stretching|strengthening|manual therapy|physio\w*)",
                           r"\bworks best (?:with|alongside)", r"\benhance\w* (?:\w+ ){0,3}(?:exercise|rehab\w*)"),
    "relief_24_48h": (r"\b24\s*(?:-|–|to|or)\s*48\s*h", r"\bwithin (?:a day|a few hours|hours|minutes|24 hours|48 hours)",
                      r"\bimmediate(?:ly)?\b", r"\binstant(?:ly|aneous)?\b", r"\bright away", r"\bstraight away",
                      r"\bafter (?:just )?(?:one|a single|the first|your first) (?:session|treatment|visit)",
                      r"\bon the spot", r"\bsame day"),
    "sessions_needed": (r"\b(?:after|in|within) (?:just |only )?(?:a few|a couple of|two|three|four|five|six|"
                        r"\d+(?:\s*(?:-|–|to)\s*\d+)?) (?:sessions|treatments|visits|appointments)",),
    "lasting_effect": (r"\blong[- ]term (?:relief|results?|benefits?|effects?|improvements?|change|fix)",
                       r"\blong[- ]lasting", r"\blasting\b", r"\bfor good\b", r"\bpermanent(?:ly)?\b",
                       r"\bonce and for all", r"\bnever (?:comes?|coming) back",
                       r"\b(?:lasts?|lasting|results?|relief|benefits?)\b(?:\s+\w+){0,2}\s+for (?:months|years)\b"),
    # mechanisms
    "twitch_response": (r"\btwitch\w*\b[^.]{0,60}\b(?:relax\w*|releas\w*|reset\w*|signs?|means|shows?|proof|needed|"
                        r"necessary|essential|required|key|break\w*|deactivat\w*|switch\w*)\b",
                        r"\b(?:needs?|necessary|essential|required|key)\b[^.]{0,40}\btwitch"),
    "trigger_point_release": (r"\b(?:releas|deactivat|break\w* up|unlock|loosen|melt|switch\w* off|turn\w* off|reset|"
                              r"dissolv|smash|undo|get\w* rid of)\w*\b[^.]{0,30}"
                              r"\b(?:trigger[- ]points?|knots?|tension|tight\w*)",
                              r"\b(?:trigger[- ]points?|knots?)\b[^.]{0,20}\b(?:release|let go|relax|melt)\w*",
                              r"\b(?:reduc|eas|relax)\w* (?:muscle )?(?:tension|tightness)"),
    "blood_flow": (r"\bblood (?:flow|supply)", r"\bcirculat\w*", r"\bperfusion", r"\bvasodilat\w*", r"\boxygenat\w*"),
    "oxygen_nutrients": (r"\boxygen\b", r"\bnutrients?\b", r"\bfresh blood"),
    "lactic_acid": (r"\blactic(?: acid)?\b", r"\blactate\b"),
    "metabolic_waste": (r"\bwaste\b", r"\btoxins?\b", r"\btoxic\b", r"\bflush\w*", r"\bdetox\w*", r"\bmetabolites?\b",
                        r"\bimpurities", r"\bby-?products\b"),
    "endorphins": (r"\bendorphins?\b", r"\b(?:natural|body'?s own) (?:pain ?killers?|opioids?|pain relievers?)",
                   r"\bfeel[- ]good (?:chemicals|hormones)", r"\bhappy hormones"),
    "nervous_system": (r"\bnervous system", r"\bpain signals?", r"\bcentral sensiti[sz]ation",
                       r"\b(?:reset|retrain|calm|rewir|reboot|desensiti[sz])\w*\b[^.]{0,30}\b(?:nerv\w*|brain|system)",
                       r"\bbrain\b", r"\bneuro(?:logical|muscular)? (?:reset|pathways?)"),
    "inflammation": (r"\binflam\w*", r"\bswelling"),
    "healing": (r"\bheal(?:s|ing|ed)?\b", r"\b(?:tissue )?repair\w*", r"\bregenerat\w*", r"\bcollagen"),
    "fascia": (r"\bfascia\w*", r"\bconnective tissue", r"\badhesions?", r"\bscar tissue"),
    # safety
    "general_safety": (r"\bsafe(?:ly|ty|st)?\b", r"\brisk[- ]free", r"\brisks?\b", r"\bside[- ]effects?\b",
                       r"\badverse (?:events?|effects?|reactions?)", r"\bharm\w*", r"\bdanger\w*", r"\bcomplications?"),
    "soreness": (r"\bsore(?:ness)?\b", r"\bach(?:y|ing|es?)\b", r"\bpost[- ]needling (?:soreness|pain)",
                 r"\btender(?:ness)?\b"),
    "bruising": (r"\bbruis\w*",),
    "bleeding": (r"\bbleed\w*", r"\b(?:spot|drop|dot)s? of blood", r"\bblood spots?"),
    "fatigue": (r"\bfatigue\w*", r"\btired(?:ness)?\b", r"\bdrows\w*", r"\bsleepy", r"\bwiped out", r"\bexhaust\w*"),
    "dizziness_fainting": (r"\bdizz\w*", r"\blight[- ]?headed\w*", r"\bfaint\w*", r"\bpass(?:ing)? out"),
    "temporary_pain_increase": (r"\b(?:temporary|short[- ]lived|brief) (?:increase|flare|worsening|rise)",
                                r"\bflare[- ]?ups?", r"\bpain (?:can |may |might )?(?:gets?|feels?) worse",
                                r"\bworse before (?:it gets )?better", r"\bincrease in (?:your )?(?:pain|symptoms)",
                                r"\baggravat\w*"),
    "infection": (r"\binfect\w*",),
    "nerve_injury": (r"\bnerve (?:damage|injur\w*|irritation)", r"\bdamag\w* (?:to )?(?:a |the )?nerves?",
                     r"\bnumbness", r"\bpins and needles"),
    "pneumothorax": (r"\bpneumothora\w*", r"\bcollapsed lungs?", r"\blungs?\b"),
    "contraindications": (r"\bcontraindicat\w*", r"\bpregnan\w*", r"\bblood[- ]thinn\w*", r"\banticoagula\w*",
                          r"\bnot suitable", r"\bneedle phobia|\bfear of needles", r"\bshould (?:not|avoid)\b"),
    # logistics
    "definition": (r"\bdry needling (?:is|means)\b", r"\b'?dry'? (?:means|refers)", r"\bnothing is injected",
                   r"\bno (?:medication|medicine|fluid|drug|substance)s? (?:is|are) injected"),
    "acupuncture_difference": (r"\bacupunct\w*", r"\bchinese medicine", r"\bmeridians?", r"\bqi\b"),
    "practitioners": (r"\b(?:physio(?:therapist)?s?|physical therapists?|chiropractors?|practitioners?|clinicians?|"
                      r"therapists?)\b", r"\b(?:trained|certified|qualified|licensed|accredited|registered)\b"),
    "procedure": (r"\bneedles?\b", r"\binsert\w*", r"\bthin\b", r"\bsterile", r"\bsingle[- ]use", r"\bdisposable",
                  r"\bsensation", r"\b(?:session|appointment)s? (?:takes?|lasts?)"),
    "aftercare": (r"\bafter(?:wards?| your session| the session| treatment)\b", r"\bdrink\w*", r"\bwater\b",
                  r"\bhydrat\w*", r"\bheat pack|\bwarm bath|\bice\b", r"\bstretch\w*"),
    "cost_insurance": (r"\bcosts?\b", r"\bprices?\b", r"\bfees?\b", r"\binsur\w*", r"\brebates?\b", r"[$£€]\s?\d",
                       r"\bcovered\b", r"\bpay(?:ment)?\b"),
}

_TOPIC_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    topic: tuple(re.compile(p, re.I) for p in patterns) for topic, patterns in TOPIC_LEXICON.items()
}

#: When the narrower topic (values) matches as a claim, the broader topic (key) is dropped.
NARROWER: dict[str, frozenset[str]] = {
    "knee_pain": frozenset({"patellar_tendinopathy", "post_surgical_stiffness"}),
    "lateral_elbow_tendinopathy": frozenset({"medial_elbow_tendinopathy"}),
    "plantar_heel_pain": frozenset({"achilles_tendinopathy"}),
    "myofascial_pain_syndrome": frozenset({"trigger_point_release"}),
    "muscle_pain_general": frozenset({"trigger_point_release", "myofascial_pain_syndrome", "fibromyalgia"}),
    "soreness": frozenset({"muscle_pain_general"}),
    "posture": frozenset({"postural_pain"}),
    "range_of_motion": frozenset({"post_surgical_stiffness"}),
    "neck_pain": frozenset({"postural_pain", "post_surgical_stiffness"}),
    "shoulder_pain": frozenset({"post_surgical_stiffness"}),
    "hip_pain": frozenset({"post_surgical_stiffness"}),
    "low_back_pain": frozenset({"post_surgical_stiffness"}),
    "blood_flow": frozenset({"oxygen_nutrients"}),
    "healing": frozenset({"recovery_speed"}),
    "general_safety": frozenset(t for t, (kind, _) in TOPICS.items() if kind == "safety" and t != "general_safety"),
    "pain_relief": frozenset(t for t, (kind, _) in TOPICS.items() if kind in ("efficacy", "mechanism")),
}

_GENERIC_EFFICACY = frozenset({"muscle_pain_general", "chronic_pain"})


def _specificity(topic: str) -> int:
    """Rank for choosing among topics of one sentence: lower is more specific."""
    if topic == "pain_relief":
        return 5
    if topic in _GENERIC_EFFICACY:
        return 4
    return {"efficacy": 0, "mechanism": 1, "safety": 2, "outcome": 3}.get(topic_type(topic), 6)


def match_topics(sentence: str) -> dict[str, re.Match[str]]:
    """Every topic whose lexicon matches ``sentence``, with its first match."""
    found = {}
    for topic, patterns in _TOPIC_PATTERNS.items():
        for pattern in patterns:
            m = pattern.search(sentence)
            if m:
                found[topic] = m
                break
    return found


# --------------------------------------------------------------------------------------------
# Strength of the wording
# --------------------------------------------------------------------------------------------

EFFICACY_VERBS = re.compile(
    r"\b(?:reduc|reliev|relief|eliminat|cur(?:e|es|ed|ing)\b|fix|resolv|treat(?:s|ed|ing)?\b|heal|improv|boost|increas|"
    r"restor|releas|flush|reset|help|eas(?:e|es|ed|ing)\b|allevia|lessen|decreas|speed|enhanc|stimulat|promot|"
    r"deactivat|calm|block|break\w* up|clear|get(?:s)? rid|effective|benefit|loosen|relax|sooth|deliver|unlock|"
    r"retrain|oxygenat|accelerat|shorten|prevent|remov|dissolv|melt|wipe|banish|stop|end(?:s|ed)?\b|erase|"
    r"work(?:s|ed)? (?:by|for|wonders)|works\b|gets? you back|back to|enjoy|expect|play\w* a role|caus|leads? to|"
    r"results? in|builds? up|trap|draw|bring|switch|turn\w* off|rewir|desensiti[sz]|regenerat|repair|activat|"
    r"strengthen|correct|lower|lift|kill|ward|break\w* (?:up|down)|notice (?:a|the) difference|feel (?:a|the) difference|"
    r"see results|pain[- ]free|disappear|vanish|gone\b|go(?:es)? away|recover|beat|rebalanc|fight|tackl|"
    r"trigger(?:s|ed)? (?:a|an|the|your))\w*",
    re.I,
)
HEDGES = re.compile(
    r"\b(?:may|might|could|probably|likely|possibl[ey]|potentially|perhaps|suggests?|"
    r"(?:appears?|seems?) (?:to|small|modest|limited|slight)|"
    r"some (?:people|patients|clients|studies|evidence|research)|in some (?:cases|people|patients)|for some\b|"
    r"can help some|slight(?:ly)?|modest(?:ly)?|small (?:improvement|effect|benefit|reduction))\b",
    re.I,
)
UNCERTAINTY = re.compile(
    r"\b(?:evidence|research|science|studies)\b[^.]{0,40}\b(?:uncertain|unclear|limited|mixed|weak|low[- ]quality|"
    r"inconclusive|emerging|conflicting|not (?:yet )?(?:clear|conclusive|strong|settled))|\bvery uncertain|"
    r"\buncertain\b|\bunclear\b|\bunknown\b|\bunproven\b|\bnot (?:yet )?(?:known|clear|established)|"
    r"\blittle (?:or|to) no (?:difference|effect|benefit)|"
    r"\bmore (?:research|studies|trials) (?:is|are) needed|\bwe don'?t (?:yet )?know|\bno (?:good |strong |reliable )?"
    r"evidence",
    re.I,
)
_HYPE_WORDS = (
    r"\bclinically proven\b", r"\bscientifically proven\b", r"\bprov(?:en|es)\b", r"\bcur(?:e|es|ed|ing)\b",
    r"\beliminat\w*", r"\bpermanent(?:ly)?\b", r"\bguarantee[sd]?\b", r"\balways\b", r"\binstant(?:ly|aneous)?\b",
    r"\bmiracle\w*", r"\bfor good\b", r"\bonce and for all\b", r"\bnever (?:comes?|coming) back\b",
    r"\b(?:everyone|everybody|every patient|every time|all patients)\b", r"\bcompletely\b", r"\btotally\b",
    r"\b100\s?%", r"\bmagic\w*\b",
)
_HYPE_PHRASES = (
    r"\b(?:completely|totally|perfectly|100%|entirely|absolutely) safe\b", r"\bno risks?\b", r"\bzero risks?\b",
    r"\brisk[- ]free\b", r"\bno side[- ]effects?\b", r"\bwithout (?:any )?side[- ]effects?\b", r"\bharmless\b",
    r"\bnothing to worry about\b", r"\bno downside\w*",
)
HYPE = tuple(re.compile(p, re.I) for p in _HYPE_WORDS)
HYPE_PHRASES = tuple(re.compile(p, re.I) for p in _HYPE_PHRASES)
_NEGATED_BEFORE = re.compile(
    r"\b(?:not|no|never|isn'?t|aren'?t|cannot|can'?t|won'?t|don'?t|doesn'?t|nor|without)\b(?:\W+\w+){0,3}\W*$", re.I
)
FREQUENCY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rare", re.compile(r"\b(?:very |extremely )?rare(?:ly)?\b|\bseldom\b|\bunlikely\b|\bhardly ever\b|"
                        r"\balmost never\b|\bnever\b|\bvery few (?:people|patients)\b", re.I)),
    ("uncommon", re.compile(r"\buncommon\b|\bnot (?:very )?common\b|\binfrequent(?:ly)?\b|\boccasional(?:ly)?\b|"
                            r"\bless common\b|\ba (?:small )?minority\b", re.I)),
    ("common", re.compile(r"\b(?:very |quite |fairly )?common(?:ly)?\b|\bfrequent(?:ly)?\b|\boften\b|"
                          r"\bmost (?:people|patients|clients)\b|\bmany (?:people|patients|clients)\b|\bnormal\b|"
                          r"\bexpected\b|\btypical(?:ly)?\b|\busual\b", re.I)),
)
_SAFE_WORD = re.compile(r"\bsafe(?:ly|st)?\b", re.I)
_SAFETY_QUALIFIER = re.compile(
    r"\b(?:trained|qualified|licensed|certified|experienced|registered|skilled)\b|\b(?:when|if)\b[^.]{0,20}"
    r"\b(?:done|performed|carried out|delivered|provided)\b|\bgenerally\b|\bfor most people\b|\bserious\b|\brare\w*\b|"
    r"\bmild\b|\bminor\b|\bsmall risk|\brelatively\b|\blow[- ]risk\b",
    re.I,
)
_MILD = re.compile(r"\b(?:mild|minor)\b", re.I)
_SESSION_SENSATION = re.compile(
    r"\byou (?:may|might|will|can|could|should) (?:feel|notice|experience)\b|\bas the needle\b|\bwhen the needle\b|"
    r"\bwhile the needle\b|\bduring (?:the|a|your) (?:session|treatment)\b|\bsensation\b",
    re.I,
)
_RESULTS_CLAIM = re.compile(
    r"\bworks?\b|\bresults?\b|\beffective\w*\b|\bsuccess\w*\b|\bfix\w*\b|\bcur(?:e|es|ed)\b|\btreat(?:s|ed)?\b|"
    r"\bheals?\b|\bany (?:condition|problem|pain)\b|\brelief\b|\bbetter\b",
    re.I,
)
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s[-–—]\s|\b(?:but|while|whereas|although|though|however)\b", re.I)


@dataclass(frozen=True)
class Wording:
    """What a sentence's words say about how strongly it claims."""

    efficacy_verb: bool
    hedged: bool
    states_uncertainty: bool
    hype: tuple[str, ...]
    session_sensation: bool


def _hype_words(sentence: str) -> tuple[str, ...]:
    """Absolute or hype words of ``sentence``, without negated ones ("not a cure") or nested ones."""
    words: list[str] = [m.group(0) for p in HYPE_PHRASES for m in p.finditer(sentence)]
    for pattern in HYPE:
        for m in pattern.finditer(sentence):
            if not _NEGATED_BEFORE.search(sentence[:m.start()]):
                words.append(m.group(0))
    words = sorted(set(words), key=lambda w: (-len(w), w.lower()))
    kept: list[str] = []
    for word in words:
        if not any(word.lower() in longer.lower() for longer in kept):
            kept.append(word)
    return tuple(sorted(kept, key=lambda w: sentence.find(w)))


def analyse_wording(sentence: str) -> Wording:
    """Efficacy verbs, hedges, uncertainty statements, absolute words and session descriptions."""
    return Wording(
        efficacy_verb=bool(EFFICACY_VERBS.search(sentence)),
        hedged=bool(HEDGES.search(sentence)),
        states_uncertainty=bool(UNCERTAINTY.search(sentence)),
        hype=_hype_words(sentence),
        session_sensation=bool(_SESSION_SENSATION.search(sentence)),
    )


def _clause_around(sentence: str, position: int) -> str:
    """The clause of ``sentence`` that contains ``position``."""
    starts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(sentence) if m.end() <= position]
    ends = [m.start() for m in _CLAUSE_BREAK.finditer(sentence) if m.start() > position] + [len(sentence)]
    return sentence[max(starts):min(ends)]


def frequency_word(sentence: str, position: int = 0) -> tuple[str, str] | None:
    """``(frequency, word)`` said in the clause around ``position`` (else anywhere in the sentence)."""
    for text in (_clause_around(sentence, position), sentence):
        for frequency, pattern in FREQUENCY_WORDS:
            m = pattern.search(text)
            if m:
                return frequency, m.group(0)
    return None


def is_question(sentence: str) -> bool:
    """Questions are not claims."""
    return sentence.rstrip().rstrip("\"'”’)").endswith("?")


# --------------------------------------------------------------------------------------------
# The register: claims joined with their verdicts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterClaim:
    """A register claim with the verdict it got (empty strings when it has none)."""

    id: str
    topic: str
    statement: str = ""
    frequency_claimed: str = ""
    verdict: str = ""
    certainty: str = ""
    allowed_wording: str = ""
    locators: tuple[str, ...] = ()


_VERDICT_RANK = {"supported": 0, "not_checkable": 1, "overstated": 2, "uncertain": 3, "unsupported": 4,
                 "contradicted": 5, "": 6}
_REQUIRED_VERDICT_COLUMNS = ("claim_id", "topic", "verdict", "certainty", "allowed_wording")


def _field(item: Any, name: str) -> str:
    """A claim field from a dict or an object, as a stripped string ("" when absent)."""
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _verdict_records(verdicts: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Verdict rows as dicts; ConfigError when a required column is missing."""
    frame = verdicts if isinstance(verdicts, pd.DataFrame) else pd.DataFrame(list(verdicts))
    missing = [c for c in _REQUIRED_VERDICT_COLUMNS if c not in frame.columns]
    if missing and len(frame):
        raise ConfigError(f"claim verdicts lack column(s): {', '.join(missing)}")
    return frame.to_dict("records")


def build_register(claims: Iterable[Any], verdicts: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[RegisterClaim]:
    """Register claims (dicts or objects with id/topic/frequency_claimed) joined with their verdict rows.

    A verdict row whose claim is not in ``claims`` still counts, with the topic of the row (and
    its ``frequency_claimed`` column when the table has one). Unknown topics are skipped.
    """
    rows = {_field(r, "claim_id"): r for r in _verdict_records(verdicts)}
    register, seen = [], set()
    for claim in claims:
        cid = _field(claim, "id") or _field(claim, "claim_id")
        row = rows.get(cid, {})
        topic = _field(claim, "topic") or _field(row, "topic")
        if cid and topic in TOPICS:
            register.append(_register_claim(cid, topic, claim, row))
            seen.add(cid)
    for cid, row in rows.items():
        if cid and cid not in seen and _field(row, "topic") in TOPICS:
            register.append(_register_claim(cid, _field(row, "topic"), row, row))
    return register


def _locators(claim: Any) -> tuple[str, ...]:
    """The occurrence locators of a claim (objects with ``occurrences`` or dicts from the YAML)."""
    occurrences = claim.get("occurrences") if isinstance(claim, Mapping) else getattr(claim, "occurrences", None)
    return tuple(_field(o, "locator") for o in occurrences or () if _field(o, "locator"))


def _register_claim(cid: str, topic: str, claim: Any, row: Mapping[str, Any]) -> RegisterClaim:
    """One register claim from its claim entry and its verdict row."""
    return RegisterClaim(
        locators=_locators(claim),
        id=cid,
        topic=topic,
        statement=_field(claim, "statement") or _field(row, "statement"),
        frequency_claimed=(_field(claim, "frequency_claimed") or _field(row, "frequency_claimed")).lower(),
        verdict=_field(row, "verdict").lower(),
        certainty=_field(row, "certainty").lower().replace(" ", "_").replace("-", "_"),
        allowed_wording=_field(row, "allowed_wording"),
    )


_STOPWORDS = frozenset("dry needling needle needles that this with from your have been into than more after".split())


def _content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more, without the words every claim shares."""
    return {w for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOPWORDS}


def choose_claim(candidates: Sequence[RegisterClaim], sentence: str, frequency: str | None) -> RegisterClaim | None:
    """The register claim of a topic that ``sentence`` matches (see the module docstring, step 4)."""
    if not candidates:
        return None
    same = [c for c in candidates if frequency and c.frequency_claimed == frequency]
    pool = same or candidates
    words = _content_words(sentence)
    return min(pool, key=lambda c: (-len(words & _content_words(c.statement)), bool(c.frequency_claimed) and not same,
                                    _VERDICT_RANK.get(c.verdict, 6)))


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

SEVERITY_CONTRADICTED, SEVERITY_HYPE, SEVERITY_FLAG, SEVERITY_NONE = 3, 2, 1, 0


@dataclass(frozen=True)
class Assessment:
    """The outcome of the rules for one topic of one sentence."""

    topic: str
    claim: RegisterClaim | None
    severity: int
    reason: str
    suggestion: str

    @property
    def flagged(self) -> bool:
        return self.severity > SEVERITY_NONE


def generic_suggestion(topic: str) -> str:
    """A hedge for the topic's claim type, used when the register has no allowed wording."""
    kind, description = TOPICS[topic]
    return {
        "efficacy": f"The evidence is very uncertain about the effect of dry needling on {description}.",
        "outcome": f"The evidence is uncertain about whether dry needling gives {description}.",
        "mechanism": f"How dry needling works is not established; present '{description}' as a proposed explanation, "
                     "not a fact.",
        "safety": f"Describe {description} as often as the evidence reports it, without absolute words.",
    }.get(kind, "")


def _suggestion(topic: str, claim: RegisterClaim | None) -> str:
    """The claim's allowed wording, else the generic hedge of the topic."""
    return claim.allowed_wording if claim and claim.allowed_wording else generic_suggestion(topic)


def _claim_label(claim: RegisterClaim | None, topic: str) -> str:
    """How reasons name what the sentence was checked against."""
    return f"claim {claim.id}" if claim else f"topic {topic}"


def _strength_rule(claim: RegisterClaim | None, topic: str, wording: Wording) -> tuple[int, str]:
    """Efficacy, outcome and mechanism: is the hedging strong enough for the certainty?"""
    verdict, certainty = (claim.verdict, claim.certainty) if claim else ("", "")
    label = _claim_label(claim, topic)
    if verdict == "not_checkable":
        return SEVERITY_NONE, f"{label} is not checkable against trial evidence"
    if wording.states_uncertainty:
        return SEVERITY_NONE, "the sentence says the evidence is uncertain"
    if not verdict:
        if wording.hedged:
            return SEVERITY_NONE, f"hedged; {label} has no verdict yet"
        return SEVERITY_FLAG, f"unhedged claim but {label} has no evidence verdict"
    certainty_text = f"certainty {certainty.replace('_', ' ')}" if certainty else "no certainty rating"
    if wording.hedged:
        if certainty == "very_low" or verdict == "unsupported" or not certainty:
            return SEVERITY_FLAG, (f"'may' is not enough: {label} is {verdict} with {certainty_text}; "
                                   "say the evidence is very uncertain")
        return SEVERITY_NONE, f"hedged wording fits {label} ({verdict}, {certainty_text})"
    if verdict == "supported" and certainty in ("high", "moderate"):
        return SEVERITY_NONE, f"consistent with {label} (supported, {certainty_text})"
    return SEVERITY_FLAG, f"unhedged claim but {label} is {verdict} with {certainty_text}"


def _safety_rule(claim: RegisterClaim | None, topic: str, sentence: str, said: tuple[str, str] | None,
                 candidates: Sequence[RegisterClaim]) -> tuple[int, str]:
    """Safety: unqualified "safe" and frequency words against the register."""
    label = _claim_label(claim, topic)
    verdict = claim.verdict if claim else ""
    if said and not (topic == "general_safety" and _MILD.search(sentence)):
        frequency, word = said
        if claim and claim.frequency_claimed == frequency:
            if verdict in ("contradicted", "overstated"):
                return SEVERITY_FLAG, f"says '{word}' but {label} ({frequency}) is {verdict}"
            return SEVERITY_NONE, f"'{word}' agrees with {label} ({frequency}, {verdict or 'no verdict'})"
        backed = [c for c in candidates if c.frequency_claimed and c.verdict == "supported"]
        if backed:
            return SEVERITY_FLAG, (f"says '{word}' ({frequency}) but the evidence supports "
                                   f"'{backed[0].frequency_claimed}' (claim {backed[0].id})")
    if topic == "general_safety" and _SAFE_WORD.search(sentence) and not _SAFETY_QUALIFIER.search(sentence):
        if verdict != "supported":
            return SEVERITY_FLAG, f"'safe' without qualification but {label} is {verdict or 'without verdict'}"
        return SEVERITY_NONE, f"'safe' is backed by {label} (supported)"
    return SEVERITY_NONE, f"consistent with {label} ({verdict or 'no verdict'})"


def assess_topic(sentence: str, topic: str, position: int, wording: Wording,
                 register: Sequence[RegisterClaim], registered: RegisterClaim | None = None) -> Assessment:
    """Apply the flagging policy to one topic of one sentence; ``registered`` is the register claim
    whose occurrence the sentence contains, if any (it is then the claim checked)."""
    candidates = [c for c in register if c.topic == topic]
    kind = topic_type(topic)
    said = frequency_word(sentence, position) if kind == "safety" else None
    claim = registered or choose_claim(candidates, sentence, said[0] if said else None)
    suggestion = _suggestion(topic, claim)
    if claim and claim.verdict == "contradicted" and not (kind == "safety" and not said and len(candidates) > 1):
        return Assessment(topic, claim, SEVERITY_CONTRADICTED,
                          f"{_claim_label(claim, topic)} is contradicted by the evidence", suggestion)
    if wording.hype:
        words = ", ".join(f"'{w}'" for w in wording.hype)
        return Assessment(topic, claim, SEVERITY_HYPE, f"absolute wording: {words}", suggestion)
    if kind == "safety":
        severity, reason = _safety_rule(claim, topic, sentence, said, candidates)
    else:
        severity, reason = _strength_rule(claim, topic, wording)
    return Assessment(topic, claim, severity, reason, suggestion)


def _register_verdict(topic: str, register: Sequence[RegisterClaim]) -> str:
    """The verdict shared by all claims of a topic ("" when they differ or there are none)."""
    verdicts = {c.verdict for c in register if c.topic == topic}
    return verdicts.pop() if len(verdicts) == 1 else ""


def claim_topics(sentence: str, wording: Wording, register: Sequence[RegisterClaim]) -> dict[str, int]:
    """Topics about which ``sentence`` makes a claim, each with the position of its match."""
    if is_question(sentence):
        return {}
    matches = match_topics(sentence)
    kept: dict[str, int] = {}
    for topic, m in matches.items():
        kind = topic_type(topic)
        if kind == "logistics":
            continue
        asserts = wording.efficacy_verb or wording.states_uncertainty or bool(wording.hype)
        if _register_verdict(topic, register) == "contradicted":
            kept[topic] = m.start()
        elif kind == "safety":
            if not (wording.session_sensation and not asserts and frequency_word(sentence) is None):
                kept[topic] = m.start()
        elif asserts:
            kept[topic] = m.start()
    return {t: p for t, p in kept.items() if not (NARROWER.get(t, frozenset()) & kept.keys())}


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One claim sentence of a draft and what the evidence says about it."""

    file: str
    index: int
    sentence: str
    claim_id: str | None
    topic: str
    claim_type: str
    verdict: str
    certainty: str
    flagged: bool
    reason: str
    suggestion: str
    topics: tuple[str, ...]


def _finding(file: str, index: int, sentence: str, best: Assessment, topics: Sequence[str]) -> Finding:
    """The finding that reports ``best``, the assessment chosen for the sentence."""
    claim = best.claim
    return Finding(
        file=file, index=index, sentence=sentence, claim_id=claim.id if claim else None, topic=best.topic,
        claim_type=topic_type(best.topic) if best.topic else "", verdict=claim.verdict if claim else "",
        certainty=claim.certainty if claim else "", flagged=best.flagged, reason=best.reason,
        suggestion=best.suggestion, topics=tuple(topics),
    )


def _untopical_hype(sentence: str, wording: Wording) -> Assessment | None:
    """A sentence with no recognised topic that claims results in absolute words ("proven to work")."""
    if wording.hype and not is_question(sentence) and _RESULTS_CLAIM.search(sentence):
        words = ", ".join(f"'{w}'" for w in wording.hype)
        return Assessment("", None, SEVERITY_HYPE, f"absolute wording: {words} (no topic recognised)",
                          "Drop the absolute words; say what the evidence shows and how certain it is.")
    return None


def registered_occurrences(sentence: str, register: Sequence[RegisterClaim]) -> dict[str, tuple[RegisterClaim, int]]:
    """Topic -> (register claim, position) for every registered occurrence that ``sentence`` contains:
    the materials' own wording is matched exactly before the lexicon looks for paraphrases."""
    found: dict[str, tuple[RegisterClaim, int]] = {}
    for claim in register:
        for locator in claim.locators:
            position = find_occurrence(sentence, locator)
            if position >= 0 and claim.topic not in found:
                found[claim.topic] = (claim, position)
    return found


def check_sentence(sentence: str, register: Sequence[RegisterClaim], file: str = "", index: int = 0) -> Finding | None:
    """The finding for one sentence, or None when it makes no claim about dry needling."""
    wording = analyse_wording(sentence)
    registered = registered_occurrences(sentence, register)
    topics = claim_topics(sentence, wording, register)
    for topic, (_, position) in registered.items():
        topics.setdefault(topic, position)
    if not topics:
        fallback = _untopical_hype(sentence, wording)
        return _finding(file, index, sentence, fallback, ()) if fallback else None
    assessments = [assess_topic(sentence, t, pos, wording, register, registered.get(t, (None, 0))[0])
                   for t, pos in topics.items()]
    order = list(TOPICS)
    best = max(assessments, key=lambda a: (a.severity, -_specificity(a.topic), -order.index(a.topic)))
    return _finding(file, index, sentence, best, sorted(topics, key=order.index))


def check_sentences(sentences: Iterable[str], claims: Iterable[Any],
                    verdicts: pd.DataFrame | Iterable[Mapping[str, Any]], file: str = "") -> list[Finding]:
    """Findings for the claim sentences among ``sentences`` (1-based ``index`` within ``file``)."""
    register = build_register(claims, verdicts)
    findings = (check_sentence(s, register, file, i) for i, s in enumerate(sentences, start=1))
    return [f for f in findings if f is not None]


def check_files(paths: Iterable[str | Path], claims: Iterable[Any],
                verdicts: pd.DataFrame | Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Findings for every draft in ``paths`` (``-`` reads stdin); ConfigError on bad input."""
    claims = list(claims)
    findings: list[Finding] = []
    for path in paths:
        name = "<stdin>" if str(path) == STDIN else str(path)
        findings.extend(check_sentences(split_sentences(read_text(path)), claims, verdicts, file=name))
    return findings


def exit_code(findings: Iterable[Finding]) -> int:
    """1 when any sentence is flagged, else 0."""
    return 1 if any(f.flagged for f in findings) else 0


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

FIELDS = tuple(f.name for f in fields(Finding))


def _record(finding: Finding) -> dict[str, Any]:
    """A finding as a dict for JSON and CSV (``topics`` as a list)."""
    record = asdict(finding)
    record["topics"] = list(finding.topics)
    return record


def to_json(findings: Iterable[Finding]) -> str:
    """A JSON list with one object per finding (keys: :data:`FIELDS`)."""
    return json.dumps([_record(f) for f in findings], indent=2, ensure_ascii=False) + "\n"


def to_csv(findings: Iterable[Finding]) -> str:
    """CSV with a header of :data:`FIELDS`; ``topics`` joined with ';', ``flagged`` as true/false."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for finding in findings:
        row = _record(finding)
        row.update(topics=";".join(finding.topics), flagged="true" if finding.flagged else "false",
                   claim_id=finding.claim_id or "")
        writer.writerow(row)
    return buffer.getvalue()


def to_table(findings: Sequence[Finding]) -> str:
    """A plain-text report: one block per claim sentence, flagged ones with the reason and a suggestion."""
    lines = []
    for f in findings:
        where = f"{f.file}:{f.index}" if f.file else str(f.index)
        evidence = f"{f.verdict} ({f.certainty})" if f.certainty else (f.verdict or "no verdict")
        lines.append(f"{'FLAG' if f.flagged else 'ok  '}  {where}  {f.topic or '-'}  {f.claim_id or '-'}  {evidence}")
        lines.append(f"      sentence: {f.sentence}")
        lines.append(f"      why: {f.reason}")
        if f.flagged and f.suggestion:
            lines.append(f"      instead: {f.suggestion}")
    flagged = sum(f.flagged for f in findings)
    lines.append(f"{len(findings)} claim sentence(s), {flagged} flagged")
    return "\n".join(lines) + "\n"


FORMATTERS = {"table": to_table, "json": to_json, "csv": to_csv}


# --------------------------------------------------------------------------------------------
# Inputs for real runs and the command
# --------------------------------------------------------------------------------------------


def load_verdicts(path: str | Path) -> pd.DataFrame:
    """The derived claim verdicts table; ConfigError when it has not been built."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: claim verdicts not found; run `python -m evidence analyse` first")
    try:
        return read_csv(path, columns=_REQUIRED_VERDICT_COLUMNS)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def run_check_wording(paths: Sequence[str], fmt: str, claims: Iterable[Any],
                      verdicts: pd.DataFrame | Iterable[Mapping[str, Any]], out: TextIO | None = None) -> int:
    """``evidence check-wording``: check the drafts, write the report to ``out``, return the exit code.

    ``claims`` come from :func:`evidence.claims.load_claims`, ``verdicts`` from :func:`load_verdicts`.
    Bad input (unknown format, missing/empty/binary file, no files) raises :class:`ConfigError`.
    """
    if fmt not in FORMATTERS:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not paths:
        raise ConfigError("no input files; give one or more .txt, .md or .html files, or - for stdin")
    findings = check_files(paths, claims, verdicts)
    (out or sys.stdout).write(FORMATTERS[fmt](findings))
    return exit_code(findings)
