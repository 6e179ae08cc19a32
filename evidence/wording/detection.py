"""Claim detection: which sentences of a draft claim something about dry needling, about which
topics, and how strongly (the wording checker's second stage).

All word lists come from the lexicon (``data/curated/wording_lexicon.yaml``, :mod:`evidence.wording.lexicon`);
this module holds only the mechanics. Each sentence is read once, with the sentence before it
and, for a list item, its lead-in line: the work is linear in the length of the draft.

What is a claim
---------------
A sentence claims an **effect, mechanism, time course or benefit** of dry needling when it has

1. a **subject** that is dry needling: a ``subjects`` pattern (dry needling, needling, the
   treatment, the needle, after two sessions, our patients ...); a pronoun (``pronouns``: "it",
   "this" ...) when the sentence before named dry needling and none of the ``other_treatments``
   (massage, exercise ...); a list item whose lead-in (the line above the list) names dry needling
   ("Dry needling may help with:", "Dry needling:"); or an implied subject, when no other treatment
   is named: a call to action ("Book now and get rid of ..."), a headline or fragment that starts
   with an effect, a passive effect ("pain is cured"), the patient-experience frame ("you will
   notice relief"; ``implied_subject``), or what follows ", which" after a purpose clause;
2. an **assertion**: an effect word or an absolute word that is not negated (``effect_words``,
   ``absolutes``; a ``negations`` word earlier in the same clause negates), a verb in the third
   person right after a dry-needling subject that is not one of the ``neutral_verbs`` ("dry
   needling unlocks ..." asserts, "dry needling involves ..." does not), or a statement that the
   evidence is uncertain (``uncertainty``);
3. a **topic** (``topics``; logistics topics never count; ``narrower`` drops a topic when a
   narrower one is claimed). With none, an object pronoun (``object_pronouns``: "stops them") or a question just
   before ("Tennis elbow? Gone in one visit.") gives the topics of the sentence before.

Before this, **spans that are not claims** are removed: purpose clauses (``purpose``: "the
aim is to ...") and results of a named study or reported speech (``attribution``: "a 2014 trial
found ...", "some clinics claim ..."); a span ends where the writer goes on in their own voice
(", so ...", "; "), a purpose span also where a result is attached to it (", which ...", "that
draws ...", ", helping ..."), which is read with the treatment as its subject. When a removed
span named dry needling, an "it" after it stands for dry needling and, when what follows names
no topic, takes the span's topics ("a trial found it eased neck pain, so it will ease yours"). Questions are never claims (an answer that affirms one, "Yes, in most
cases", is read together with it: ``answers``), nor are sentences matching ``not_claims``
(warnings, advice, definitions, service lists) unless they use an absolute word; a list's lead-in
that is one of them ("Conditions we treat with needling:") gives its items no subject. A lead-in
(a line ending with ":") takes no topic from the sentence before: its items carry the claims. Descriptions of a condition,
of anatomy, of the procedure or of sensations have no dry-needling subject with an effect word.

Two kinds of topic do not need a subject: **safety** topics, which count when their clause gives
a frequency ("bruising is common": ``frequencies``; the whole sentence when it names one safety
topic) or the sentence calls needling safe (``safe_words``) or uses an absolute safety phrase
("no side effects"); a warning to the patient ("you may feel sore") gives neither and is not a
claim; and topics whose register verdict is **contradicted** (lactic acid, toxins), which count
whenever they are named, so that the myth itself is caught. A **registered occurrence** (a
locator of ``claims.yaml`` found in the sentence of the patient document it was read in) always
counts, with its claim and never dropped as broader: this is how every occurrence in the patient
materials is found. In any other draft locators match nothing.

**The page** (document-level subject): once a sentence of a draft names dry needling itself
(``page_subjects``) and not as one of several treatments (``other_treatments``: "care may include
exercise, taping and dry needling" is a condition page's list), the draft is a page about dry
needling, and a later sentence that asserts an effect is about dry needling unless its subject is
clearly something else (``other_subjects``, read at its start: the condition, anatomy, sensations
after a session, the clinic and its staff, the reader in a warning, another treatment, aftercare
advice). This is how implicit subjects ("This boosts circulation", bare list items such as "Less
muscle spasm", "IMS fixes ...") are read on real pages; a pronoun whose sentence starts with
another subject is not dry needling.

**Sections about another treatment**: a title (a heading, or a line of at most
:data:`TITLE_WORDS` words without final punctuation that is not a list item, as real pages pasted
as text show headings) that names a therapy a comparison page sets beside dry needling
(``section_titles``: "Shockwave therapy", "Cortisone injections"; not aftercare such as ice or
rest) and not dry needling (``page_subjects``) starts a section about that treatment: its
sentences have no dry-needling subject; one that names the needling (``page_subjects``,
``section_ends``: "needling", "acupuncture") ends the section, as does a heading that names no such
therapy, or a title line of plain text that names neither such a therapy nor an effect ("What to
expect"; in plain text a fragment with an effect, "Faster healing", is an item of the section).
A question is never such a title ("Is it better than massage?" is answered about dry needling).
What such a sentence affirms is reported as a claim about that treatment, not checked
(``section``), and the classifier's second opinion cannot flag it
(:func:`evidence.wording.rules.iter_findings`); a contradicted topic still counts, as everywhere.

Strength (one per claim)
------------------------
``absolute`` when a non-negated absolute word of the claim's scope appears (``absolutes.effect``
for efficacy, outcome and mechanism claims: cures, eliminates, gets rid of, proven, research
shows, guaranteed, permanent, the best, most effective, very effective, prevents ...;
``absolutes.safety`` for safety claims: completely safe, no side effects, never ...); else
``conditional`` when the sentence says the evidence is uncertain, or a hedge (may, might, can,
could, research suggests ...) stands before the first effect word or in its clause ("eases heel
pain so you can walk" is direct); else ``direct``. A list item reads its lead-in's words too
("Dry needling may help with:" hedges every item). A sentence whose effect words are all negated
is a denial: it is no claim, except about a contradicted topic, where it is a claim that rejects
the idea.

Known limits: an absolute word anywhere in the sentence counts for every claim of its scope in
it; pronouns reach back one sentence; outcomes stated without any subject ("movement improves on
the spot") are not claims, since condition descriptions look the same; irony is read literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from evidence.config import ConfigError
from evidence.curation.claims import TYPOGRAPHIC_QUOTES, Claim, find_occurrence
from evidence.curation.topics import TOPICS, topic_type
from evidence.vocab import CONDITIONS, VERDICTS, order_of
from evidence.wording.drafts import Sentence
from evidence.wording.lexicon import Lexicon

STRENGTHS = ("none", "conditional", "direct", "absolute")
REQUIRED_VERDICT_COLUMNS = ("claim_id", "topic", "verdict", "certainty", "allowed_wording")
_CLAUSE_BREAK = re.compile(r"[,;:()]|\s[-–—]\s|\b(?:but|while|whereas|although|though|however)\b", re.I)
# where a hedge stops reaching: the clause breaks and the start of a result, reason or second claim
_HEDGE_SCOPE_END = re.compile(
    r"[,;:()]|\s[-–—]\s|\b(?:but|while|whereas|although|though|however|so|which|because|and)\b", re.I
)
_OWN_VOICE = re.compile(r";|,? so\b|,? and (?:so|it|this)\b|\s[-–—]\s", re.I)
# where a purpose span ends and a result attached to it starts: ", which ...", "that draws ...",
# ", helping ..."
_RELATIVE = re.compile(r",?\s*\bwhich\b|\bthat (?=[a-z]+s\b)|,\s*(?=[a-z]+ing\b)", re.I)
# typographic quotes read as plain ones ("doesn’t" is "doesn't"), one character for one
_PLAIN_QUOTES = str.maketrans(TYPOGRAPHIC_QUOTES)
_WORD = re.compile(r"[a-z0-9]+")
_VERB_AFTER = re.compile(r"\s+(?:[a-z]+ly\s+)?([a-z]+s)\b")  # a verb in the third person, maybe after an adverb
_TOPIC_ORDER = {topic: i for i, topic in enumerate(TOPICS)}
#: the longest line without final punctuation that is read as a title (a heading of a page pasted as text)
TITLE_WORDS = 8


# --------------------------------------------------------------------------------------------
# The register: claims joined with their verdicts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterClaim:
    """A register claim with the verdict it got (empty strings when it has none)."""

    id: str
    topic: str
    statement: str = ""
    conditions: tuple[str, ...] = ()
    frequency_claimed: str = ""
    verdict: str = ""
    certainty: str = ""
    allowed_wording: str = ""
    locators: tuple[tuple[str, str], ...] = ()  # (document, locator) of each registered occurrence


def _cell(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def build_register(claims: Iterable[Claim], verdicts: pd.DataFrame) -> list[RegisterClaim]:
    """Register claims (:class:`evidence.curation.claims.Claim`) joined with their rows of the verdict table
    (``claim_id``, ``verdict``, ``certainty``, ``allowed_wording``); a claim without a row has no
    verdict. ConfigError when the table lacks a required column."""
    missing = [c for c in REQUIRED_VERDICT_COLUMNS if c not in verdicts.columns]
    if missing:
        raise ConfigError(f"claim verdicts lack column(s): {', '.join(missing)}")
    rows = {_cell(r, "claim_id"): r for r in verdicts.to_dict("records")}
    register = []
    for claim in claims:
        row = rows.get(claim.id, {})
        register.append(
            RegisterClaim(
                id=claim.id,
                topic=claim.topic,
                statement=claim.statement,
                conditions=tuple(claim.conditions),
                frequency_claimed=claim.frequency_claimed or "",
                verdict=_cell(row, "verdict").lower(),
                certainty=_cell(row, "certainty").lower().replace(" ", "_").replace("-", "_"),
                allowed_wording=_cell(row, "allowed_wording"),
                locators=tuple((o.document, o.locator) for o in claim.occurrences),
            )
        )
    return register


def _content_words(text: str) -> set[str]:
    """Lower-case words of four letters or more, without the words every claim shares."""
    return {
        w
        for w in re.findall(r"[a-z]{4,}", text.lower())
        if w not in ("needling", "needle", "needles", "that", "this", "with", "from", "your")
    }


def choose_claim(
    candidates: Sequence[RegisterClaim], sentence: str, frequency: str | None, conditions: frozenset[str]
) -> RegisterClaim | None:
    """The register claim of a topic that a sentence matches: the one with the sentence's frequency
    word (safety), then the one about the conditions the sentence names, then the one sharing most
    words with it, then claims without a frequency, then the first verdict in the order of
    :data:`evidence.vocab.VERDICTS`."""
    if not candidates:
        return None
    same = [c for c in candidates if frequency and c.frequency_claimed == frequency]
    pool = same or candidates
    words = _content_words(sentence)
    return min(
        pool,
        key=lambda c: (
            -len(conditions & set(c.conditions)),
            -len(words & _content_words(c.statement)),
            bool(c.frequency_claimed) and not same,
            order_of(c.verdict, VERDICTS),
        ),
    )


# --------------------------------------------------------------------------------------------
# Claims in sentences
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectedClaim:
    """One claim a sentence makes: its topic, how strongly it is worded, and what decides the flag."""

    topic: str
    strength: str
    absolute_words: tuple[str, ...]
    states_uncertainty: bool
    denial: bool
    frequency: tuple[str, str] | None
    safe_unqualified: bool
    registered: RegisterClaim | None = None


@dataclass(frozen=True)
class SentenceClaims:
    """A sentence with the claims it makes (empty when it makes none) and every topic claimed;
    when it makes none about dry needling but states an effect of another treatment it names
    ("Cupping draws out toxins"), that treatment and the effect's topics (``other_treatment``,
    ``other_topics``: claims the checker does not judge, reported as such)."""

    sentence: Sentence
    claims: tuple[DetectedClaim, ...]
    other_treatment: str = ""
    other_topics: tuple[str, ...] = ()
    #: the other treatment whose section the sentence stands in ("" for none; see the module docstring)
    section: str = ""
    #: the question an answer was read with ("Yes, in most cases" after "Can it help my back?"), or ""
    answered: str = ""

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(c.topic for c in self.claims)

    @property
    def disclaims(self) -> bool:
        """The sentence makes claims only to reject them or to say their evidence is uncertain
        ("it is a myth that ...", "the evidence ... is limited"), with no absolute word."""
        return bool(self.claims) and all(
            (c.denial or c.states_uncertainty) and not c.absolute_words for c in self.claims
        )


def _negated(text: str, start: int, lexicon: Lexicon) -> bool:
    """A negation word earlier in the clause of ``start`` (clauses end at the hedge-scope breaks)."""
    breaks = [m.end() for m in _HEDGE_SCOPE_END.finditer(text, 0, start)]
    return bool(lexicon.negations.search(text, breaks[-1] if breaks else 0, start))


def _affirmed(pattern: re.Pattern[str], text: str, lexicon: Lexicon) -> list[str]:
    """The matches of ``pattern`` in ``text`` that are not negated."""
    return [m.group(0) for m in pattern.finditer(text) if not _negated(text, m.start(), lexicon)]


def _remove_spans(text: str, lexicon: Lexicon) -> tuple[str, bool, bool]:
    """``text`` without purpose and attribution spans (a purpose span with an absolute word, "used to
    treat and prevent headaches", stays: a promise is a claim in any frame); True when a purpose span left a result
    attached to it (", which ...", "that draws ...", ", helping ...": its subject is the treatment
    whose purpose was named); True when a removed span named dry needling (an "it" after it, in
    the writer's own voice, stands for dry needling: "a trial found ..., so it will help you too")."""
    relative = names_subject = False
    for pattern, is_purpose in ((lexicon.purpose, True), (lexicon.attribution, False)):
        m = pattern.search(text)
        while m:
            rest = text[m.end() :]
            end = _RELATIVE.search(rest) if is_purpose else None
            end = end or _OWN_VOICE.search(rest)
            if is_purpose and (m.group(0).endswith(":") or rest.lstrip().startswith(":")):
                end = None  # "is used to: a; b; c": the whole list is the purpose
            stop = m.end() + end.start() if end else len(text)
            if is_purpose and lexicon.absolutes["effect"].search(text, m.start(), stop):
                m = pattern.search(text, m.end())  # "used to treat and prevent ...": a promise stays a claim
                continue
            relative = relative or bool(is_purpose and end and _RELATIVE.match(rest[end.start() :]))
            names_subject = names_subject or bool(lexicon.subjects.search(text, m.start(), stop))
            text = text[: m.start()] + " " + text[stop:]
            m = pattern.search(text, m.start() + 1)
    return text, relative, names_subject


def _hedged(text: str, start: int, end: int, affirmed: Sequence[int], lexicon: Lexicon) -> bool:
    """A hedge in ``text[start:end]`` before its first affirmed effect word (positions in
    ``affirmed``) or in that word's clause; anywhere in the span when it has none. A list item's
    lead-in and the item are read apart."""
    inside = [a for a in affirmed if start <= a < end]
    stop = min(_clause_end(text, inside[0]), end) if inside else end
    return start < end and bool(lexicon.hedges.search(text, start, stop))


def _subject_verbs(text: str, lexicon: Lexicon) -> list[re.Match[str]]:
    """Verbs right after a dry-needling subject ("dry needling unlocks", "needling quietly
    tames") that are not ``neutral_verbs``: they assert an effect."""
    found = []
    for subject in lexicon.subjects.finditer(text):
        verb = _VERB_AFTER.match(text, subject.end())
        if verb and not lexicon.neutral_verbs.fullmatch(verb.group(1)):
            found.append(verb)
    return found


def _clause_end(text: str, position: int) -> int:
    """Where the clause around ``position`` ends."""
    ends = [m.start() for m in _HEDGE_SCOPE_END.finditer(text) if m.start() > position]
    return min(ends, default=len(text))


def _clause(text: str, position: int) -> str:
    """The clause of ``text`` around ``position``."""
    starts = [0] + [m.end() for m in _CLAUSE_BREAK.finditer(text) if m.end() <= position]
    ends = [m.start() for m in _CLAUSE_BREAK.finditer(text) if m.start() > position] + [len(text)]
    return text[max(starts) : min(ends)]


def frequency_word(text: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """``(frequency, word)`` of the first frequency word in ``text`` (rare before uncommon before common)."""
    for frequency, pattern in lexicon.frequencies:
        m = pattern.search(text)
        if m:
            return frequency, m.group(0)
    return None


def match_topics(text: str, lexicon: Lexicon) -> dict[str, int]:
    """Every topic whose patterns match ``text``, with the position of the first match (a topic none
    of whose required words occurs in the text is skipped without running its patterns)."""
    found = {}
    lowered = text.lower()
    for topic, pattern in lexicon.topics.items():
        gate = lexicon.topic_gates.get(topic)
        if gate is not None and not gate.search(lowered):
            continue
        m = pattern.search(text)
        if m:
            found[topic] = m.start()
    return found


def foreign_subject(text: str, lexicon: Lexicon) -> bool:
    """Whether the subject of ``text`` (a sentence, stripped) is something other than the treatment.

    The subject is read as the words before the first verb marker (``verb_markers``, after the first
    word: "Sometimes the pain settles") or effect word: their first comma-separated part that is not
    an opening phrase (``subject_openers``: "For heel pain, ...", "After a session, ..."). A pronoun
    at its start is the subject ("This lets ..."), unless a head noun follows it ("These nerves ...").
    It is foreign when it has a head noun of ``foreign_subject_heads`` (the condition, the body,
    people) and none of ``treatment_subject_heads`` (relief, results, the treatment): "Migraines can
    wear you down" describes the condition; "Relief often comes fast" is a claim."""
    first_word = len(text) - len(text.lstrip().split(" ", 1)[-1]) if " " in text.strip() else len(text)
    verb, effect = lexicon.verb_markers.search(text, first_word), lexicon.effect_words.search(text)
    ends = [m.start() for m in (verb, effect) if m]
    if effect and effect.start() == min(ends) and lexicon.treatment_subject_heads.match(effect.group(0)):
        return False  # "Pain relief comes ...": the effect word itself heads the subject
    chunks = [c.strip() for c in (text[: min(ends)] if ends else "").split(",")]
    phrase = next((c for c in chunks if c and not lexicon.subject_openers.search(c)), "")
    if not phrase:
        return False
    if lexicon.pronouns.match(phrase) and not lexicon.foreign_subject_heads.search(" ".join(phrase.split()[:3])):
        return False  # "This allows ...": a pronoun, not a determiner ("These nerves ...")
    return bool(lexicon.foreign_subject_heads.search(phrase)) and not (
        lexicon.treatment_subject_heads.search(phrase) or lexicon.subjects.search(phrase)
    )


def _is_lead_in(text: str) -> bool:
    """A line that leads into a list ("By easing these areas, needling helps:"): its object is the list."""
    return text.rstrip().endswith(":")


def _is_question(text: str) -> bool:
    return text.rstrip().rstrip("\"'”’)").endswith("?")


def _is_title(sentence: Sentence) -> bool:
    """A heading, or a line of at most :data:`TITLE_WORDS` words that is not a list item and has no
    final punctuation (how a heading of a page pasted as text looks); never a question."""
    text = sentence.text.strip().rstrip("\"'”’)")
    if not text or text.endswith("?"):
        return False
    return bool(sentence.heading) or (
        not sentence.list_item and not text.endswith((".", "!", ":", ";", ",")) and len(text.split()) <= TITLE_WORDS
    )


def section_of(sentence: Sentence, section: str, lexicon: Lexicon) -> str:
    """The other treatment whose section ``sentence`` stands in, given the section of the sentence
    before (``section``; "" for none): a title naming a treatment of ``section_titles`` and not
    dry needling starts one; a sentence naming the needling (``page_subjects``, ``section_ends``)
    ends it, and so does a heading that names no such treatment, or a title line of text that
    names neither such a treatment nor an effect (see the module docstring)."""
    text = sentence.text.translate(_PLAIN_QUOTES)
    if lexicon.page_subjects.search(text) or lexicon.section_ends.search(text):
        return ""
    if not _is_title(sentence):
        return section
    named = lexicon.section_titles.search(text)
    if named:
        return named.group(0)
    return section if not sentence.heading and lexicon.effect_words.search(text) else ""


def _registered(sentence: str, register: Sequence[RegisterClaim], document: str) -> dict[str, RegisterClaim]:
    """Topic -> register claim for every registered occurrence of ``document`` (a file name) that
    ``sentence`` contains (a cheap word test first, so that a long draft is not normalised once per
    locator). Locators tie register claims to the patient documents they were read in: in any other
    draft they match nothing, and the rules alone decide."""
    lowered = sentence.lower()
    found: dict[str, RegisterClaim] = {}
    for claim in register:
        if claim.topic in found:
            continue
        for where, locator in claim.locators:
            if where != document:
                continue
            words = _WORD.findall(locator.lower())
            if words and max(words, key=len) in lowered and find_occurrence(sentence, locator) >= 0:
                found[claim.topic] = claim
                break
    return found


class ClaimDetector:
    """Reads a draft's sentences in order and returns the claims of each (see the module docstring)."""

    def __init__(self, register: Sequence[RegisterClaim], lexicon: Lexicon, document: str = "") -> None:
        """``document``: the draft's file name; a registered occurrence counts only in its own document."""
        self.register = list(register)
        self.document = document
        self.lexicon = lexicon
        verdicts: dict[str, set[str]] = {}
        for claim in self.register:
            verdicts.setdefault(claim.topic, set()).add(claim.verdict)
        self.contradicted = frozenset(t for t, v in verdicts.items() if v == {"contradicted"})

    def detect(self, sentences: Iterable[Sentence]) -> Iterator[SentenceClaims]:
        """The claims of each sentence, in order. The only state carried is the sentence before:
        whether it named dry needling (for "it"/"this"), its topics (for "stops them", and for the
        answer to a question: "Tennis elbow? Gone in one visit."; not when it was about another
        treatment, unless the sentence names dry needling: "Cupping draws out toxins. Some say it
        helps." claims nothing) and, when it was a question, its text (an answer that affirms it,
        ``answers``, is read together with it). Typographic quotes are read as plain ones; the
        sentence itself is yielded as written."""
        lex = self.lexicon
        previous_about, previous_topics, question, page_about, previous_other = False, {}, "", False, False
        section = ""
        for sentence in sentences:
            section = section_of(sentence, section, lex)
            read = replace(
                sentence, text=sentence.text.translate(_PLAIN_QUOTES), lead_in=sentence.lead_in.translate(_PLAIN_QUOTES)
            )
            answered = question if question and lex.answers.search(sentence.text.strip()) else ""
            if answered:  # an answer that affirms a question is read together with it
                read = replace(read, text=f"{question.rstrip().rstrip('?')}: {read.text}")
            claims, previous_about, previous_topics, other_claim = self._sentence(
                read, previous_about, previous_topics, bool(question), page_about, previous_other, section
            )
            # a sentence naming another treatment: one naming needling only beside it does not make
            # the draft a needling page ("care may include exercise, taping and dry needling"), and
            # an "it" in the next sentence is that treatment unless the sentence names needling
            names_other = bool(lex.other_treatments.search(sentence.text))
            page_about = page_about or (bool(lex.page_subjects.search(sentence.text)) and not names_other)
            previous_other = names_other and not lex.subjects.search(sentence.text)
            question = sentence.text.translate(_PLAIN_QUOTES) if _is_question(sentence.text) else ""
            yield SentenceClaims(sentence, claims, *other_claim, section=section, answered=answered)

    def _sentence(
        self,
        sentence: Sentence,
        previous_about: bool,
        previous_topics: dict[str, int],
        previous_question: bool,
        page_about: bool = False,
        previous_other: bool = False,
        section: str = "",
    ) -> tuple[tuple[DetectedClaim, ...], bool, dict[str, int], tuple[str, tuple[str, ...]]]:
        """The claims of one sentence, whether it names dry needling, its topics and, when it claims
        nothing for dry needling but affirms an effect of another treatment it names, or of the
        treatment whose section it stands in, that treatment and the effect's topics (``page_about``:
        an earlier sentence of the draft named dry needling; ``previous_other``: the sentence before
        was about another treatment; ``section``: the other treatment whose section this is, "" for
        none: then the sentence has no dry-needling subject)."""
        lex = self.lexicon
        raw = sentence.text
        registered = _registered(raw, self.register, self.document) if self.document else {}
        all_topics = {t: p for t, p in match_topics(raw, lex).items() if topic_type(t) != "logistics"}
        text, relative, removed_subject = _remove_spans(raw, lex)
        lead = (
            sentence.lead_in
            if (
                sentence.list_item
                and lex.subjects.search(sentence.lead_in)
                and not lex.not_claims.search(sentence.lead_in)
            )
            else ""
        )
        context = f"{lead}\n{text}" if lead else text  # a line apart: "^" in a pattern is the item's start
        other = bool(section) or bool(lex.other_treatments.search(text))
        explicit = bool(lex.subjects.search(text))
        stripped = text.strip()
        other_subject = bool(lex.other_subjects.search(stripped)) or (
            foreign_subject(stripped, lex) and not lex.implied_subject.search(stripped)
        )
        pronoun = bool(lex.pronouns.search(stripped)) and (previous_about or removed_subject) and not other_subject
        implied = (
            not other
            and not other_subject
            and bool(lex.implied_subject.search(stripped) or lex.calls_to_action.search(stripped))
        )
        effect_matches = list(lex.effect_words.finditer(context))
        effects = [*effect_matches, *lex.absolutes["effect"].finditer(context), *_subject_verbs(context, lex)]
        affirmed = sorted(m.start() for m in effects if not _negated(context, m.start(), lex))
        body = len(context) - len(text)  # where the sentence starts in the context (after a lead-in)
        # on a dry-needling page a sentence is about dry needling unless its subject is something else:
        # one named at its start, or another treatment named before its first effect word
        first_effect = min((m.start() - body for m in effect_matches if m.start() >= body), default=len(text))
        # a list item under a lead-in that is a purpose or a service list ("IMS is used to treat:") is no claim
        listed_use = sentence.list_item and bool(
            lex.not_claims.search(sentence.lead_in) or lex.purpose.search(sentence.lead_in)
        )
        page = (
            page_about
            and not other_subject
            and not listed_use
            and not lex.other_treatments.search(text[:first_effect] if explicit else text)
        )
        subject = not section and (explicit or pronoun or bool(lead) or implied or relative or page)
        about = not section and ((explicit and not other) or (pronoun and not explicit))
        hedged = _hedged(context, 0, body, affirmed, lex) or _hedged(context, body, len(context), affirmed, lex)
        if _is_question(raw):
            return (
                self._claims(
                    raw, text, context, {t: all_topics.get(t, 0) for t in registered}, registered, False, False, hedged
                ),
                about,
                all_topics,
                ("", ()),
            )
        asserted = bool(affirmed) or bool(lex.uncertainty.search(context))
        not_claim = bool(lex.not_claims.search(text)) and not any(
            _affirmed(pattern, context, lex) for pattern in lex.absolutes.values()
        )
        topics = (
            all_topics
            if text == raw
            else {t: p for t, p in match_topics(text, lex).items() if topic_type(t) != "logistics"}
        )
        if not topics and subject and affirmed and removed_subject:
            topics = all_topics  # "a trial found it eased neck pain, so it will ease yours too"
        elif (
            not topics
            and subject
            and affirmed
            and not _is_lead_in(raw)
            and (lex.object_pronouns.search(text) or previous_question)
            and (explicit or not previous_other)
        ):
            topics = dict(previous_topics)
        safety = {t for t in topics if topic_type(t) == "safety"}
        safety = {t for t in safety if not (lex.narrower.get(t, frozenset()) & safety)}
        kept = {}
        for topic, position in topics.items():
            if topic in registered or topic in self.contradicted:
                kept[topic] = position
            elif not_claim:
                continue
            elif topic_type(topic) == "safety":
                if self._safety_claimed(topic, text, position, len(safety) == 1):
                    kept[topic] = position
            elif subject and asserted:
                kept[topic] = position
        for topic in registered:
            kept.setdefault(topic, all_topics.get(topic, 0))
        kept = {
            t: p for t, p in kept.items() if t in registered or not (lex.narrower.get(t, frozenset()) & kept.keys())
        }
        claims = self._claims(
            raw,
            text,
            context,
            kept,
            registered,
            subject and asserted and not not_claim,
            bool(effects) and not affirmed,
            hedged,
        )
        if claims or (explicit and not section):
            treatment = ""  # a claim of dry needling, or a sentence that names it outside a section
        else:  # the treatment it names, else the one whose section it stands in
            named = lex.other_treatments.search(text) if other else None
            treatment = named.group(0) if named else section
        other_claim = (
            (treatment, tuple(sorted(topics, key=topics.__getitem__)))
            if treatment and affirmed and topics
            else ("", ())
        )
        return claims, about, all_topics, other_claim

    def _safety_claimed(self, topic: str, text: str, position: int, alone: bool) -> bool:
        """A safety topic is claimed when its clause gives a frequency (the sentence, when it names
        no other safety topic), or the sentence calls needling safe (general safety) or uses an
        absolute safety phrase."""
        lex = self.lexicon
        if frequency_word(_clause(text, position), lex) or (alone and frequency_word(text, lex)):
            return True
        if topic == "general_safety" and _affirmed(lex.safe_words, text, lex):
            return True
        return bool(_affirmed(lex.absolutes["safety"], text, lex))

    def _claims(
        self,
        raw: str,
        text: str,
        context: str,
        topics: dict[str, int],
        registered: dict[str, RegisterClaim],
        asserted: bool,
        negated_only: bool,
        hedged: bool,
    ) -> tuple[DetectedClaim, ...]:
        """One claim per topic, with its strength (``hedged``: see :func:`_hedged`)."""
        lex = self.lexicon
        if not topics and not asserted:
            return ()
        uncertain = bool(lex.uncertainty.search(context))
        effect_absolute = tuple(_affirmed(lex.absolutes["effect"], context, lex))
        # an absolute effect with no effect topic ("proven to work"), also beside a bare claim of
        # safety ("100% safe and works for anyone"; not beside a side effect or a frequency, where
        # "resolves" or "prevent" are about the harm, nor where the evidence is said to be uncertain:
        # "little good evidence backs it")
        untopical = ()
        if (
            asserted
            and effect_absolute
            and not uncertain
            and (not topics or (set(topics) == {"general_safety"} and not frequency_word(context, lex)))
            and _affirmed(lex.effect_words, context, lex)
        ):
            untopical = (DetectedClaim("", "absolute", effect_absolute, False, False, None, False),)
        if not topics:
            return untopical
        hedged = uncertain or hedged
        denial = negated_only or bool(lex.denials.search(context))
        safety_named = any(topic_type(t) == "safety" and t != "general_safety" for t in topics)
        qualified = safety_named or bool(lex.safety_qualifiers.search(raw))
        absolutes = {"effect": effect_absolute, "safety": tuple(_affirmed(lex.absolutes["safety"], context, lex))}
        claims = []
        for topic, position in sorted(topics.items(), key=lambda item: _TOPIC_ORDER[item[0]]):
            kind = topic_type(topic)
            absolute = absolutes["safety" if kind == "safety" else "effect"]
            strength = "absolute" if absolute else "conditional" if hedged else "direct"
            frequency = None
            if kind == "safety":
                at = position + len(context) - len(text)
                frequency = frequency_word(_clause(context, at), lex) or frequency_word(context, lex)
            safe = topic == "general_safety" and bool(_affirmed(lex.safe_words, raw, lex)) and not qualified
            claims.append(
                DetectedClaim(topic, strength, absolute, uncertain, denial, frequency, safe, registered.get(topic))
            )
        return (*claims, *untopical)


def denies(text: str, lexicon: Lexicon) -> bool:
    """The sentence uses effect, safety or absolute words and negates every one ("dry needling will
    not cure back pain", "no treatment is completely safe"): a denial, which makes no claim."""
    text = text.translate(_PLAIN_QUOTES)
    patterns = (lexicon.effect_words, lexicon.safe_words, *lexicon.absolutes.values())
    named = any(p.search(text) for p in patterns)
    return named and not any(_affirmed(p, text, lexicon) for p in patterns)


def condition_topics(topics: Iterable[str]) -> frozenset[str]:
    """The topics among ``topics`` that are conditions (ids of the search definitions)."""
    return frozenset(t for t in topics if t in CONDITIONS)
