"""The wording checker's rules, findings and outputs: which claims of a marketing draft say more
than the evidence allows, and what to say instead.

Stages: :mod:`evidence.wording.drafts` reads a draft and splits it into sentences;
:mod:`evidence.wording.detection` finds the claims of each sentence (topic and strength, one per claim,
so a sentence can make several); this module joins each claim with the register
(``data/curated/claims.yaml``) and its verdict (``data/derived/claim_verdicts.csv``), applies the
flagging policy and writes the findings as a table, JSON, CSV or an HTML page of the draft.

Flagging policy (one decision per claim)
----------------------------------------
* A claim on a topic whose verdict is **contradicted** (lactic acid, toxins) is flagged whatever
  its hedging, unless the sentence rejects the idea (a negated effect word, "myth", or a
  statement that the evidence is uncertain).
* **Absolute or superlative wording** is always flagged (strength ``absolute``: cures,
  eliminates, gets rid of, proven, research shows, guaranteed, permanent, the best, most
  effective, prevents; for safety: completely safe, no side effects, never ...).
* Efficacy, outcome and mechanism claims follow the verdicts: **conditional** wording (may,
  might, can, could, research suggests) is enough from **low** certainty up; at **very low**
  certainty, for an unsupported claim or a topic without a verdict only wording that says the
  evidence is uncertain is enough; **direct** wording is enough only for a supported claim at
  moderate or high certainty. A sentence that says the evidence is uncertain is never flagged
  by this rule; not_checkable claims are never flagged.
* **Safety**: a frequency word is checked against the register claim of the topic with that
  ``frequency_claimed``: flagged when that claim is contradicted or overstated or, when no claim
  has that frequency, when a supported claim of the topic gives another one ("bruising is rare"
  against "bruising is common"). For general safety, whose claim is about serious events, a
  sentence about mild or minor effects is not compared. "Safe" is flagged unless the sentence
  names side effects or says serious events are rare, or the general-safety claim itself says
  "safe" (no frequency) and is supported at moderate or high certainty.

The register claim a finding is checked against is the claim whose occurrence the sentence
contains, else the claim of the topic chosen by :func:`evidence.wording.detection.choose_claim` (its
frequency, then the conditions the sentence names, then shared words). A flagged claim's
**suggestion** is that claim's ``allowed_wording``: for a mechanism sentence the mechanism's, for
an outcome named with a condition the claim about that condition when the register has one;
without a claim, a generic hedge of the topic's type. A claim that is not flagged gets none: the
sentence already says no more than the evidence allows, and a suggestion could only say more.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TextIO

import pandas as pd

from evidence.config import ConfigError
from evidence.curation.claims import Claim
from evidence.curation.topics import TOPICS, topic_type
from evidence.tables import read_csv
from evidence.vocab import LEVELS, certainty_rank
from evidence.wording.classifier import CHECKERS, RULES_ONLY, SCORERS, Example, OverclaimModel, example
from evidence.wording.detection import (
    REQUIRED_VERDICT_COLUMNS,
    ClaimDetector,
    DetectedClaim,
    RegisterClaim,
    SentenceClaims,
    build_register,
    choose_claim,
    condition_topics,
    denies,
)
from evidence.wording.drafts import Sentence, display_name, iter_sentences, read_text, split_sentences
from evidence.wording.lexicon import Lexicon, load_lexicon

FORMATS = ("table", "json", "csv", "html")
EXIT_OK, EXIT_FLAGGED, EXIT_BAD_INPUT = 0, 1, 2
SEVERITY_CONTRADICTED, SEVERITY_HYPE, SEVERITY_FLAG, SEVERITY_NONE = 3, 2, 1, 0
_LOW, _MODERATE = LEVELS.index("low"), LEVELS.index("moderate")


@dataclass(frozen=True)
class Assessment:
    """The outcome of the rules for one claim."""

    claim: RegisterClaim | None
    severity: int
    reason: str

    @property
    def flagged(self) -> bool:
        return self.severity > SEVERITY_NONE


#: the suggestion for a sentence only the classifier flags: no rule says which claim it makes
CHECK_BY_HAND = (
    "If the sentence states an effect of dry needling, hedge it ('may', 'can') and say what the evidence "
    "shows and how certain it is; if it states none, it can stay as it is."
)
#: the same, for a sentence that is already hedged (telling it to hedge would read as a mistake)
CHECK_BY_HAND_HEDGED = (
    "If the sentence states an effect of dry needling, a hedge may not be enough: say what the evidence "
    "shows and how certain it is (where it is very uncertain, say so), and drop any promise of speed, "
    "lasting relief or prevention; if it states none, it can stay as it is."
)


def generic_suggestion(topic: str) -> str:
    """A hedge for the topic's claim type, used when the register has no allowed wording."""
    if not topic:
        return "Drop the absolute words; say what the evidence shows and how certain it is."
    kind, description = TOPICS[topic]
    return {
        "efficacy": f"The evidence is very uncertain about the effect of dry needling on {description}.",
        "outcome": f"The evidence is uncertain about whether dry needling gives {description}.",
        "mechanism": f"How dry needling works is not established; present '{description}' as a proposed explanation, "
        "not a fact.",
        "safety": f"Describe {description} as often as the evidence reports it, without absolute words.",
    }.get(kind, "")


def _label(claim: RegisterClaim | None, topic: str) -> str:
    """How reasons name what the claim was checked against."""
    return f"register claim {claim.id}" if claim else (f"topic {topic}" if topic else "no register claim")


def _certainty_text(certainty: str) -> str:
    return f"certainty {certainty.replace('_', ' ')}" if certainty else "no certainty rating"


def _strength_rule(claim: RegisterClaim | None, topic: str, detected: DetectedClaim) -> tuple[int, str]:
    """Efficacy, outcome and mechanism: is the wording weak enough for the certainty?"""
    verdict, certainty = (claim.verdict, claim.certainty) if claim else ("", "")
    label = _label(claim, topic)
    if verdict == "not_checkable":
        return SEVERITY_NONE, f"{label} is not checkable against trial evidence"
    if detected.states_uncertainty:
        return SEVERITY_NONE, "the sentence says the evidence is uncertain"
    if not verdict:
        return SEVERITY_FLAG, (
            f"{detected.strength} claim but {label} has no evidence verdict; say the evidence is uncertain"
        )
    rank = certainty_rank(certainty)
    if detected.strength == "conditional":
        if rank >= _LOW and verdict != "unsupported":
            return SEVERITY_NONE, f"conditional wording fits {label} ({verdict}, {_certainty_text(certainty)})"
        return SEVERITY_FLAG, (
            f"conditional wording ('may', 'can') is not enough: {label} is {verdict} with "
            f"{_certainty_text(certainty)}; say the evidence is very uncertain"
        )
    if verdict == "supported" and rank >= _MODERATE:
        return SEVERITY_NONE, f"consistent with {label} (supported, {_certainty_text(certainty)})"
    return SEVERITY_FLAG, (
        f"direct wording (no 'may' or 'can'), but the evidence for {label} is rated {verdict} "
        f"({_certainty_text(certainty)})"
    )


def _safety_rule(
    claim: RegisterClaim | None, topic: str, detected: DetectedClaim, mild: bool, candidates: Sequence[RegisterClaim]
) -> tuple[int, str]:
    """Safety: frequency words against the register, and "safe" without qualification."""
    label = _label(claim, topic)
    verdict = claim.verdict if claim else ""
    if detected.frequency and not (topic == "general_safety" and mild):
        frequency, word = detected.frequency
        if claim and claim.frequency_claimed == frequency:
            if verdict in ("contradicted", "overstated"):
                return SEVERITY_FLAG, f"says '{word}' but {label} ({frequency}) is {verdict}"
            return SEVERITY_NONE, f"'{word}' agrees with {label} ({frequency}, {verdict or 'no verdict'})"
        backed = [c for c in candidates if c.frequency_claimed and c.verdict == "supported"]
        if backed:
            return SEVERITY_FLAG, (
                f"says '{word}' ({frequency}) but the evidence supports "
                f"'{backed[0].frequency_claimed}' (claim {backed[0].id})"
            )
    if detected.safe_unqualified:
        says_safe = claim and claim.frequency_claimed in ("", "not_stated")
        if says_safe and verdict == "supported" and certainty_rank(claim.certainty) >= _MODERATE:
            return SEVERITY_NONE, f"'safe' is backed by {label} (supported)"
        what = (
            f"{label} is about {claim.frequency_claimed} events"
            if claim and not says_safe
            else f"{label} is {verdict or 'without verdict'}"
        )
        return SEVERITY_FLAG, f"'safe' without naming side effects or how rare serious ones are; {what}"
    return SEVERITY_NONE, f"consistent with {label} ({verdict or 'no verdict'})"


def assess(
    detected: DetectedClaim, sentence: str, register: Sequence[RegisterClaim], named: frozenset[str], lexicon: Lexicon
) -> Assessment:
    """Apply the flagging policy to one claim of a sentence; ``named`` are the conditions the sentence names."""
    topic = detected.topic
    if not topic:
        words = ", ".join(f"'{w}'" for w in detected.absolute_words)
        return Assessment(None, SEVERITY_HYPE, f"absolute wording: {words} (no topic recognised)")
    candidates = [c for c in register if c.topic == topic]
    kind = topic_type(topic)
    claim = detected.registered or choose_claim(
        candidates, sentence, detected.frequency[0] if detected.frequency else None, named
    )
    if (
        claim
        and claim.verdict == "contradicted"
        and not (kind == "safety" and not detected.frequency and len(candidates) > 1)
    ):
        if detected.denial or detected.states_uncertainty:
            return Assessment(
                claim,
                SEVERITY_NONE,
                f"the sentence rejects what {_label(claim, topic)} says, which the evidence contradicts",
            )
        return Assessment(claim, SEVERITY_CONTRADICTED, f"{_label(claim, topic)} is contradicted by the evidence")
    if detected.absolute_words:
        words = ", ".join(f"'{w}'" for w in detected.absolute_words)
        return Assessment(claim, SEVERITY_HYPE, f"absolute wording: {words}")
    if kind == "safety":
        severity, reason = _safety_rule(claim, topic, detected, bool(lexicon.mild.search(sentence)), candidates)
    else:
        severity, reason = _strength_rule(claim, topic, detected)
    return Assessment(claim, severity, reason)


# --------------------------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One claim of a draft and what the evidence says about it (a sentence can yield several)."""

    file: str
    index: int
    line: int
    sentence: str
    topic: str
    claim_type: str
    strength: str
    claim_id: str | None
    verdict: str
    certainty: str
    flagged: bool
    reason: str
    suggestion: str
    topics: tuple[str, ...]
    #: the classifier's probability that the sentence overclaims (None: checked by the rules alone)
    score: float | None = None
    #: what checked the draft (a key of :data:`~evidence.wording.classifier.CHECKERS`)
    checked_by: str = RULES_ONLY


def _sentence_finding(file: str, sentence: Sentence, **fields: object) -> Finding:
    """A finding on ``sentence`` with no register claim: ``fields`` give what differs (topic,
    verdict, flagged, reason, ...); the rest is empty."""
    empty = dict(topic="", claim_type="", strength="", verdict="", certainty="", suggestion="", topics=())
    return Finding(
        file=file,
        index=sentence.index,
        line=sentence.line,
        sentence=sentence.text,
        claim_id=None,
        **{**empty, **fields},
    )


#: the verdict of a note on a claim about another treatment: the checker judges dry needling's claims only
NOT_CHECKED = "not checked"


def unchecked(finding: Finding) -> bool:
    """Whether ``finding`` is a note on a claim about another treatment (:func:`_other_treatment_note`)."""
    return finding.verdict == NOT_CHECKED


def _other_treatment_note(file: str, found: SentenceClaims) -> list[Finding]:
    """A note, never flagged, on a sentence that makes no claim for dry needling but states an
    effect of another treatment it names ("Cupping draws out toxins"): the checker does not judge
    such claims, and says so rather than pass the sentence in silence."""
    if not found.other_treatment:
        return []
    sentence, topic, name = found.sentence, found.other_topics[0], found.other_treatment
    name = name[0].lower() + name[1:] if name[1:2].islower() else name  # "Cupping" -> "cupping"; "TENS" stays
    reason = (
        f"a claim for {name}, not for dry needling; the checker judges "
        "claims about dry needling only, so check this one by hand"
    )
    return [
        _sentence_finding(
            file,
            sentence,
            topic=topic,
            claim_type=topic_type(topic),
            verdict=NOT_CHECKED,
            flagged=False,
            reason=reason,
            topics=found.other_topics,
        )
    ]


def _suggestion(claim: RegisterClaim | None, topic: str) -> str:
    """What to write instead of a flagged claim: the claim's allowed wording, else a hedge of the topic's type."""
    return claim.allowed_wording if claim and claim.allowed_wording else generic_suggestion(topic)


def _findings(file: str, found: SentenceClaims, register: Sequence[RegisterClaim], lexicon: Lexicon) -> list[Finding]:
    sentence = found.sentence
    named = condition_topics(found.topics)
    findings = []
    # an answer read with its question says so, or "Yes." would seem flagged for words it lacks
    read_with = f"read with the question before it ('{found.answered.strip()}'): " if found.answered else ""
    for detected in found.claims:
        a = assess(detected, sentence.text, register, named, lexicon)
        claim = a.claim
        findings.append(
            Finding(
                file=file,
                index=sentence.index,
                line=sentence.line,
                sentence=sentence.text,
                topic=detected.topic,
                claim_type=topic_type(detected.topic) if detected.topic else "",
                strength=detected.strength,
                claim_id=claim.id if claim else None,
                verdict=claim.verdict if claim else "",
                certainty=claim.certainty if claim else "",
                flagged=a.flagged,
                reason=read_with + a.reason,
                suggestion=_suggestion(claim, detected.topic) if a.flagged else "",
                topics=found.topics,
            )
        )
    return findings


def _words_of(text: str) -> str:
    """``text`` as its words in lower case, one space apart (how a sentence is compared with the
    register's allowed wordings)."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def allowed_wordings(register: Sequence[RegisterClaim]) -> dict[str, str]:
    """Each sentence of the register's allowed wordings (:func:`_words_of`) -> the claim it is
    allowed for."""
    return {_words_of(s.text): c.id for c in register for s in split_sentences(c.allowed_wording)}


def _as_allowed(findings: list[Finding], claim_id: str) -> list[Finding]:
    """The findings of a sentence that is the register's allowed wording for ``claim_id`` ("": it is
    none, the findings as they are): none is flagged (the wording the checker suggests is, by its
    making, what the evidence allows), and a finding the rules had flagged says why it stands."""
    if not claim_id:
        return findings
    return [
        replace(
            f,
            flagged=False,
            suggestion="",
            reason=f"{f.reason}; but the sentence is the register's allowed wording for claim {claim_id}",
        )
        if f.flagged
        else f
        for f in findings
    ]


def _as_sentences(sentences: Iterable[str | Sentence]) -> Iterable[Sentence]:
    """Sentence objects; plain strings become one sentence per line."""
    for number, item in enumerate(sentences, start=1):
        yield item if isinstance(item, Sentence) else Sentence(str(item), number, number)


def check_sentences(
    sentences: Iterable[str | Sentence],
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    file: str = "",
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> list[Finding]:
    """Findings for the claims among ``sentences`` (in order; plain strings count as one line each),
    checked against the register ``claims`` and the verdict table; with a ``model``, the
    classifier decides which sentences are flagged (:func:`second_opinion`)."""
    return list(iter_findings(sentences, claims, verdicts, file, lexicon, model))


#: sentences scored by the classifier at a time (memory stays bounded on any input)
MODEL_BATCH = 2048


def iter_findings(
    sentences: Iterable[str | Sentence],
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    file: str = "",
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> Iterator[Finding]:
    """The findings of :func:`check_sentences`, one at a time, as the sentences are read (with a
    model, a batch of :data:`MODEL_BATCH` sentences at a time)."""
    lexicon = lexicon or load_lexicon()
    register = build_register(claims, verdicts)
    detector = ClaimDetector(register, lexicon, Path(file).name if file else "")
    allowed = allowed_wordings(register)
    found_findings = (
        (found, _findings(file, found, register, lexicon), allowed.get(_words_of(found.sentence.text), ""))
        for found in detector.detect(_as_sentences(sentences))
    )
    if model is None:
        for found, findings, allowed_for in found_findings:
            yield from _as_allowed(findings, allowed_for) or _other_treatment_note(file, found)
        return
    by_id = {c.id: c for c in register}
    batch: list[tuple[SentenceClaims, list[Finding], Example, str]] = []
    text_before, findings_before = "", None
    for found, findings, allowed_for in found_findings:
        features = example([found.sentence], findings, text_before, findings_before)
        batch.append((found, findings, features, allowed_for))
        text_before, findings_before = found.sentence.text, findings
        if len(batch) == MODEL_BATCH:
            yield from _decided(batch, model, by_id, file, lexicon)
            batch = []
    yield from _decided(batch, model, by_id, file, lexicon)


def _decided(
    batch: Sequence[tuple[SentenceClaims, list[Finding], Example, str]],
    model: OverclaimModel,
    by_id: dict[str, RegisterClaim],
    file: str,
    lexicon: Lexicon,
) -> Iterator[Finding]:
    """The findings of a batch of sentences, each decided by the model (:func:`second_opinion`),
    except a sentence that is the register's allowed wording for a claim (the batch's last item),
    and, when the rules found no claim in it, one in a section about another treatment
    (:class:`evidence.wording.detection.SentenceClaims` ``section``: "Shockwave therapy", then "It
    sends sound waves ...") or a heading (a bare topic such as "Headaches" is a title: labelling
    guide, case 20), which the model's score cannot flag."""
    probabilities = model.probabilities([e for _, _, e, _ in batch])

    def words(text: str, towards: bool) -> list[str]:
        """The words to show: never the treatment's own name, nor a hedge as a word that makes an
        overclaim (hedging is what the register asks for; "'may help'" read as the word to change)."""
        weighed = model.weighed_words(text, towards, 8)
        shown = [w for w in weighed if not lexicon.subjects.fullmatch(w)]
        return [w for w in shown if not (towards and lexicon.hedges.search(w))][:3]

    for (found, findings, _, allowed_for), p in zip(batch, probabilities):
        if allowed_for:
            scored = (replace(f, score=round(p, 3), checked_by=model.name) for f in _as_allowed(findings, allowed_for))
            yield from scored
            continue
        sentence, disclaims = found.sentence, found.disclaims
        if not findings and (found.section or sentence.heading):
            p = 0.0  # another treatment's section, or a heading that claims nothing: a title
        if not findings and p >= model.threshold:  # read only where it can matter: a denial makes no claim
            disclaims = denies(sentence.text, lexicon)
        hedged = not findings and p >= model.threshold and bool(lexicon.hedges.search(sentence.text))
        decided = second_opinion(
            findings, sentence, file, p, model.threshold, by_id, words, disclaims, SCORERS[model.name], hedged
        )
        for finding in decided or _other_treatment_note(file, found):
            yield replace(finding, checked_by=model.name)


def second_opinion(
    findings: Sequence[Finding],
    sentence: Sentence,
    file: str,
    probability: float,
    threshold: float,
    by_id: dict[str, RegisterClaim],
    model_words: Callable[[str, bool], list[str]] | None = None,
    disclaims: bool = False,
    scorer: str = "the classifier (trained on labelled clinic copy)",
    hedged: bool = False,
) -> list[Finding]:
    """The rules' findings of one sentence, decided by the classifier
    (:mod:`evidence.wording.classifier`): the sentence is flagged when ``probability >= threshold``,
    except that the classifier never flags claims the rules passed because the sentence rejects
    them or says their evidence is uncertain, nor a sentence without claims that negates every
    effect it names (``disclaims``: the wording the policy asks for; the
    classifier, trained on clinic copy where such sentences are rare, tends to read "lactic acid" or
    "toxins" as an overclaim wherever they stand).

    * flagged, and the rules flagged a claim: their findings stand as they are;
    * flagged, the rules found claims but flagged none: each claim is flagged, the reason says the
      classifier rates the sentence an overclaim, the suggestion is the claim's allowed wording;
    * flagged, the rules found no claim: one finding without a topic, with that reason and a
      suggestion that asks for a check by hand (:data:`CHECK_BY_HAND`, or :data:`CHECK_BY_HAND_HEDGED`
      when the sentence already has a hedge: ``hedged``);
    * not flagged: no finding is flagged; one the rules had flagged keeps their reason, followed by
      the classifier's, and loses its suggestion; except an absolute safety claim the rules flagged
      ("no risk of a punctured lung", "no side effects", "completely safe"), which stands: the
      labelling guide (case 19) found every labeller calling a denial of all risk an overclaim, and
      the mission's pneumothorax claim is of this kind.

    A reason that gives the classifier's decision names the model that scored the sentence
    (``scorer``) and the words of the sentence that weighed most for it (``model_words``: the
    classifier's, :meth:`evidence.wording.classifier.WordingModel.weighed_words`), so the reader
    sees what to change. Every finding carries the probability as ``score`` (rounded to 3 places)."""
    score = round(probability, 3)
    rules_flag = any(f.flagged for f in findings)
    overclaim = probability >= threshold and (rules_flag or not disclaims)

    def rated() -> str:
        """The classifier's decision in words (made only for a reason that gives it), the score with as
        many places as it takes to differ from the threshold (0.598 is below 0.60, not "0.60")."""
        places = 2
        while places < 4 and probability != threshold and f"{probability:.{places}f}" == f"{threshold:.{places}f}":
            places += 1
        text = (
            f"{scorer} scores the sentence {probability:.{places}f}, "
            f"{'at or above' if overclaim else 'below'} its threshold {threshold:.2f} for an overclaim"
        )
        words = model_words(sentence.text, overclaim) if model_words else []
        if words:
            weighed = ", ".join(f"'{w}'" for w in words)
            text += f"; the classifier's words that weighed most {'for' if overclaim else 'against'} it: {weighed}"
        return text

    if not findings:
        if not overclaim:
            return []
        return [
            _sentence_finding(
                file,
                sentence,
                flagged=True,
                reason=f"no rule matched a claim, but {rated()}; check it by hand",
                suggestion=CHECK_BY_HAND_HEDGED if hedged else CHECK_BY_HAND,
                score=score,
            )
        ]
    if overclaim and rules_flag:
        return [replace(f, score=score) for f in findings]
    said = rated() if overclaim or rules_flag else ""
    if overclaim:
        return [
            replace(
                f,
                flagged=True,
                reason=f"{f.reason}; but {said}",
                suggestion=_suggestion(by_id.get(f.claim_id or ""), f.topic),
                score=score,
            )
            for f in findings
        ]
    return [
        replace(
            f,
            flagged=False,
            reason=f"{f.reason}; but {said}",
            suggestion="",
            score=score,
        )
        if f.flagged and not (f.claim_type == "safety" and f.strength == "absolute")
        else replace(f, score=score)
        for f in findings
    ]


#: drafts longer than this (about 1 MB of text) show their progress on stderr
PROGRESS_CHARACTERS = 1_000_000


def _with_progress(sentences: Iterable[Sentence], name: str, characters: int) -> Iterable[Sentence]:
    """``sentences``, with a progress bar on stderr (tqdm) while they are checked when the draft has
    more than :data:`PROGRESS_CHARACTERS` characters."""
    if characters <= PROGRESS_CHARACTERS:
        return sentences
    from tqdm import tqdm

    return tqdm(sentences, desc=f"checking {name}", unit=" sentences", file=sys.stderr, mininterval=1.0)


def _model_for(model: OverclaimModel | None, name: str, characters: int) -> OverclaimModel | None:
    """The model that checks a draft of ``characters`` characters (:meth:`OverclaimModel.for_length`),
    with a note on stderr when a slower model gave way to a faster one."""
    if model is None:
        return None
    chosen = model.for_length(characters)
    if chosen is not model:
        print(
            f"{name}: {characters:,} characters, too long for the thorough model; checked with the fast one "
            "(check-wording --thorough to insist)",
            file=sys.stderr,
        )
    return chosen


@dataclass(frozen=True)
class Draft:
    """One checked draft: its sentences and findings, or the error that stopped it being read."""

    name: str
    sentences: tuple[Sentence, ...] = ()
    findings: tuple[Finding, ...] = ()
    error: str = ""
    #: what checked it (a key of :data:`~evidence.wording.classifier.CHECKERS`)
    checked_by: str = RULES_ONLY


def check_drafts(
    paths: Iterable[str | Path],
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> list[Draft]:
    """Every draft of ``paths`` (``-`` reads stdin) checked; a draft that cannot be read carries
    its error and the others are still checked."""
    claims = list(claims)
    lexicon = lexicon or load_lexicon()
    drafts = []
    for path in paths:
        name = display_name(path)
        try:
            text = read_text(path)
        except ConfigError as exc:
            drafts.append(Draft(name, error=str(exc)))
            continue
        sentences = tuple(split_sentences(text))
        read = _with_progress(sentences, name, len(text))
        chosen = _model_for(model, name, len(text))
        checked = check_sentences(read, claims, verdicts, name, lexicon, chosen)
        drafts.append(Draft(name, sentences, tuple(checked), checked_by=chosen.name if chosen else RULES_ONLY))
    return drafts


def check_files(
    paths: Iterable[str | Path],
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> list[Finding]:
    """Findings for every draft in ``paths``; ConfigError for the first draft that cannot be read."""
    drafts = check_drafts(paths, claims, verdicts, lexicon, model)
    for draft in drafts:
        if draft.error:
            raise ConfigError(draft.error)
    return [f for d in drafts for f in d.findings]


def exit_code(findings: Iterable[Finding], bad_input: bool = False) -> int:
    """2 when an input could not be read, else 1 when any claim is flagged, else 0."""
    if bad_input:
        return EXIT_BAD_INPUT
    return EXIT_FLAGGED if any(f.flagged for f in findings) else EXIT_OK


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

FIELDS = tuple(f.name for f in fields(Finding))


def _record(finding: Finding) -> dict:
    """A finding as a dict for JSON and CSV (``topics`` as a list)."""
    record = {name: getattr(finding, name) for name in FIELDS}  # every field is a plain value
    record["topics"] = list(finding.topics)
    return record


def write_json(findings: Iterable[Finding], out: TextIO) -> list[Finding]:
    """Write a JSON list with one object per finding (keys: :data:`FIELDS`) as the findings come;
    return the flagged ones."""
    flagged, first = [], True
    out.write("[")
    for finding in findings:
        item = json.dumps(_record(finding), indent=2, ensure_ascii=False).replace("\n", "\n  ")
        out.write(("\n  " if first else ",\n  ") + item)
        first = False
        if finding.flagged:
            flagged.append(finding)
    out.write("]\n" if first else "\n]\n")
    return flagged


def write_csv(findings: Iterable[Finding], out: TextIO) -> list[Finding]:
    """Write CSV with a header of :data:`FIELDS` (``topics`` joined with ';', ``flagged`` as
    true/false) as the findings come; return the flagged ones."""
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    flagged = []
    for finding in findings:
        row = _record(finding)
        row.update(
            topics=";".join(finding.topics),
            flagged="true" if finding.flagged else "false",
            claim_id=finding.claim_id or "",
        )
        writer.writerow(row)
        if finding.flagged:
            flagged.append(finding)
    return flagged


def write_table(findings: Iterable[Finding], out: TextIO) -> list[Finding]:
    """Write a plain-text report, one block per claim (``file:line``, topic, strength, register claim
    and its verdict; flagged ones with the reason and a suggestion; ``note`` for a claim about
    another treatment, not checked) and a closing count that says what checked the drafts, as the
    findings come; return the flagged ones."""
    flagged, claims, sentences, flagged_sentences, notes = [], 0, set(), set(), 0
    checked_by: dict[str, str] = {}
    for f in findings:
        checked_by[f.file] = f.checked_by
        where = f"{f.file}:{f.line}" if f.file else str(f.line)
        # the verdict is the register claim's (what the evidence says of that claim), not this sentence's
        evidence = f"{f.verdict}, certainty {f.certainty}" if f.certainty else (f.verdict or "no verdict")
        evidence = f"register rates that claim {evidence}" if f.claim_id else evidence
        evidence = evidence.replace("_", " ")  # words, as the HTML output shows them
        status = "FLAG" if f.flagged else "note" if unchecked(f) else "ok  "
        lines = [
            f"{status}  {where}  {f.topic or '-'}  {f.strength or '-'}  {f.claim_id or '-'}  {evidence}",
            f"      sentence: {f.sentence}",
            f"      why: {f.reason}",
        ]
        if f.flagged and f.suggestion:
            lines.append(f"      instead: {f.suggestion}")
        out.write("\n".join(lines) + "\n")
        if unchecked(f):
            notes += 1
            continue
        claims += 1
        sentences.add((f.file, f.index))
        if f.flagged:
            flagged.append(f)
            flagged_sentences.add((f.file, f.index))
    if not claims:
        summary = "no claims found"
    elif not flagged:
        summary = f"{claims} claim(s) in {len(sentences)} sentence(s); none flagged"
    else:
        summary = (
            f"{claims} claim(s) in {len(sentences)} sentence(s); {len(flagged)} of them flagged, "
            f"in {len(flagged_sentences)} sentence(s)"
        )
    if notes:
        summary += f"; {notes} sentence(s) with claims about other treatments, not checked"
    out.write(summary + _checked_by_text(checked_by) + "\n")
    return flagged


def _checked_by_text(checked_by: dict[str, str]) -> str:
    """What checked the drafts (``checked_by``: file -> checker), for the table's closing line."""
    if len(set(checked_by.values())) == 1:
        return f"; checked by {CHECKERS[next(iter(checked_by.values()))]}"
    return "".join(f"; {file or 'draft'} checked by {CHECKERS[checker]}" for file, checker in checked_by.items())


WRITERS = {"table": write_table, "json": write_json, "csv": write_csv}


def _as_text(writer: Callable[[Iterable[Finding], TextIO], list[Finding]], findings: Iterable[Finding]) -> str:
    buffer = io.StringIO()
    writer(findings, buffer)
    return buffer.getvalue()


def to_json(findings: Iterable[Finding]) -> str:
    """The JSON of :func:`write_json` as a string."""
    return _as_text(write_json, findings)


def to_csv(findings: Iterable[Finding]) -> str:
    """The CSV of :func:`write_csv` as a string."""
    return _as_text(write_csv, findings)


def to_table(findings: Iterable[Finding]) -> str:
    """The report of :func:`write_table` as a string."""
    return _as_text(write_table, findings)


_HTML_STYLE = """
body{font:16px/1.55 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #ccc}
.summary{color:#444}.error{color:#8a1010;font-weight:600}
mark.claim{background:#e4f3e4;padding:0 .15em}mark.claim.flagged{background:#fde2c8}
mark.unchecked{background:#ececec;padding:0 .15em}
.note{display:block;margin:.3rem 0 .8rem 1rem;padding:.4rem .6rem;border-left:4px solid #5a9a5a;
font-size:.9rem;background:#fafafa}.note.flagged{border-color:#c4621b}.note.unchecked{border-color:#999}
.note b{font-weight:600}li{margin:.2rem 0}h3 .note{font-size:.9rem;font-weight:normal}
"""


def _claim_text(claim_id: str | None, claim_href: Callable[[str], str | None] | None) -> str:
    """A finding's claim id as HTML: a link to the claim's page when ``claim_href`` gives one."""
    if not claim_id:
        return "no register claim"
    href = claim_href(claim_id) if claim_href else None
    return f'<a href="{html.escape(href)}">{html.escape(claim_id)}</a>' if href else html.escape(claim_id)


def _draft_body(draft: Draft, claim_href: Callable[[str], str | None] | None = None) -> str:
    """The draft's text, line by line (paragraphs, list items, headings from ``h3`` down), each claim
    sentence highlighted with a note per finding."""
    if draft.error:
        return f'<p class="error">{html.escape(draft.error)}</p>'
    by_sentence: dict[int, list[Finding]] = {}
    for finding in draft.findings:
        by_sentence.setdefault(finding.index, []).append(finding)
    parts, open_list, current_line, block = [], "", None, "p"
    for sentence in draft.sentences:
        if sentence.block != current_line:
            if current_line is not None:
                parts.append(f"</{block}>")
            kind = ("ol" if sentence.numbered else "ul") if sentence.list_item else ""
            if open_list and kind != open_list:
                parts.append(f"</{open_list}>")
            if kind and kind != open_list:
                parts.append(f"<{kind}>")
            open_list = kind
            # the page's title is h1 and each draft's name h2, so a draft's headings start at h3
            block = "li" if open_list else f"h{min(sentence.heading + 2, 6)}" if sentence.heading else "p"
            parts.append(f"<{block}>")
            current_line = sentence.block
        findings = by_sentence.get(sentence.index, [])
        text = html.escape(sentence.text)
        if not findings:
            parts.append(text + " ")
            continue
        if all(unchecked(f) for f in findings):
            parts.append(
                f'<mark class="unchecked" data-sentence="{sentence.index}">{text}</mark> '
                f'<span class="note unchecked" data-flagged="false"><b>Not checked</b> · '
                f"{html.escape(findings[0].reason)}</span>"
            )
            continue
        flagged = any(f.flagged for f in findings)
        ids = " ".join(f.claim_id or "-" for f in findings)
        parts.append(
            f'<mark class="claim{" flagged" if flagged else ""}" data-sentence="{sentence.index}" '
            f'data-claims="{html.escape(ids)}">{text}</mark> '
        )
        for f in findings:
            evidence = f"{f.verdict} ({f.certainty.replace('_', ' ')})" if f.certainty else (f.verdict or "no verdict")
            note = (
                f'<span class="note{" flagged" if f.flagged else ""}" data-flagged="{str(f.flagged).lower()}">'
                f"<b>{'Flagged' if f.flagged else 'OK'}</b> · {html.escape(f.topic or 'no topic')} · "
                + (f"{html.escape(f.strength)} wording · " if f.strength else "")
                + f"{_claim_text(f.claim_id, claim_href)}: "
                f"{html.escape(evidence)}<br>{html.escape(f.reason)}"
            )
            if f.flagged and f.suggestion:
                note += f'<br><b>Instead:</b> <span class="suggestion">{html.escape(f.suggestion)}</span>'
            parts.append(note + "</span>")
    if current_line is not None:
        parts.append(f"</{block}>" + (f"</{open_list}>" if open_list else ""))
    return "".join(parts)


def to_html(
    drafts: Sequence[Draft], title: str = "Wording check", claim_href: Callable[[str], str | None] | None = None
) -> str:
    """A self-contained HTML page (no scripts, no external files): each draft's text with every
    claim highlighted (orange when flagged) and, under it, its verdict, reason and suggestion; each
    draft's summary says what checked it (also its section's ``data-checked-by``).
    ``claim_href(claim_id)``, when given, links each claim id to its page (``None``: no link)."""
    sections = []
    for draft in drafts:
        flagged = sum(f.flagged for f in draft.findings)
        notes = sum(unchecked(f) for f in draft.findings)
        summary = (
            ""
            if draft.error
            else (
                f'<p class="summary">{len(draft.findings) - notes} claim(s), '
                f'<span class="flag-count">{flagged}</span> flagged'
                + (f"; {notes} sentence(s) with claims about other treatments, not checked" if notes else "")
                + f"; checked by {CHECKERS[draft.checked_by]}</p>"
            )
        )
        sections.append(
            f'<section class="draft" data-file="{html.escape(draft.name)}" data-checked-by="{draft.checked_by}">'
            f"<h2>{html.escape(draft.name)}</h2>{summary}{_draft_body(draft, claim_href)}</section>"
        )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_HTML_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n"
        + "\n".join(sections)
        + "\n</body></html>\n"
    )


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def load_verdicts(path: str | Path) -> pd.DataFrame:
    """The derived claim verdicts table; ConfigError when it has not been built."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: claim verdicts not found; run `python -m evidence analyse` first")
    try:
        return read_csv(path, columns=REQUIRED_VERDICT_COLUMNS)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def run_check_wording(
    paths: Sequence[str],
    fmt: str,
    claims: Iterable[Claim],
    verdicts: pd.DataFrame,
    out: TextIO | None = None,
    err: TextIO | None = None,
    lexicon: Lexicon | None = None,
    model: OverclaimModel | None = None,
) -> int:
    """``evidence check-wording``: check every draft, write the report of those that could be read
    to ``out`` (the table ends by saying how many could not; the HTML page gives each one's error in
    its place) and one error line per draft that could not to ``err``; return the worst exit code
    (2 bad input, else 1 anything flagged, else 0). Unknown format or no files: ConfigError."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not paths:
        raise ConfigError("no input files; give one or more .txt, .md, .html or .docx files, or - for stdin")
    out, err = out or sys.stdout, err or sys.stderr
    if fmt == "html":
        drafts = check_drafts(paths, claims, verdicts, lexicon, model)
        for draft in drafts:
            if draft.error:
                print(f"error: {draft.error}", file=err)
        out.write(to_html(drafts))  # an unreadable draft's section gives its error
        return exit_code([f for d in drafts for f in d.findings], bad_input=any(d.error for d in drafts))
    # table, JSON and CSV are written as the findings come: memory stays that of the largest draft
    claims, lexicon = list(claims), lexicon or load_lexicon()
    errors: list[str] = []
    findings = (f for path in paths for f in _draft_findings(path, claims, verdicts, lexicon, errors, model))
    flagged = WRITERS[fmt](findings, out)
    if errors and fmt == "table":  # the count above covers the drafts read; say that some were not
        out.write(f"NOT CHECKED: {len(errors)} draft(s) could not be read (the errors are on stderr)\n")
    for error in errors:
        print(f"error: {error}", file=err)
    return exit_code(flagged, bad_input=bool(errors))


def _draft_findings(
    path: str | Path,
    claims: list[Claim],
    verdicts: pd.DataFrame,
    lexicon: Lexicon,
    errors: list[str],
    model: OverclaimModel | None = None,
) -> Iterator[Finding]:
    """The findings of one draft as they are found (with progress on stderr for a large one); a
    draft that cannot be read adds its error to ``errors`` and yields nothing."""
    name = display_name(path)
    try:
        text = read_text(path)
    except ConfigError as exc:
        errors.append(str(exc))
        return
    yield from iter_findings(
        _with_progress(iter_sentences(text), name, len(text)),
        claims,
        verdicts,
        name,
        lexicon,
        _model_for(model, name, len(text)),
    )
