"""The claims register: what the patient materials say about dry needling, in ``data/curated/claims.yaml``.

Each claim is a canonical statement in our own words with one topic from ``evidence.curation.topics``
(its type follows from the topic), the condition ids it is about, the evidence it links (each
link an id of the reviews, safety or mechanisms table with its own reason) and every place in the
materials that makes it. A place is a document file name plus a short locator copied from the
document, found again with ``find_occurrence``.

The per-claim links steer verdicts as much as the override files do, so each carries its own reason
(why that row bears on that claim), a mechanism link says whether its study tested the claim's own
mechanism (``tested``), and a hedged claim (``asserted: false``) says how the documents hedge
(``hedge_reason``; its source is the claim's occurrences).

``load_claims`` checks the file and raises ``ConfigError`` naming the file, the claim and the
problem (and the link); ``check_evidence_ids`` compares the evidence ids with the curated tables and
checks that each link's source has a PMID or DOI (``link_sources``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.config import ConfigError, load_versioned_yaml, yaml_item_lines
from evidence.curation.schema import Curated
from evidence.curation.topics import TOPICS, topic_type
from evidence.vocab import CLAIM_QUESTIONS, CONDITIONS, DOMAINS, SUBCONDITIONS

SCHEMA_VERSION = 1
MAX_LOCATOR_WORDS = 10
FREQUENCIES = ("common", "rare", "very_rare", "not_stated")
# evidence kind in the YAML -> (curated table, key column)
EVIDENCE_KINDS = {
    "reviews": ("reviews", "review_id"),
    "safety": ("safety", "safety_id"),
    "mechanisms": ("mechanisms", "mechanism_id"),
}
REQUIRED = ("id", "statement", "topic", "conditions", "asserted", "evidence", "occurrences")
OPTIONAL = (
    "outcome_domain",
    "frequency_claimed",
    "duration_claimed_hours",
    "question",
    "states_limit",
    "unstudied_population",
    "hedge_reason",
    "note",
    "subconditions",
    "subcondition_only",
)
LINK_KEYS = {"id", "reason", "tested"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
#: typographic quotes and primes -> their plain forms, one character for one (the wording checker reads
#: copy through this too: real pages write "doesn\u2019t")
TYPOGRAPHIC_QUOTES = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
}
# typographic characters folded to their plain forms before matching a locator
_FOLD = str.maketrans(
    {
        **TYPOGRAPHIC_QUOTES,
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)


@dataclass(frozen=True)
class Occurrence:
    """One place in the materials that makes a claim: a document file name and a short exact quote."""

    document: str
    locator: str


@dataclass(frozen=True)
class Link:
    """One per-claim link: an id of an evidence table (``kind``: reviews, safety or mechanisms), why it
    bears on the claim, and for a mechanism row whether its study tested the claim's own mechanism or
    outcome (only such rows can support or contradict a mechanism claim)."""

    kind: str
    ref: str
    reason: str
    tested: bool = False


@dataclass(frozen=True)
class Claim:
    """A canonical claim of the materials with the evidence ids that bear on it."""

    id: str
    statement: str
    topic: str
    type: str
    conditions: tuple[str, ...]
    outcome_domain: str | None
    asserted: bool
    frequency_claimed: str | None
    reviews: tuple[str, ...]
    safety: tuple[str, ...]
    mechanisms: tuple[str, ...]
    occurrences: tuple[Occurrence, ...]
    note: str
    # named sub-conditions the claim speaks of (each judged on its own evidence; vocab.SUBCONDITIONS)
    subconditions: tuple[str, ...] = ()
    # true when the claim is only about its named sub-condition(s), not the broader condition
    subcondition_only: bool = False
    # mechanism ids of the studies that tested this claim's own mechanism or outcome (its links marked
    # tested): only these can support or contradict a mechanism claim (a neighbouring finding leaves it
    # uncertain)
    tested_by: tuple[str, ...] = ()
    # safety claims about how long an event lasts: the longest duration the materials promise, in hours
    duration_hours: float | None = None
    # efficacy and outcome claims: what the claim asks (vocab.CLAIM_QUESTIONS) when its topic does not say
    question: str = ""
    # a cautious claim that states a limit ("relief is mostly short-lived"), not a promise
    states_limit: bool = False
    # a population the claim names that the cross-condition reviews did not study (indirect evidence)
    unstudied_population: str = ""
    # every link with its own reason, in the register's order (reviews, safety, mechanisms)
    links: tuple[Link, ...] = ()
    # how the documents hedge the claim (required when asserted is false)
    hedge_reason: str = ""


def _strings(value: Any, what: str, where: str) -> tuple[str, ...]:
    """A YAML list of non-empty strings (None counts as empty)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: {what} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _links(evidence: Any, where: str) -> tuple[Link, ...]:
    """The links of a claim's ``evidence`` mapping: under each kind a list of ``{id, reason}`` (a
    mechanism link may add ``tested: true``); every link needs its own reason."""
    if not isinstance(evidence, dict) or set(evidence) - set(EVIDENCE_KINDS):
        raise ConfigError(f"{where}: evidence must be a mapping with keys {', '.join(EVIDENCE_KINDS)}")
    links = []
    for kind in EVIDENCE_KINDS:
        entries = evidence.get(kind) or []
        if not isinstance(entries, list):
            raise ConfigError(f"{where}: evidence.{kind} must be a list of {{id, reason}} entries")
        for j, entry in enumerate(entries, start=1):
            ref = entry.get("id") if isinstance(entry, dict) else entry
            at = f"{where}, evidence.{kind} #{j}" + (f" ({ref})" if isinstance(ref, str) and ref else "")
            if not isinstance(entry, dict) or not isinstance(ref, str) or not ref.strip():
                raise ConfigError(f"{at}: a link is a mapping {{id: ..., reason: ...}} with the evidence id")
            if set(entry) - LINK_KEYS or ("tested" in entry and kind != "mechanisms"):
                raise ConfigError(f"{at}: a link has only id and reason (and, for a mechanism, tested)")
            reason = entry.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise ConfigError(f"{at}: the link needs its own reason (why this {kind} row bears on the claim)")
            tested = entry.get("tested", False)
            if not isinstance(tested, bool):
                raise ConfigError(f"{at}: tested must be true or false")
            links.append(Link(kind, ref.strip(), reason.strip(), tested))
    return tuple(links)


def _occurrences(value: Any, where: str) -> tuple[Occurrence, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: occurrences must be a non-empty list")
    found = []
    for j, entry in enumerate(value, start=1):
        at = f"{where}, occurrence #{j}"
        if not isinstance(entry, dict) or set(entry) != {"document", "locator"}:
            raise ConfigError(f"{at}: needs exactly a document and a locator")
        document, locator = entry["document"], entry["locator"]
        if not isinstance(document, str) or not document.strip():
            raise ConfigError(f"{at}: document must be a file name")
        if not isinstance(locator, str) or not locator.strip():
            raise ConfigError(f"{at}: locator must be a non-empty string")
        words = len(locator.split())
        if words > MAX_LOCATOR_WORDS:
            raise ConfigError(
                f"{at}: locator has {words} words, at most {MAX_LOCATOR_WORDS} are allowed "
                f"(quote a few words, never a whole sentence)"
            )
        found.append(Occurrence(document.strip(), locator.strip()))
    return tuple(found)


def _claim(entry: dict[str, Any], where: str) -> Claim:
    """One checked claim; ``where`` names the file and the claim for messages."""
    missing = [key for key in REQUIRED if entry.get(key) is None or entry.get(key) == ""]
    if missing:
        raise ConfigError(f"{where}: missing required field(s) {', '.join(missing)}")
    unknown = sorted(set(entry) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)}")
    if not _ID.match(str(entry["id"])):
        raise ConfigError(f"{where}: id must be lower-case letters, digits and underscores")
    if not isinstance(entry["statement"], str):
        raise ConfigError(f"{where}: statement must be text")
    topic = entry["topic"]
    if topic not in TOPICS:
        raise ConfigError(f"{where}: unknown topic {topic!r} (see evidence/topics.py)")
    kind = topic_type(topic)
    conditions = _strings(entry["conditions"], "conditions", where)
    bad = [c for c in conditions if c not in CONDITIONS]
    if bad:
        raise ConfigError(
            f"{where}: unknown condition id(s) {', '.join(map(repr, bad))}; known: {', '.join(CONDITIONS)}"
        )
    if topic in CONDITIONS and topic not in conditions:
        raise ConfigError(f"{where}: topic {topic!r} is a condition id, so conditions must include it")
    domain = entry.get("outcome_domain")
    if kind in ("efficacy", "outcome"):
        if domain not in DOMAINS:
            raise ConfigError(
                f"{where}: a {kind} claim needs outcome_domain, one of {', '.join(DOMAINS)} (found {domain!r})"
            )
    elif domain is not None:
        raise ConfigError(f"{where}: outcome_domain is only for efficacy and outcome claims, not {kind}")
    frequency = entry.get("frequency_claimed")
    if kind == "safety":
        if frequency not in FREQUENCIES:
            raise ConfigError(
                f"{where}: a safety claim needs frequency_claimed, one of {', '.join(FREQUENCIES)} "
                f"(found {frequency!r})"
            )
    elif frequency is not None:
        raise ConfigError(f"{where}: frequency_claimed is only for safety claims, not {kind}")
    question = entry.get("question") or ""
    if question and (kind not in ("efficacy", "outcome") or question not in CLAIM_QUESTIONS):
        raise ConfigError(
            f"{where}: question must be one of {', '.join(CLAIM_QUESTIONS)}, on an efficacy or outcome claim"
        )
    states_limit = entry.get("states_limit", False)
    if not isinstance(states_limit, bool):
        raise ConfigError(f"{where}: states_limit must be true or false")
    unstudied = entry.get("unstudied_population") or ""
    if not isinstance(unstudied, str) or (unstudied and conditions):
        raise ConfigError(f"{where}: unstudied_population is text, only for a claim that names no condition")
    duration = entry.get("duration_claimed_hours")
    if duration is not None and (
        kind != "safety" or isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration <= 0
    ):
        raise ConfigError(f"{where}: duration_claimed_hours must be a positive number of hours, on a safety claim")
    if not isinstance(entry["asserted"], bool):
        raise ConfigError(f"{where}: asserted must be true or false")
    links = _links(entry["evidence"], where)
    hedge_reason = entry.get("hedge_reason") or ""
    if not isinstance(hedge_reason, str) or (entry["asserted"] and hedge_reason):
        raise ConfigError(f"{where}: hedge_reason is text, only for a claim with asserted: false")
    if not entry["asserted"] and not hedge_reason.strip():
        raise ConfigError(f"{where}: asserted is false, so the claim needs a hedge_reason (how the documents hedge it)")
    note = entry.get("note") or ""
    if not isinstance(note, str):
        raise ConfigError(f"{where}: note must be text")
    subconditions = _strings(entry.get("subconditions"), "subconditions", where)
    for sub in subconditions:
        if SUBCONDITIONS.get(sub) not in conditions:
            raise ConfigError(
                f"{where}: subcondition {sub!r} must be one of {', '.join(SUBCONDITIONS)} and its "
                f"condition ({SUBCONDITIONS.get(sub, '?')}) must be among the claim's conditions"
            )
    only = entry.get("subcondition_only", False)
    if not isinstance(only, bool) or (only and not subconditions):
        raise ConfigError(f"{where}: subcondition_only must be true or false, and true only with subconditions")
    return Claim(
        id=str(entry["id"]),
        statement=entry["statement"].strip(),
        topic=topic,
        type=kind,
        conditions=conditions,
        outcome_domain=domain,
        asserted=entry["asserted"],
        frequency_claimed=frequency,
        **{k: tuple(link.ref for link in links if link.kind == k) for k in EVIDENCE_KINDS},
        occurrences=_occurrences(entry["occurrences"], where),
        note=note.strip(),
        subconditions=subconditions,
        subcondition_only=only,
        tested_by=tuple(link.ref for link in links if link.tested),
        duration_hours=None if duration is None else float(duration),
        question=question,
        states_limit=states_limit,
        unstudied_population=unstudied.strip(),
        links=links,
        hedge_reason=hedge_reason.strip(),
    )


def load_claims(path: Path) -> list[Claim]:
    """Read and check the claims register; the problems of every claim are raised together as one
    ``ConfigError``, a line each, naming the file, the line the claim starts on and the claim."""
    raw = load_versioned_yaml(path, SCHEMA_VERSION, "the claims register")
    entries = raw.get("claims")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{path}: 'claims' must be a non-empty list")
    claims: list[Claim] = []
    problems: list[str] = []
    seen: set[str] = set()
    lines = yaml_item_lines(path, "claims")
    for i, entry in enumerate(entries, start=1):
        at = f"{path}:{lines[i - 1]}" if len(lines) == len(entries) else str(path)
        if not isinstance(entry, dict):
            problems.append(f"{at}: claim #{i}: expected a mapping")
            continue
        where = f"{at}: claim #{i}" + (f" ({entry['id']})" if entry.get("id") else "")
        try:
            claim = _claim(entry, where)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        if claim.id in seen:
            problems.append(f"{where}: duplicate id {claim.id!r}")
        seen.add(claim.id)
        claims.append(claim)
    if problems:
        raise ConfigError("\n".join(problems))
    return claims


def check_evidence_ids(claims: list[Claim], curated: Curated) -> list[str]:
    """Problems, one per evidence id of a claim that is not a key of its curated table."""
    problems = []
    for kind, (table, key) in EVIDENCE_KINDS.items():
        known = set(getattr(curated, table)[key])
        for claim in claims:
            problems += [
                f"claim {claim.id}: unknown {key} {ref!r} (not in {table}.csv)"
                for ref in getattr(claim, kind)
                if ref not in known
            ]
    for claim_id, sources in link_sources(claims, curated).items():
        problems += [
            f"claim {claim_id}: the {s.link.kind} link {s.link.ref!r} has no source with a PMID or DOI"
            for s in sources
            if s.source_id and not s.identifier
        ]
    return problems


@dataclass(frozen=True)
class LinkSource:
    """Where one per-claim link comes from: the link, its source id (a linked review is its own source;
    a safety or mechanism row names its ``source_id``), that source's citation, PMID and DOI, and where
    in it the row's numbers stand."""

    link: Link
    source_id: str
    cite: str  # "First author year" ("" when the source is unknown)
    pmid: str
    doi: str
    #: where in its source a linked safety or mechanism row's numbers stand (its ``source_location``;
    #: "" for a linked review, whose findings give their own places)
    location: str = ""

    @property
    def identifier(self) -> str:
        """ "PMID 123", else "DOI 10...", else ""."""
        return f"PMID {self.pmid}" if self.pmid else (f"DOI {self.doi}" if self.doi else "")


def link_sources(claims: Sequence[Claim], curated: Curated) -> dict[str, list[LinkSource]]:
    """claim id -> the source of each of the claim's links, in the register's order: a linked review is
    its own source; a safety or mechanism row names a study, review or source in its ``source_id``.
    The lookups are built once for all the claims."""
    cited: dict[str, tuple[str, str, str]] = {}
    for table, key in (("sources", "source_id"), ("studies", "study_id"), ("reviews", "review_id")):
        frame = getattr(curated, table)
        for ref, author, year, pmid, doi in zip(
            frame[key], frame["first_author"], frame["year"], frame["pmid"], frame["doi"]
        ):
            cited.setdefault(ref, (" ".join(str(x) for x in (author, year) if x), pmid, doi))
    named = {kind: getattr(curated, table).set_index(key) for kind, (table, key) in EVIDENCE_KINDS.items()}
    out: dict[str, list[LinkSource]] = {}
    for claim in claims:
        out[claim.id] = []
        for link in claim.links:
            rows = named[link.kind]
            row = rows.loc[link.ref] if link.ref in rows.index else None
            source = "" if row is None else (link.ref if link.kind == "reviews" else row["source_id"])
            location = "" if row is None or link.kind == "reviews" else row["source_location"].strip()
            out[claim.id].append(LinkSource(link, source, *cited.get(source, ("", "", "")), location))
    return out


def _normalise(text: str) -> tuple[str, list[int]]:
    """Text folded for matching (lower case, plain quotes and dashes, single spaces) and, for each
    character of it, the offset of the character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    for offset, char in enumerate(text):
        if char.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(offset)
            continue
        for folded in char.translate(_FOLD).lower():
            chars.append(folded)
            origin.append(offset)
    return "".join(chars), origin


def find_occurrence(text: str, locator: str) -> int:
    """Offset in ``text`` where ``locator`` starts, ignoring case, whitespace and typographic
    quote or dash differences; -1 if it is absent."""
    needle, _ = _normalise(locator)
    needle = needle.strip()
    if not needle:
        return -1
    haystack, origin = _normalise(text)
    at = haystack.find(needle)
    return origin[at] if at >= 0 else -1
