"""Verdicts for the claims register, derived from the evidence by code.

Each claim gets one of ``supported``, ``overstated`` (the evidence supports a weaker statement
than the one made), ``uncertain``, ``unsupported`` (no evidence found), ``contradicted`` (tested
and refuted) or ``not_checkable``, with the certainty, the effect, the rule that decided and the
wording the evidence allows. A hand-set verdict is only a recorded override
(``data/curated/verdict_overrides.csv``: claim_id, verdict, reason).

Efficacy and outcome claims: what the claim asks
    A claim is judged on evidence that tested its own question (``claim_question``: the claim's
    ``question`` or its topic's). Dose (how many sessions) and technique comparisons (deep against
    superficial) are ``UNTESTED`` by any column of the tables: such a claim is ``unsupported``, saying
    that no study compared it, rather than judged on generic pain evidence. Onset claims are judged in
    the first week, duration claims in the long window. A cautious claim that states a limit
    (``states_limit``: "relief is mostly short-lived") is judged as a limit (``_limit_verdict``), never
    as a promise. A claim that names no condition takes cross-condition reviews as direct evidence; a
    population it names that they did not study (``unstudied_population``) makes them indirect. A
    condition's efficacy claim about pain weighs function (disability) outcomes too (``_domains``).
Efficacy and outcome claims: the evidence profile
    Candidates are this tracker's evidence questions (condition x domain x comparator x window,
    rated in ``certainty.csv``) and the published reviews' findings, each with a certainty
    (``evidence.synthesis.grade.rate_finding``: the authors' GRADE rating, a stated range counting as its
    lower level, or else this tracker's rating of what was recorded; never "unrated"). Each
    candidate is *direct* when it is about the population the claim names, else *indirect* and one
    level down, with the reason named: a review finding filed under another condition (a claim
    about all dry needling judged on one condition, or a condition judged on cross-condition
    reviews), a finding whose population is broader or mixed (``population_scope``), or, for a
    claim about a named sub-condition (frozen shoulder, piriformis ...), evidence on the broader
    condition (a question is direct for a sub-condition only when all its trials are about it).

    The profile (``claim_evidence.csv``) keeps, per part of the claim (its condition, and each named
    sub-condition), per comparator class (sham or placebo; no treatment, waiting list or usual care;
    added to the same treatment; another active treatment; mixed comparators pooled by a review)
    and per window (only the claimed comparator class for a claim about adding dry needling to other
    care, only the claimed window for a claim about a time course), the best candidate by this
    rule: direct before indirect, then higher certainty, then more participants, then the newer
    source (a review's year; for a tracker question its newest trial), then the id. Its size is
    judged against the MID (``vocab.effect_class``: an MD against the instrument's MID, an SMD
    against 0.2 / 0.5 / 0.8).

    A finding reported only in words counts as tested with the result its ``narrative_result`` records
    (favours dry needling, no difference, favours the control); "no difference from placebo" is a
    tested null, not missing data. A narrative finding with mixed or no stated result is shown but
    decides nothing.

    The verdict of a part is read from its profile, first rule that applies (comparisons with
    another active treatment say which treatment is better, not whether dry needling works, and
    never decide):

    ==============  =====================================================================================
    unsupported     no candidate at all
    contradicted    a direct sham-controlled best estimate (added-to-treatment for an add-on claim) at
                    moderate or high certainty shows little or no difference (CI includes no effect,
                    or the size is trivial) or favours the control
    supported       hedged claim ("may"): any best estimate favours dry needling at low certainty or
                    above. Asserted claim: a direct best estimate against sham or no treatment / usual
                    care (added-to-treatment for an add-on claim), at moderate or high certainty,
                    favouring dry needling by at least the MID (moderate or large), in the claimed
                    window (for an unqualified claim: beyond the first week, i.e. short, mid, long or
                    a review's pooled "any")
    overstated      an estimate favours dry needling at low certainty or above, but not as the claim
                    needs: below the MID or size unknown, only in the first week, only against mixed or
                    add-on comparators, only at low certainty, or only indirect (the reason names which)
    uncertain       anything else: every estimate very low, or no clear benefit at low certainty
    ==============  =====================================================================================

    The allowed wording never says more than the interval: its size is that of the CI end nearest no
    effect (SMD -1.40, CI -2.39 to -0.40, reads "slightly", not "large"), an interval that reaches no
    effect reads "little or no difference", and when a later window of the same part and comparator
    class shows no clear difference the wording says so.

    A claim that names sub-conditions ("knee pain, including iliotibial band syndrome") is judged
    on its condition; when the condition is supported but a named sub-condition is not, the claim
    is overstated. A claim only about a sub-condition (``subcondition_only``) is judged on that
    sub-condition's part alone.
Mechanism claims
    A clinical effect does not prove a mechanism: only the mechanism rows the register links to
    the claim count, and only its ``tested_by`` rows (links marked ``tested``: studies that tested this
    claim's own mechanism or outcome) can decide it. A tested human study that contradicts it (or finds no
    effect): ``contradicted`` (low certainty). Tested support in patients: ``overstated`` when
    asserted, ``supported`` when hedged (low certainty, small mechanistic studies). Tested support
    only in animals, healthy volunteers or mixed findings: ``uncertain`` (very low). Linked rows
    that did not test the claim (a critical review of a theory, a finding about a neighbouring
    claim): ``uncertain``. Nothing linked: ``unsupported``. The wording speaks about the claim's
    own statement.
Safety claims (our frequency policy)
    Frequency words follow the CIOMS / European Commission bands (Büchter et al. 2014, Table 1,
    in ``sources.csv``): very common >= 10%, common 1-10%, uncommon 0.1-1%, rare 0.01-0.1%,
    very rare < 0.01%. Rates come from prospective surveys and trials (a zero count with n
    treatments gives the rule-of-three upper bound 3/n, Hanley & Lippman-Hand 1983); case reports
    show that an event happens, not how often. For a serious event with no rate of its own,
    significant events of any kind in large surveys give an upper bound. Certainty: rates from
    prospective surveys of at least 1,000 treatments moderate (an upper bound only: low); other
    rates low; case reports only very low. A warning that a harm can happen is supported by case
    reports or survey counts; a frequency word it carries is still checked against the bands
    (``uncertain`` when no rate can check it), and a warning is never ``unsupported`` only
    because no data were found (``uncertain``: keep the warning). A claim that dry needling is
    safe needs rates. Events patients feel after the session (soreness, tiredness, a temporary
    increase in pain: ``FELT_LATER``) are undercounted by clinicians' per-treatment surveys (about 2%
    post-needling soreness there, 29-91% when trials ask patients): patient-reported rates decide when
    there are any; clinician rates alone are a lower bound (low certainty) that can show an event is
    common, never that it is not (``uncertain``). A claim about how long an event lasts
    (``duration_claimed_hours``) is judged only on recorded durations (``resolved_within_hours``):
    supported (low) when all are within it, overstated when one is longer, uncertain when none is
    recorded. The general-safety wording names the mild events the safety table counts as common or
    very common, with their ranges.
Logistics claims
    ``not_checkable``; so are contraindications (precautions, not effect claims).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from evidence.curation.schema import Curated, cell_number, number
from evidence.curation.topics import TOPICS
from evidence.synthesis.grade import (
    RATED_BY_TRACKER,
    authors_ceiling,
    informative_statement,
    rate_finding,
)
from evidence.vocab import (
    ANY,
    COMPARATOR_CLASS_LABELS,
    HEAD_TO_HEAD,
    LEVELS,
    OUTCOME_NOUNS,
    SUBCONDITION_LABELS,
    SUBCONDITIONS,
    VERDICTS,
    WINDOW_PHRASES,
    WINDOWS,
    QuestionId,
    certainty_rank,
    direction,
    effect_class,
    effect_text,
    order_of,
    review_finding_id,
)

VERDICT_COLUMNS = (
    "claim_id",
    "statement",
    "type",
    "topic",
    "condition_ids",
    "verdict",
    "certainty",
    "effect",
    "allowed_wording",
    "evidence_ids",
    "reason",
    "rule",
    "override_reason",
)
PROFILE_COLUMNS = (
    "claim_id",
    "part",
    "part_label",
    "comparator_class",
    "comparator_label",
    "window",
    "evidence_id",
    "source",
    "year",
    "directness",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "scale",
    "k",
    "n_participants",
    "size",
    "favours",
    "finding_certainty",
    "certainty_range",
    "rated_by",
    "certainty",
    "certainty_reasons",
    "statement",
    "applicability",
    "candidates",
    "outcome_domain",
)

# comparator type -> comparator class of the profile, in the order the profile lists them
COMPARATOR_CLASSES = {
    "sham": "sham",
    "no_treatment": "no_treatment",
    "usual_care": "no_treatment",
    "add_on": "add_on",
    "active_other": "active_other",
    ANY: "mixed",
}
CLASS_ORDER = tuple(COMPARATOR_CLASS_LABELS)
CLASS_LABELS = COMPARATOR_CLASS_LABELS
CLASS_COMPARATOR = {
    "sham": "sham",
    "no_treatment": "no_treatment",
    "add_on": "add_on",
    "active_other": "active_other",
    "mixed": ANY,
}
WINDOW_ORDER = ("immediate", "short", "mid", "long", ANY)
BEYOND_FIRST_WEEK = ("short", "mid", "long", ANY)
IMPORTANT = ("moderate", "large")
SIZES = ("trivial", "small", "moderate", "large")
FAVOURS = {True: "dry needling", False: "control", None: "no clear difference"}
# a finding reported only in words counts as tested with this result ("mixed" is not a tested result)
NARRATIVE_FAVOURS = {"favours_dn": True, "no_difference": None, "favours_control": False}

# what an outcome topic asks (vocab.CLAIM_QUESTIONS); a claim's own ``question`` comes first
TOPIC_QUESTIONS = {
    "sessions_needed": "dose",
    "relief_24_48h": "onset",
    "lasting_effect": "duration",
    "add_on_to_exercise": "comparison",
}
# questions no column of the curated tables records a comparison for (number of sessions, one needling
# technique against another): claims asking them are unsupported until a study that compared it is added
UNTESTED = {
    "dose": "how many sessions are needed (a comparison of numbers of sessions)",
    "technique": "one needling technique against another (such as deep against superficial needling)",
}
# outcome topics -> (domain, claimed window, claimed comparator class)
OUTCOME_FILTERS = {
    "pain_relief": ("pain", None, None),
    "range_of_motion": ("rom", None, None),
    "function": ("disability", None, None),
    "muscle_activation": ("strength", None, None),
    "medication_use": ("medication", None, None),
    "posture": ("other", None, None),
    "muscle_spasms": ("other", None, None),
    "recovery_speed": ("global", None, None),
    "add_on_to_exercise": ("pain", None, "add_on"),
    "relief_24_48h": ("pain", "immediate", None),
    "sessions_needed": ("pain", "short", None),
    "lasting_effect": ("pain", "long", None),
}
# default safety rows per topic when a claim links none
SAFETY_EVENTS = {
    "general_safety": ("any_mild", "any_significant", "serious"),
    "soreness": ("soreness",),
    "bruising": ("bruising",),
    "bleeding": ("bleeding",),
    "fatigue": ("fatigue",),
    "dizziness_fainting": ("dizziness_fainting",),
    "infection": ("infection",),
    "nerve_injury": ("nerve_injury",),
    "pneumothorax": ("pneumothorax",),
    "pain_during": ("pain_during",),
}
ALL_CAUSE = ("any_mild", "any_significant", "serious")
# events patients feel after the session: a clinician's per-treatment count is a lower bound for them
FELT_LATER = ("soreness", "fatigue", "temporary_pain_increase")
SERIOUS = ("any_significant", "serious")
GENERAL = "all_dry_needling"
GENERAL_POPULATION = "musculoskeletal pain"
BANDS = ((10.0, "very common"), (1.0, "common"), (0.1, "uncommon"), (0.01, "rare"), (0.0, "very rare"))
CLAIMED_LIMITS = {"common": (1.0, math.inf), "rare": (0.0, 0.1), "very_rare": (0.0, 0.01)}
SURVEY_SIZE = 1000
PAIN_SCALE = re.compile(r"0-(10|100)\b")


@dataclass(frozen=True)
class Verdict:
    claim_id: str
    verdict: str
    certainty: str
    effect: str
    allowed_wording: str
    evidence_ids: tuple[str, ...]
    reason: str
    rule: str = ""
    override_reason: str = ""


@dataclass(frozen=True)
class Candidate:
    """One estimate that bears on a part of a claim, oriented so that negative favours dry needling."""

    evidence_id: str
    source: str
    year: int
    condition: str
    subconditions: frozenset[str]
    population_scope: str
    comparator_class: str
    window: str
    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    scale: str
    k: float
    n_participants: float
    size: str
    favours: bool | None
    finding_certainty: str
    certainty_range: str
    rated_by: str
    certainty_reasons: str
    text: str
    applicability: str  # the trials' techniques and co-interventions, or a review's intervention and population scope
    # the comparison was tested with a stated result: an estimate with a CI, or a result reported in words
    tested: bool = True
    mid: float = math.nan  # the MID on the estimate's scale (an MD's), NaN when unknown or an SMD
    domain: str = "pain"  # the outcome domain of the estimate


@dataclass(frozen=True)
class Entry:
    """A profile row: the best candidate of one part x comparator class x window, judged for the claim."""

    part: str
    part_label: str
    candidate: Candidate
    indirect: str  # "" when direct, else why not
    certainty: str  # for the claim: the candidate's certainty, one level down when indirect
    candidates: int

    @property
    def direct(self) -> bool:
        return not self.indirect


@dataclass
class Evidence:
    """The derived and curated tables a verdict reads."""

    curated: Curated
    questions: pd.DataFrame
    certainty: pd.DataFrame
    condition_labels: dict[str, str] = field(default_factory=dict)
    _candidates: dict[str, list[Candidate]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def candidates(self, domain: str) -> list[Candidate]:
        """The estimates on one outcome domain that a claim's profile picks from: the tracker's pooled
        questions, then the reviews' findings. Built once per domain (every claim reads the same ones; the
        tables are not changed after an ``Evidence`` is made)."""
        if domain not in self._candidates:
            self._candidates[domain] = _question_candidates(self, domain) + _review_candidates(self, domain)
        return self._candidates[domain]


def band(rate_percent: float) -> str:
    """CIOMS frequency band of a rate given in percent."""
    return next(name for cut, name in BANDS if rate_percent >= cut)


def _label(ev: Evidence, part: str) -> str:
    if part == GENERAL:
        return GENERAL_POPULATION
    if part in SUBCONDITION_LABELS:
        return SUBCONDITION_LABELS[part]
    return ev.condition_labels.get(part, part.replace("_", " "))


def _finding_mid(f: dict, mids: pd.DataFrame) -> float:
    """The MID on a review finding's stated scale: pain on 0-10 or 0-100 as the NPRS MID (rescaled),
    else the instrument named first in ``scale`` on its stated range; NaN when the scale is not stated."""
    match = PAIN_SCALE.search(f["scale"])
    if not match:
        return math.nan
    top = float(match.group(1))
    table = mids.assign(_max=number(mids["scale_max"]), _mid=number(mids["mid"]))
    if f["outcome_domain"] == "pain":
        nprs = table[(table["instrument"] == "NPRS") & (table["_max"] == 10.0)]
        return float(nprs["_mid"].iloc[0]) * top / 10.0 if len(nprs) else math.nan
    named = table[(table["instrument"] == f["scale"].split()[0]) & (table["_max"] == top)]
    return float(named["_mid"].iloc[0]) if len(named) else math.nan


def _question_candidates(ev: Evidence, domain: str) -> list[Candidate]:
    q = ev.questions.merge(ev.certainty[["question_id", "final", "reasons"]], on="question_id", how="inner")
    q = q[(q["outcome_domain"] == domain) & (q["k"] > 0)]
    studies = ev.curated.studies
    years = number(studies.drop_duplicates("study_id").set_index("study_id")["year"])
    by_id = studies.drop_duplicates("study_id").set_index("study_id")
    subs = by_id["subcondition"]
    out = []
    for r in q.itertuples():
        ids = [s.strip() for s in str(r.study_ids).split(";") if s.strip()]
        common = {subs.get(s, "") for s in ids}
        fav = direction(r.estimate, r.ci_low, r.ci_high)
        size = r.effect_class if isinstance(r.effect_class, str) else ""
        text = (
            effect_text(r.measure, f"{r.estimate:.2f}", f"{r.ci_low:.2f}", f"{r.ci_high:.2f}", r.scale) + f", k={r.k}"
        )
        labels = "; ".join(
            f"{s}: "
            + by_id.loc[s, "technique"].replace("_", " ")
            + (f", co-intervention {by_id.loc[s, 'co_intervention']}" if by_id.loc[s, "co_intervention"] else "")
            for s in ids
            if s in by_id.index
        )
        known = [y for y in (years.get(s, math.nan) for s in ids) if not math.isnan(y)]
        year = int(max(known)) if known else 0
        out.append(
            Candidate(
                r.question_id,
                "this tracker's pooled trials",
                year,
                r.condition_id,
                frozenset(common) if len(common) == 1 and "" not in common else frozenset(),
                "condition",
                COMPARATOR_CLASSES[r.comparator_type],
                r.window,
                r.measure,
                r.estimate,
                r.ci_low,
                r.ci_high,
                r.scale,
                float(r.k),
                float(r.n_participants),
                size,
                fav,
                r.final,
                r.final,
                RATED_BY_TRACKER,
                r.reasons if isinstance(r.reasons, str) else "",
                text,
                labels,
                mid=float(getattr(r, "mid", math.nan)),
                domain=domain,
            )
        )
    return out


def _review_candidates(ev: Evidence, domain: str) -> list[Candidate]:
    f = ev.curated.review_findings
    reviews = ev.curated.reviews.set_index("review_id")
    years = number(reviews["year"])
    networks = set(reviews.index[reviews["design"] == "network_meta_analysis"])
    regional = set(reviews.index[reviews["mostly_regional_trials"] == "true"])
    rated = f[f["certainty"] != ""].to_dict("records")
    out = []
    for r in f[f["outcome_domain"] == domain].to_dict("records"):
        est, low, high = cell_number(r["effect"]), cell_number(r["ci_low"]), cell_number(r["ci_high"])
        if r["effect_measure"] in ("RR", "OR"):  # ratios on the log scale, so that 0 is no difference
            est, low, high = (math.log(x) if x > 0 else math.nan for x in (est, low, high))
        sign = -1.0 if r["lower_is_better"] == "false" else 1.0
        est, (low, high) = sign * est, sorted((sign * low, sign * high))
        mid = _finding_mid(r, ev.curated.mids)
        rating = rate_finding(r, mid, r["review_id"] in networks, authors_ceiling(r, rated), r["review_id"] in regional)
        numbers = (
            effect_text(
                r["effect_measure"],
                r["effect"] or "(point estimate not reported)",
                r["ci_low"],
                r["ci_high"],
                r["scale"],
            )
            if r["ci_low"] and r["ci_high"]
            else ""
        )
        question = QuestionId(r["condition_id"], r["outcome_domain"], r["comparator_type"], r["window"])
        out.append(
            Candidate(
                review_finding_id(r["review_id"], question),
                r["review_id"],
                int(cell_number(years.get(r["review_id"], 0)) or 0),
                r["condition_id"],
                frozenset({r["subcondition"]}) if r["subcondition"] else frozenset(),
                r["population_scope"],
                COMPARATOR_CLASSES[r["comparator_type"]],
                r["window"],
                r["effect_measure"],
                est,
                low,
                high,
                r["scale"],
                cell_number(r["n_trials"]),
                cell_number(r["n_participants"]),
                effect_class(est, r["effect_measure"], mid),
                direction(est, low, high) if numbers else NARRATIVE_FAVOURS.get(r["narrative_result"]),
                rating.certainty,
                rating.shown,
                rating.rated_by,
                rating.reasons,
                numbers or r["conclusion"],
                f"intervention: {r['intervention_scope'].replace('_', ' ')}; population: {r['population_scope']}",
                bool(numbers) or r["narrative_result"] in NARRATIVE_FAVOURS,
                mid,
                domain,
            )
        )
    return out


def _indirect(c: Candidate, part: str, parent: str, named_reviews: Sequence[str], label) -> str | None:
    """ "" when ``c`` is direct evidence for ``part``, the reason when indirect, None when it does not bear on it."""
    named = c.source in named_reviews
    if part in SUBCONDITIONS:
        if c.condition != parent and not named:
            return None
        if part in c.subconditions:
            why = ""
        else:
            why = f"evidence on {label(c.condition)} in general, not {label(part)}"
    elif c.condition == part:
        why = ""
    elif named:
        why = f"evidence on {label(c.condition)}, not {label(part)}"
    else:
        return None
    if not why and c.population_scope != "condition":
        why = f"the review pooled a {c.population_scope} population"
    return why


def _down(level: str) -> str:
    return LEVELS[max(0, LEVELS.index(level) - 1)] if level in LEVELS else level


def best_estimate_key(certainty: str, n_participants: float, year: int, evidence_id: str, direct: bool = True) -> tuple:
    """THE best-estimate rule, wherever an estimate is picked (a profile cell, the estimate that decides a
    part's verdict, the report's evidence map): direct before indirect, then higher certainty (for a
    claim: the certainty for that claim, an indirect estimate's one level down), then more participants
    (unknown counts as none), then the newer source, then the id. The best has the largest key."""
    n = n_participants if not math.isnan(n_participants) else -1.0
    return (direct, certainty_rank(certainty), n, year, evidence_id)


def _entry_key(e: Entry) -> tuple:
    c = e.candidate
    return best_estimate_key(e.certainty, c.n_participants, c.year, c.evidence_id, e.direct)


def _best(entries: list[tuple[Candidate, str]]) -> tuple[Candidate, str]:
    """The best candidate of one profile cell (``best_estimate_key``)."""

    def key(item):
        c, why = item
        certainty = _down(c.finding_certainty) if why else c.finding_certainty
        return best_estimate_key(certainty, c.n_participants, c.year, c.evidence_id, why == "")

    return max(entries, key=key)


def _scope(claim) -> tuple[str, str | None, str | None, list[str]]:
    """(outcome domain, claimed window, claimed comparator class, parts) of an efficacy or outcome claim:
    the parts are its conditions (all dry needling when it names none) and its named sub-conditions."""
    domain, window, comparator = OUTCOME_FILTERS.get(claim.topic, (claim.outcome_domain or "pain", None, None))
    if claim.outcome_domain and claim.topic not in OUTCOME_FILTERS:
        domain = claim.outcome_domain
    conditions = [] if claim.subcondition_only else (list(claim.conditions) or [GENERAL])
    return domain, window, comparator, conditions + list(claim.subconditions)


def claim_question(claim) -> str:
    """What an efficacy or outcome claim asks (``vocab.CLAIM_QUESTIONS``): the claim's own ``question``,
    else its topic's (``TOPIC_QUESTIONS``), else whether dry needling works (``effect``)."""
    return claim.question or TOPIC_QUESTIONS.get(claim.topic, "effect")


def _domains(claim, domain: str) -> tuple[str, ...]:
    """The outcome domains a claim is judged on: a condition's efficacy claim about pain weighs function
    (disability instruments such as tendinopathy scales) as well as pain; other claims their own domain."""
    return (domain, "disability") if claim.type == "efficacy" and domain == "pain" else (domain,)


def claim_profile(claim, ev: Evidence) -> list[Entry]:
    """The evidence profile of an efficacy or outcome claim (module docstring), parts in claim order; empty
    for a question the tables cannot answer (``UNTESTED``)."""
    domain, window, comparator, parts = _scope(claim)
    if claim_question(claim) in UNTESTED:
        return []
    candidates = [c for d in _domains(claim, domain) for c in ev.candidates(d)]

    def label(part: str) -> str:
        return _label(ev, part)

    profile = []
    for part in parts:
        parent = SUBCONDITIONS.get(part, part)
        bearing = [
            (
                c,
                why
                or (f"the reviews did not study {claim.unstudied_population}" if claim.unstudied_population else ""),
            )
            for c in candidates
            if (why := _indirect(c, part, parent, claim.reviews, label)) is not None
            and (window is None or c.window in (window, ANY))
            and (comparator is None or c.comparator_class == comparator)
        ]
        groups: dict[tuple[str, str, str], list] = {}
        for c, why in bearing:
            groups.setdefault((c.domain, c.comparator_class, c.window), []).append((c, why))
        order = _domains(claim, domain)
        for key in sorted(groups, key=lambda k: (order.index(k[0]), CLASS_ORDER.index(k[1]), WINDOW_ORDER.index(k[2]))):
            best, why = _best(groups[key])
            profile.append(
                Entry(
                    part,
                    label(part),
                    best,
                    why,
                    _down(best.finding_certainty) if why else best.finding_certainty,
                    len(groups[key]),
                )
            )
    return profile


def _statement(e: Entry, ev: Evidence) -> str:
    c = e.candidate
    domain = c.domain
    population = _label(ev, c.condition) if e.indirect else e.part_label
    size = "trivial" if c.favours is None else _size_within_interval(c)
    return informative_statement(
        e.certainty, size, bool(c.favours), domain, population, CLASS_COMPARATOR[c.comparator_class], c.window
    )


def _size_within_interval(c: Candidate) -> str:
    """The size the wording may claim: that of the CI end nearest no effect (the smallest effect the
    interval is compatible with), so the wording never says more than the interval; never above the
    point estimate's size, and small rather than trivial when only the interval's end is trivial (an
    interval that excludes no effect around a non-trivial estimate is not "little to no difference").
    The point estimate's size when there is no CI or its end cannot be classed."""
    if math.isnan(c.ci_low) or math.isnan(c.ci_high) or c.size not in SIZES:
        return c.size
    nearest = effect_class(min((c.ci_low, c.ci_high), key=abs), c.measure, c.mid)
    if nearest not in SIZES:
        return c.size
    size = min(nearest, c.size, key=SIZES.index)
    return "small" if size == "trivial" and c.size != "trivial" else size


def _later_null(e: Entry, profile: list[Entry]) -> str:
    """The sentence saying that later follow-up of the same part and comparator class showed no clear
    difference ("" when none did), so that a benefit in one window is not read as lasting."""
    start = WINDOW_ORDER.index(e.candidate.window) if e.candidate.window in WINDOWS else len(WINDOWS)
    later = [
        x.candidate.window
        for x in profile
        if x.part == e.part
        and x.candidate.comparator_class == e.candidate.comparator_class
        and x.candidate.window in WINDOWS[start + 1 :]
        and _no_difference(x)
    ]
    if not later:
        return ""
    return f" There was no clear difference {WINDOW_PHRASES[later[0]]}."


def _benefit(e: Entry) -> bool:
    return e.candidate.favours is True


def _no_difference(e: Entry) -> bool:
    """Tested (a CI, or a result reported in words) and no clear benefit: little or no difference, a
    trivial effect, or a result favouring the control."""
    c = e.candidate
    if not c.tested:
        return False
    return c.favours is False or c.favours is None or c.size == "trivial"


def _shortfalls(e: Entry, claimed_classes: Sequence[str], claimed_windows: Sequence[str]) -> list[str]:
    """Why a benefit does not carry an unqualified claim (empty when it does)."""
    c = e.candidate
    out = []
    if c.size not in IMPORTANT:
        out.append("below the MID" if c.size in ("small", "trivial") else "size unknown (no MID for its scale)")
    if c.window not in claimed_windows:
        out.append("only in the first week after treatment")
    if c.comparator_class not in claimed_classes:
        out.append(f"only against {CLASS_LABELS[c.comparator_class]}")
    if certainty_rank(e.certainty) < certainty_rank("moderate"):
        out.append(f"{e.certainty.replace('_', ' ')} certainty")
    if e.indirect:
        out.append(f"indirect: {e.indirect}")
    return out


@dataclass(frozen=True)
class PartVerdict:
    verdict: str
    entry: Entry | None
    rule: str


def _part_verdict(
    entries: list[Entry],
    asserted: bool,
    claimed_classes: Sequence[str],
    refuting_classes: Sequence[str],
    claimed_windows: Sequence[str],
) -> PartVerdict:
    """The first rule of the module docstring's table that applies to one part's profile."""
    rows = [e for e in entries if e.candidate.comparator_class not in HEAD_TO_HEAD]
    if not rows:
        return PartVerdict("unsupported", None, "unsupported: no trial or review data against a control found")
    refuting = [
        e
        for e in rows
        if e.direct
        and certainty_rank(e.certainty) >= certainty_rank("moderate")
        and e.candidate.comparator_class in refuting_classes
        and _no_difference(e)
    ]
    if refuting:
        return PartVerdict(
            "contradicted",
            refuting[0],
            "contradicted: direct "
            f"{CLASS_LABELS[refuting[0].candidate.comparator_class]}-controlled evidence at "
            f"{refuting[0].certainty} certainty shows little or no difference, or favours the control",
        )

    ranked = sorted(rows, key=_entry_key, reverse=True)
    benefits = [e for e in ranked if _benefit(e) and certainty_rank(e.certainty) >= certainty_rank("low")]
    if not asserted and benefits:
        return PartVerdict(
            "supported", benefits[0], f"supported (hedged claim): a benefit at {benefits[0].certainty} certainty"
        )
    carrying = [e for e in benefits if not _shortfalls(e, claimed_classes, claimed_windows)]
    if carrying:
        return PartVerdict(
            "supported",
            carrying[0],
            "supported: an important benefit against "
            f"{CLASS_LABELS[carrying[0].candidate.comparator_class]} at {carrying[0].certainty} "
            "certainty, direct",
        )
    if benefits:
        why = "; ".join(_shortfalls(benefits[0], claimed_classes, claimed_windows))
        return PartVerdict("overstated", benefits[0], f"overstated: the best benefit is {why}")
    return PartVerdict(
        "uncertain", ranked[0], "uncertain: every estimate is very low certainty or shows no clear benefit"
    )


def weakest(found: Sequence[str]) -> str:
    """The weakest of some verdicts in the vocabulary's order (``vocab.VERDICTS``, strongest support first)."""
    return max(found, key=lambda v: order_of(v, VERDICTS))


def efficacy_verdict(claim, ev: Evidence, profile: list[Entry] | None = None) -> Verdict:
    """Verdict for an efficacy or outcome claim, computed from its profile (module docstring)."""
    domain, window, comparator, parts = _scope(claim)
    question = claim_question(claim)
    if question in UNTESTED:
        what = UNTESTED[question]
        return Verdict(
            claim.id,
            "unsupported",
            "",
            "",
            f"No study in the tables tested {what} for {OUTCOME_NOUNS.get(domain, domain)} in people with "
            f"{' and '.join(_label(ev, p) for p in parts)}; evidence that dry needling works in general does not "
            "answer it, so do not make this claim.",
            (),
            f"no study tested {what}",
            f"unsupported: the claim is about {what}, and no study in the tables compared it",
        )
    profile = claim_profile(claim, ev) if profile is None else profile
    if claim.states_limit:
        return _limit_verdict(claim, ev, profile, parts[0])
    claimed = (comparator,) if comparator else ("sham", "no_treatment")
    refuting = (comparator,) if comparator else ("sham",)
    windows = (window, ANY) if window else BEYOND_FIRST_WEEK
    judged = {
        p: _part_verdict([e for e in profile if e.part == p], claim.asserted, claimed, refuting, windows) for p in parts
    }
    noun = (
        TOPICS[claim.topic][1]
        if domain == "other"
        else " or ".join(OUTCOME_NOUNS.get(d, d) for d in _domains(claim, domain))
    )
    main = parts[0]
    verdict = judged[main]
    rule = verdict.rule
    named = [p for p in parts[1:] if order_of(judged[p].verdict, VERDICTS) > order_of(verdict.verdict, VERDICTS)]
    if claim.subcondition_only:
        weak = next(p for p in parts if judged[p].verdict == weakest([judged[q].verdict for q in parts]))
        verdict, rule = judged[weak], judged[weak].rule
    elif named and verdict.verdict == "supported":
        verdict = PartVerdict("overstated", verdict.entry, "")
        rule = (
            f"overstated: the claim names {', '.join(_label(ev, p) for p in named)}, where the evidence is "
            f"weaker ({'; '.join(judged[p].rule for p in named)})"
        )
    ids = tuple(sorted({e.candidate.evidence_id for e in profile}))
    label = " and ".join(_label(ev, p) for p in parts)
    if verdict.entry is None:
        return Verdict(
            claim.id,
            "unsupported",
            "",
            "",
            f"No trial or review data on dry needling and {noun} in {label} were found; do not make this claim.",
            (),
            "no evidence found",
            rule,
        )
    e = verdict.entry
    c = e.candidate
    if e.certainty == "very_low" or verdict.verdict == "uncertain":
        wording = f"The evidence is very uncertain about the effect of dry needling on {noun} in people with {label}."
    else:
        wording = _statement(e, ev) + _later_null(e, profile)
    effect = f"{c.text}; {c.certainty_range} certainty, rated by {c.rated_by}" + (
        f"; indirect ({e.indirect}), so {e.certainty.replace('_', ' ')} for this claim" if e.indirect else ""
    )
    reason = f"deciding evidence: {c.evidence_id} ({CLASS_LABELS[c.comparator_class]}, {c.window})"
    return Verdict(claim.id, verdict.verdict, e.certainty, effect, wording, ids, reason, rule)


def _limit_verdict(claim, ev: Evidence, profile: list[Entry], part: str) -> Verdict:
    """A cautious claim that states a limit ("relief is mostly short-lived"): judged on the claimed window
    (``OUTCOME_FILTERS``), read as a limit, not a promise. A tested result there with little or no
    difference at low certainty or above supports it; a direct benefit against sham or no treatment at
    moderate or high certainty contradicts it; anything else leaves it uncertain."""
    rows = [e for e in profile if e.part == part and e.candidate.comparator_class not in HEAD_TO_HEAD]
    ids = tuple(sorted({e.candidate.evidence_id for e in profile}))
    what = f"{TOPICS[claim.topic][1]} of dry needling for {OUTCOME_NOUNS.get(_scope(claim)[0], 'pain')}"
    ranked = sorted(rows, key=_entry_key, reverse=True)
    lasting = [
        e
        for e in ranked
        if e.direct
        and _benefit(e)
        and e.candidate.comparator_class in ("sham", "no_treatment")
        and certainty_rank(e.certainty) >= certainty_rank("moderate")
    ]
    null = [e for e in ranked if _no_difference(e) and certainty_rank(e.certainty) >= certainty_rank("low")]
    if lasting:
        e, verdict, why = lasting[0], "contradicted", "a direct benefit there at moderate or high certainty"
    elif null:
        e, verdict, why = null[0], "supported", "little or no difference there"
    else:
        e, verdict, why = (ranked[0] if ranked else None), "uncertain", "no clear result there"
    if e is None:
        return Verdict(
            claim.id,
            "unsupported",
            "",
            "",
            f"No study was found on {what}.",
            (),
            "no evidence found",
            "unsupported: no trial or review data in the window the claim speaks of",
        )
    c = e.candidate
    wording = (
        f"The evidence is very uncertain about {what}."
        if verdict == "uncertain" or e.certainty == "very_low"
        else _statement(e, ev)
    )
    return Verdict(
        claim.id,
        verdict,
        e.certainty,
        f"{c.text}; {c.certainty_range} certainty, rated by {c.rated_by}",
        wording,
        ids,
        f"deciding evidence: {c.evidence_id} ({CLASS_LABELS[c.comparator_class]}, {c.window})",
        f"{verdict}: a claim that states a limit, read against the window it speaks of ({why})",
    )


def profile_rows(claim, ev: Evidence, profile: list[Entry]) -> list[dict]:
    """The claim_evidence rows of one claim (``PROFILE_COLUMNS``)."""
    rows = []
    for e in profile:
        c = e.candidate
        rows.append(
            {
                "claim_id": claim.id,
                "part": e.part,
                "part_label": e.part_label,
                "comparator_class": c.comparator_class,
                "comparator_label": CLASS_LABELS[c.comparator_class],
                "window": c.window,
                "evidence_id": c.evidence_id,
                "source": c.source,
                "year": c.year or "",
                "directness": f"indirect: {e.indirect}" if e.indirect else "direct",
                "measure": c.measure,
                "estimate": c.estimate,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "scale": c.scale,
                "k": c.k,
                "n_participants": c.n_participants,
                "size": c.size,
                "favours": FAVOURS[c.favours] if c.tested else "not reported (narrative finding)",
                "finding_certainty": c.finding_certainty,
                "certainty_range": c.certainty_range,
                "rated_by": c.rated_by,
                "certainty": e.certainty,
                "certainty_reasons": c.certainty_reasons,
                "statement": _statement(e, ev) if c.tested else c.text,
                "applicability": c.applicability,
                "candidates": e.candidates,
                "outcome_domain": c.domain,
            }
        )
    return rows


def _idea(claim) -> str:
    """The claim's own statement as a clause ("trigger points have poor circulation ...")."""
    text = claim.statement.rstrip(". ")
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def mechanism_verdict(claim, ev: Evidence) -> Verdict:
    """Verdict for a mechanism claim: only the linked mechanism rows count, only tested ones decide
    (module docstring)."""
    m = ev.curated.mechanisms
    linked = m[m["mechanism_id"].isin(claim.mechanisms)]
    tested = linked[linked["mechanism_id"].isin(claim.tested_by)]
    idea = _idea(claim)
    ids = tuple(sorted(linked["mechanism_id"]))
    if linked.empty:
        return Verdict(
            claim.id,
            "unsupported",
            "",
            "",
            f"No study was found on whether {idea}; do not make this claim.",
            (),
            "no mechanism evidence found",
            "unsupported: no study linked to this claim",
        )
    human = tested["population"] != "animals"
    refuting = tested[tested["direction"].isin(["contradicts", "no_effect"]) & human]
    if not refuting.empty:
        return Verdict(
            claim.id,
            "contradicted",
            "low",
            "",
            f"A study that tested it contradicts the idea that {idea}; do not make this claim.",
            ids,
            f"tested and refuted: {', '.join(sorted(refuting['mechanism_id']))}",
            "contradicted: a human study that tested this claim found no effect or the opposite",
        )
    patients = tested[(tested["direction"] == "supports") & (tested["population"] == "patients")]
    if not patients.empty:
        verdict = "overstated" if claim.asserted else "supported"
        return Verdict(
            claim.id,
            verdict,
            "low",
            "",
            f"Some small laboratory studies in patients support the idea "
            f"that {idea}, but the evidence is limited and does not show that this explains any benefit.",
            ids,
            f"tested with support in patients: {', '.join(sorted(patients['mechanism_id']))}",
            f"{verdict}: support from small mechanistic studies in patients (low certainty)"
            + (", stated without a hedge" if claim.asserted else ", hedged"),
        )
    if not tested.empty:
        return Verdict(
            claim.id,
            "uncertain",
            "very_low",
            "",
            f"The evidence is very uncertain about whether {idea}: "
            "the studies that tested it were in animals or healthy volunteers, or their findings were "
            "mixed.",
            ids,
            "tested only in animals, healthy volunteers or with mixed findings",
            "uncertain: no tested support in patients",
        )
    return Verdict(
        claim.id,
        "uncertain",
        "very_low",
        "",
        f"No study has tested whether {idea}; the related studies do not settle it either way.",
        ids,
        "related studies only (none tested this claim)",
        "uncertain: related evidence that did not test this claim neither supports nor contradicts it",
    )


def _rates(rows: pd.DataFrame) -> list[tuple[str, float, bool, float]]:
    """(safety_id, rate %, is an upper bound, denominator) of rows that give a rate."""
    out = []
    for r in rows.itertuples():
        events, denom = cell_number(r.events), cell_number(r.denominator)
        if r.rate_percent:
            out.append((r.safety_id, float(r.rate_percent), False, denom))
        elif not math.isnan(events) and not math.isnan(denom) and denom > 0:
            if events == 0:
                out.append((r.safety_id, 300.0 / denom, True, denom))
            else:
                out.append((r.safety_id, 100.0 * events / denom, False, denom))
    return out


def _duration_verdict(claim, rows: pd.DataFrame, ids: tuple[str, ...], what: str) -> Verdict:
    """A claim about how long an event lasts, judged only on recorded durations (``resolved_within_hours``):
    supported (low: trial reports) when every recorded duration is within the claimed one, overstated when
    one is longer, uncertain when no row records a duration (a rate says nothing about how long it lasts)."""
    hours = number(rows["resolved_within_hours"]).dropna()
    claimed = claim.duration_hours
    if hours.empty:
        return Verdict(
            claim.id,
            "uncertain",
            "very_low",
            "",
            f"How long {what} lasts was not recorded in the studies found; the claimed duration cannot be checked.",
            ids,
            "no duration data",
            "uncertain: a claim about how long something lasts needs duration data, and none was found",
        )
    longest = float(hours.max())
    timed = tuple(sorted(rows.loc[hours.index, "safety_id"]))
    verdict = "supported" if longest <= claimed else "overstated"
    return Verdict(
        claim.id,
        verdict,
        "low",
        f"resolved within {float(hours.min()):g} to {longest:g} hours ({len(hours)} report(s))",
        f"Where trials recorded it, {what} resolved within {longest:g} hours.",
        timed,
        f"claimed at most {claimed:g} hours, recorded at most {longest:g} hours",
        f"{verdict}: the claimed duration against the recorded durations (claimed at most {claimed:g} h, "
        f"recorded at most {longest:g} h)",
    )


def _common_mild_events(safety: pd.DataFrame) -> str:
    """The clause naming the mild events of a named type (not all-cause, not "other") that the safety
    table counts as common or very common (highest recorded rate >= 1%), each with its range, most
    frequent first; "" when there is none."""
    mild = safety[(safety["severity"] == "mild") & ~safety["event_type"].isin((*ALL_CAUSE, "other"))]
    mild = mild[mild["denominator_unit"] != "reports"]
    ranges = {}
    for event_type, rows in mild.groupby("event_type"):
        rates = [r for _, r, upper, _ in _rates(rows) if not upper]
        if rates and max(rates) >= 1.0:
            ranges[event_type] = (min(rates), max(rates))
    if not ranges:
        return ""
    parts = [
        f"{TOPICS.get(e, ('', e.replace('_', ' ')))[1]} ({lo:.2g}%" + ("" if lo == hi else f" to {hi:.2g}%") + ")"
        for e, (lo, hi) in sorted(ranges.items(), key=lambda item: (-item[1][1], item[0]))
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    bands = sorted({band(hi) for _, hi in ranges.values()}, key=[b for _, b in BANDS].index)
    return f"; mild ones were {' or '.join(bands)}: {listed}"


def _safety_rows(claim, safety: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(rows giving the event's own rate, all-cause serious rows usable as an upper bound, what they
    count). The claim's linked rows if it links any, else the rows of its event type."""
    linked = (
        safety["safety_id"].isin(claim.safety)
        if claim.safety
        else safety["event_type"].isin(SAFETY_EVENTS.get(claim.topic, ()))
    )
    rows = safety[linked]
    if claim.topic == "general_safety":
        if claim.frequency_claimed == "common":
            return rows[rows["severity"] == "mild"], rows.iloc[0:0], "mild adverse events"
        return rows[rows["event_type"].isin(SERIOUS)], rows.iloc[0:0], "significant adverse events"
    return rows[~rows["event_type"].isin(ALL_CAUSE)], rows[rows["event_type"].isin(SERIOUS)], TOPICS[claim.topic][1]


def safety_verdict(claim, ev: Evidence) -> Verdict:
    """Verdict for a safety claim against event rates (module docstring)."""
    if claim.topic == "contraindications":
        return Verdict(
            claim.id,
            "not_checkable",
            "",
            "",
            "",
            (),
            "a precaution, not an effect claim",
            "not checkable: a precaution, not an effect claim",
        )
    own, bound, what = _safety_rows(claim, ev.curated.safety)
    ids = tuple(sorted(set(own["safety_id"]) | set(bound["safety_id"])))
    if claim.duration_hours is not None:
        return _duration_verdict(claim, own, ids, what)
    rated = _rates(own[own["denominator_unit"] != "reports"])
    # events patients feel after the session: clinicians' per-treatment counts undercount them
    felt_later = claim.topic in FELT_LATER
    by_patients = _rates(own[own["reported_by"] == "patient"]) if felt_later else []
    if by_patients:
        rated = by_patients
    clinician_only = felt_later and bool(rated) and not by_patients
    reports = own[own["denominator_unit"] == "reports"]
    upper_only = not rated and not bound.empty
    if upper_only:
        rated = [(i, r, True, d) for i, r, _, d in _rates(bound)]
    claimed = claim.frequency_claimed or "not_stated"
    if claim.topic == "general_safety" and claimed == "not_stated":
        claimed = "rare"
    warning = claim.topic != "general_safety"
    if not rated:
        if reports.empty:
            if warning:
                return Verdict(
                    claim.id,
                    "uncertain",
                    "very_low",
                    "",
                    f"No count or case report of {what} after dry "
                    "needling was found in the tables; how often it happens is not known, and keeping the "
                    "warning is reasonable.",
                    ids,
                    "no safety data for this event",
                    "uncertain: a warning is not judged unsupported for lack of data",
                )
            return Verdict(
                claim.id,
                "unsupported",
                "",
                "",
                f"No data on {what} after dry needling were found.",
                ids,
                "no safety data",
                "unsupported: a claim of safety needs rates",
            )
        n = int(number(reports["events"]).fillna(0).sum())
        verdict = "supported" if claimed == "not_stated" else "uncertain"
        return Verdict(
            claim.id,
            verdict,
            "very_low",
            f"{n} case report(s)",
            f"Cases of {what} after needling have been reported; how often it happens is not known.",
            ids,
            "case reports only, no rate",
            "supported: case reports show that it happens"
            if verdict == "supported"
            else "uncertain: case reports show that it happens, but no rate can check the frequency claimed",
        )
    high = max(r for _, r, _, _ in rated)
    low = min(r for _, r, _, _ in rated)
    big = any(d >= SURVEY_SIZE for *_, d in rated if not math.isnan(d))
    certainty = ("low" if upper_only or felt_later else "moderate") if big else "low"
    span = f"{low:.2g}%" if low == high else f"{low:.2g}% to {high:.2g}%"
    bands = band(low) if band(low) == band(high) else f"{band(low)} to {band(high)}"
    if upper_only:
        effect = f"at most {high:.2g}% ({band(high)}): significant events of any kind in large surveys"
        wording = (
            f"Large surveys recorded significant adverse events of any kind in at most {high:.2g}% of "
            f"treatments, so {what} is at most {band(high)}"
            + ("; case reports show that it does happen." if not reports.empty else ".")
        )
    else:
        effect = f"{span} ({bands})" + (
            "; includes an upper bound (zero events, rule of three)" if any(upper for _, _, upper, _ in rated) else ""
        )
        wording = f"In the available studies, {what} occurred in {span} of treatments or patients ({bands})."
        if claim.topic == "general_safety" and claimed != "common":
            wording = (
                f"Significant adverse events were {band(high)} in large surveys of physiotherapists (at most "
                f"{high:.2g}% of treatments)" + _common_mild_events(ev.curated.safety) + "."
            )
    if claimed == "not_stated":
        return Verdict(
            claim.id,
            "supported",
            certainty,
            effect,
            wording,
            ids,
            "the event occurs",
            "supported: surveys or trials count the event",
        )
    lo_lim, hi_lim = CLAIMED_LIMITS[claimed]
    if claimed == "common":
        verdict = (
            "uncertain"
            if upper_only
            else ("supported" if high >= lo_lim else ("contradicted" if high < 0.1 else "overstated"))
        )
    else:
        verdict = "supported" if high < hi_lim else ("contradicted" if low >= 1.0 else "overstated")
    observed = f"claimed {claimed.replace('_', ' ')}, observed {'at most ' if upper_only else ''}{band(high)}"
    if clinician_only and verdict != ("supported" if claimed == "common" else "contradicted"):
        # a lower bound can show that an event is common, never that it is not
        return Verdict(
            claim.id,
            "uncertain",
            "low",
            effect + "; clinician-reported, a lower bound",
            f"Clinicians recorded {what} in {span} of treatments; they count what they see during the session, "
            "so how often patients feel it afterwards is not known.",
            ids,
            f"{observed} in clinician surveys only",
            "uncertain: clinician surveys undercount what patients feel after the session, and no patient-reported "
            "rate was found",
        )
    return Verdict(
        claim.id,
        verdict,
        certainty,
        effect,
        wording,
        ids,
        observed,
        f"{verdict}: the frequency word against the CIOMS bands ({observed})",
    )


def verdict_for(claim, ev: Evidence) -> Verdict:
    """Dispatch on the claim type."""
    if claim.type in ("efficacy", "outcome"):
        return efficacy_verdict(claim, ev)
    if claim.type == "mechanism":
        return mechanism_verdict(claim, ev)
    if claim.type == "safety":
        return safety_verdict(claim, ev)
    return Verdict(
        claim.id,
        "not_checkable",
        "",
        "",
        "",
        (),
        "a definition or practicality, not a claim of effect",
        "not checkable: not a claim of effect",
    )


@dataclass(frozen=True)
class Override:
    """A recorded human verdict: it replaces the computed verdict, and the certainty and wording when given."""

    verdict: str
    reason: str
    certainty: str = ""
    allowed_wording: str = ""
    source: str = ""


def overrides(curated: Curated) -> dict[str, Override]:
    """claim_id -> Override from the validated ``verdict_overrides`` table."""
    table = curated.verdict_overrides
    return {
        r.claim_id: Override(r.verdict, r.reason, r.certainty, r.allowed_wording, r.source) for r in table.itertuples()
    }


def verdict_tables(claims: Sequence, ev: Evidence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The derived claim_verdicts table (``VERDICT_COLUMNS``, one row per claim, sorted by id, with the
    recorded overrides applied) and the claim_evidence profile (``PROFILE_COLUMNS``)."""
    recorded = overrides(ev.curated)
    rows, evidence = [], []
    for claim in sorted(claims, key=lambda c: c.id):
        if claim.type in ("efficacy", "outcome"):
            profile = claim_profile(claim, ev)
            v = efficacy_verdict(claim, ev, profile)
            evidence += profile_rows(claim, ev, profile)
        else:
            v = verdict_for(claim, ev)
        o = recorded.get(claim.id)
        rows.append(
            {
                "claim_id": claim.id,
                "statement": claim.statement,
                "type": claim.type,
                "topic": claim.topic,
                "condition_ids": "; ".join(claim.conditions),
                "verdict": o.verdict if o else v.verdict,
                "certainty": (o.certainty or v.certainty) if o else v.certainty,
                "effect": v.effect,
                "allowed_wording": (o.allowed_wording or v.allowed_wording) if o else v.allowed_wording,
                "evidence_ids": "; ".join(v.evidence_ids),
                "reason": v.reason,
                "rule": "set by hand (verdict_overrides.csv); computed " + v.rule if o else v.rule,
                "override_reason": (o.reason + (f" (source: {o.source})" if o.source else "")) if o else "",
            }
        )
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS)), pd.DataFrame(evidence, columns=list(PROFILE_COLUMNS))
