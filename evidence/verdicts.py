"""Verdicts for the claims register, derived from the evidence by code.

Each claim gets one of ``supported``, ``overstated`` (the evidence supports a weaker statement
than the one made), ``uncertain``, ``unsupported`` (no evidence found), ``contradicted`` or
``not_checkable``, with the certainty, the effect and its source, and the wording the certainty
allows. A hand-set verdict is only a recorded override (``data/curated/verdict_overrides.csv``:
claim_id, verdict, reason).

Efficacy and outcome claims
    The evidence items are our evidence questions (condition x domain x comparator x window, with
    the certainty in ``certainty.csv``) and published reviews' findings (with the authors' own
    GRADE rating; a finding the authors did not rate counts as very low until someone rates it).
    Comparisons with another active treatment (``active_other``) say which treatment is better,
    not whether dry needling works, so they do not decide these verdicts (the report shows them).
    The best item is the one with the highest certainty (then the most trials). Very low:
    ``uncertain``. An effect that favours dry needling: ``supported`` if the claim is hedged, or
    asserted with moderate or high certainty; ``overstated`` if asserted with low certainty. No
    difference or harm with moderate or high certainty: ``contradicted``; with low certainty:
    ``uncertain``. Nothing: ``unsupported``.
Mechanism claims
    A clinical effect does not prove a mechanism: only ``mechanisms.csv`` counts. A human study
    that contradicts the claim: ``contradicted`` (low certainty). Support only from animals,
    healthy volunteers or mixed findings: ``uncertain`` (very low). Support in patients: low
    certainty (mechanistic studies), so ``overstated`` when asserted, ``supported`` when hedged.
Safety claims (our frequency policy)
    Frequency words follow the CIOMS / European Commission bands (Büchter et al. 2014, Table 1,
    in ``sources.csv``): very common >= 10%, common 1-10%, uncommon 0.1-1%, rare 0.01-0.1%,
    very rare < 0.01%. Rates come from prospective surveys and trials (a zero count with n
    treatments gives the rule-of-three upper bound 3/n, Hanley & Lippman-Hand 1983); case reports
    show that an event happens, not how often. For a serious event with no rate of its own,
    significant events of any kind in large surveys give an upper bound. Certainty: rates from
    prospective surveys of at least 1,000 treatments moderate (an upper bound only: low); other
    rates low; case reports only very low. A claim that names no condition is judged on reviews
    across conditions only, never on the best single condition.
Logistics claims
    ``not_checkable``; so are contraindications (precautions, not effect claims).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from evidence.curation import Curated, number
from evidence.grade import informative_statement
from evidence.topics import TOPICS
from evidence.vocab import (HEAD_TO_HEAD, OUTCOME_NOUNS, QuestionId, certainty_rank, direction, effect_class,
                            effect_text, review_finding_id)

VERDICT_COLUMNS = ("claim_id", "statement", "type", "topic", "condition_ids", "verdict", "certainty", "effect",
                   "allowed_wording", "evidence_ids", "reason", "override_reason")

# outcome topics -> (domain, window, comparator) filters on the evidence questions
OUTCOME_FILTERS = {
    "pain_relief": ("pain", None, None), "range_of_motion": ("rom", None, None),
    "function": ("disability", None, None), "muscle_activation": ("strength", None, None),
    "medication_use": ("medication", None, None), "posture": ("other", None, None),
    "muscle_spasms": ("other", None, None), "recovery_speed": ("global", None, None),
    "add_on_to_exercise": ("pain", None, "add_on"), "relief_24_48h": ("pain", "immediate", None),
    "sessions_needed": ("pain", "short", None), "lasting_effect": ("pain", "long", None),
}
MECHANISM_TOPICS = {
    "blood_flow": ("blood_flow",), "oxygen_nutrients": ("oxygenation", "blood_flow"),
    "lactic_acid": ("lactic_acid",), "metabolic_waste": ("metabolic_waste", "lactic_acid"),
    "endorphins": ("endorphins",), "nervous_system": ("nervous_system",), "inflammation": ("inflammation",),
    "healing": ("healing",), "fascia": ("fascia",), "twitch_response": ("twitch_response",),
    "trigger_point_release": ("trigger_point",),
}
MECHANISM_PHRASES = {
    "blood_flow": "dry needling increases blood flow in the needled muscle",
    "oxygen_nutrients": "dry needling brings more oxygen and nutrients to the muscle",
    "lactic_acid": "lactic acid in muscle knots causes pain or soreness and needling clears it",
    "metabolic_waste": "needling flushes metabolic waste or toxins out of the muscle",
    "endorphins": "dry needling works by releasing endorphins",
    "nervous_system": "dry needling resets or calms the nervous system or blocks pain signals",
    "inflammation": "dry needling reduces inflammation",
    "healing": "dry needling promotes tissue healing",
    "fascia": "dry needling releases fascia",
    "twitch_response": "the local twitch response is what makes dry needling work",
    "trigger_point_release": "dry needling releases or deactivates trigger points",
}
# default safety rows per topic when a claim links none
SAFETY_EVENTS = {
    "general_safety": ("any_mild", "any_significant", "serious"), "soreness": ("soreness",), "bruising": ("bruising",),
    "bleeding": ("bleeding",), "fatigue": ("fatigue",), "dizziness_fainting": ("dizziness_fainting",),
    "infection": ("infection",), "nerve_injury": ("nerve_injury",), "pneumothorax": ("pneumothorax",),
    "pain_during": ("pain_during",),
}
ALL_CAUSE = ("any_mild", "any_significant", "serious")
SERIOUS = ("any_significant", "serious")
GENERAL_POPULATION = "musculoskeletal pain"
BANDS = ((10.0, "very common"), (1.0, "common"), (0.1, "uncommon"), (0.01, "rare"), (0.0, "very rare"))
CLAIMED_LIMITS = {"common": (1.0, math.inf), "rare": (0.0, 0.1), "very_rare": (0.0, 0.01)}
SURVEY_SIZE = 1000


@dataclass(frozen=True)
class Verdict:
    claim_id: str
    verdict: str
    certainty: str
    effect: str
    allowed_wording: str
    evidence_ids: tuple[str, ...]
    reason: str
    override_reason: str = ""


@dataclass(frozen=True)
class Item:
    """One piece of efficacy evidence: certainty, direction (True favours dry needling, False
    favours control, None no clear difference), size class, text and id."""

    id: str
    certainty: str
    favours_dn: bool | None
    effect_class: str
    effect: str
    k: int
    domain: str
    condition: str
    comparator: str
    window: str
    rated_by: str


@dataclass
class Evidence:
    """The derived and curated tables a verdict reads."""

    curated: Curated
    questions: pd.DataFrame
    certainty: pd.DataFrame
    condition_labels: dict[str, str] = field(default_factory=dict)


def band(rate_percent: float) -> str:
    """CIOMS frequency band of a rate given in percent."""
    return next(name for cut, name in BANDS if rate_percent >= cut)


def _question_items(ev: Evidence, conditions: Sequence[str], domain: str, window: str | None,
                    comparator: str | None) -> list[Item]:
    q = ev.questions.merge(ev.certainty[["question_id", "final"]], on="question_id", how="inner")
    mask = (q["outcome_domain"] == domain) & (q["k"] > 0)
    if conditions:
        mask &= q["condition_id"].isin(conditions)
    if window:
        mask &= q["window"] == window
    if comparator:
        mask &= q["comparator_type"] == comparator
    items = []
    for r in q[mask].itertuples():
        fav = direction(r.estimate, r.ci_low, r.ci_high)
        text = effect_text(r.measure, f"{r.estimate:.2f}", f"{r.ci_low:.2f}", f"{r.ci_high:.2f}", r.scale)
        effect = f"{text}, k={r.k}"
        items.append(Item(r.question_id, r.final, fav, r.effect_class if isinstance(r.effect_class, str) else "",
                          effect, int(r.k), domain, r.condition_id, r.comparator_type, r.window, "this tracker"))
    return items


def _review_items(ev: Evidence, conditions: Sequence[str], domain: str, window: str | None,
                  comparator: str | None, review_ids: Sequence[str]) -> list[Item]:
    f = ev.curated.review_findings
    mask = f["outcome_domain"] == domain
    if conditions:
        mask &= f["condition_id"].isin(conditions) | f["review_id"].isin(review_ids)
    if window:
        mask &= f["window"].isin([window, "any"])
    if comparator:
        mask &= f["comparator_type"].isin([comparator, "any"])
    items = []
    for i, r in f[mask].iterrows():
        est, low, high = (float(x) if x else math.nan for x in (r["effect"], r["ci_low"], r["ci_high"]))
        sign = -1.0 if r["lower_is_better"] == "false" else 1.0
        est, low, high = sign * est, *sorted((sign * low, sign * high))
        fav = direction(est, low, high)
        cls = effect_class(est, r["effect_measure"]) if r["effect_measure"] == "SMD" else ""
        text = effect_text(r["effect_measure"], r["effect"], r["ci_low"], r["ci_high"], r["scale"]) or r["conclusion"]
        trials = f"{r['n_trials']} trials" if r["n_trials"] else "number of trials not reported"
        question = QuestionId(r["condition_id"], r["outcome_domain"], r["comparator_type"], r["window"])
        items.append(Item(review_finding_id(r["review_id"], question),
                          r["certainty"] or "very_low", fav, cls, f"{text}; {trials}",
                          int(r["n_trials"] or 0), domain, r["condition_id"], r["comparator_type"], r["window"],
                          "review authors" if r["certainty"] else "not rated by the review authors"))
    return items


def _best(items: list[Item], conditions: Sequence[str]) -> Item:
    """Highest certainty; then evidence on the claim's own conditions, our own rating, more trials."""
    return max(items, key=lambda it: (certainty_rank(it.certainty), it.condition in conditions,
                                      it.rated_by == "this tracker", it.k))


def _label(ev: Evidence, condition: str) -> str:
    if condition == "all_dry_needling":
        return GENERAL_POPULATION
    return ev.condition_labels.get(condition, condition.replace("_", " "))


def efficacy_verdict(claim, ev: Evidence) -> Verdict:
    """Verdict for an efficacy or outcome claim (module docstring)."""
    domain, window, comparator = OUTCOME_FILTERS.get(claim.topic, (claim.outcome_domain or "pain", None, None))
    if claim.outcome_domain and claim.topic not in OUTCOME_FILTERS:
        domain = claim.outcome_domain
    conditions = list(claim.conditions) or ["all_dry_needling"]
    items = [it for it in _question_items(ev, conditions, domain, window, comparator)
             + _review_items(ev, conditions, domain, window, comparator, claim.reviews)
             if it.comparator not in HEAD_TO_HEAD]
    noun = TOPICS[claim.topic][1] if domain == "other" else OUTCOME_NOUNS.get(domain, domain)
    label = ", ".join(_label(ev, c) for c in conditions)
    if not items:
        return Verdict(claim.id, "unsupported", "", "", f"No trial or review data on dry needling and {noun} "
                       f"in {label} were found; do not make this claim.", (), "no evidence found")
    best = _best(items, conditions)
    ids = tuple(sorted({it.id for it in items}))
    cls = best.effect_class or ("moderate" if best.favours_dn else "trivial")
    # very low certainty says nothing about an effect, so it speaks of the claim's own population;
    # a rated statement names the population the evidence comes from
    population = label if best.certainty == "very_low" else _label(ev, best.condition)
    wording = informative_statement(best.certainty, cls, bool(best.favours_dn), domain, population,
                                    best.comparator, best.window)
    basis = f"best evidence: {best.id} ({best.certainty}, rated by {best.rated_by})"
    if best.certainty == "very_low":
        verdict = "uncertain"
    elif best.favours_dn:
        verdict = "supported" if (not claim.asserted or best.certainty in ("moderate", "high")) else "overstated"
    else:
        verdict = "contradicted" if best.certainty in ("moderate", "high") else "uncertain"
    return Verdict(claim.id, verdict, best.certainty, best.effect, wording, ids, basis)


def mechanism_verdict(claim, ev: Evidence) -> Verdict:
    """Verdict for a mechanism claim: only mechanism evidence counts (module docstring)."""
    m = ev.curated.mechanisms
    topics = MECHANISM_TOPICS.get(claim.topic, (claim.topic,))
    rows = m[m["topic"].isin(topics) | m["mechanism_id"].isin(claim.mechanisms)]
    idea = MECHANISM_PHRASES.get(claim.topic, TOPICS[claim.topic][1])
    ids = tuple(sorted(rows["mechanism_id"]))
    if rows.empty:
        return Verdict(claim.id, "unsupported", "", "", f"No study was found on whether {idea}; do not make this "
                       "claim.", (), "no mechanism evidence found")
    human = rows["population"] != "animals"
    if ((rows["direction"] == "contradicts") & human).any():
        return Verdict(claim.id, "contradicted", "low", "", f"The evidence contradicts the idea that {idea}; do not "
                       "make this claim.", ids, "a study in humans contradicts it")
    if ((rows["direction"] == "supports") & (rows["population"] == "patients")).any():
        verdict = "overstated" if claim.asserted else "supported"
        return Verdict(claim.id, verdict, "low", "", f"Some small laboratory studies in patients support the idea "
                       f"that {idea}, but the evidence is limited and does not show that this explains any benefit.",
                       ids, "support from small mechanistic studies in patients")
    return Verdict(claim.id, "uncertain", "very_low", "", f"The evidence is very uncertain about whether {idea}: it "
                   "comes from animals, healthy volunteers or mixed findings.", ids, "no supporting study in patients")


def _rates(rows: pd.DataFrame) -> list[tuple[str, float, bool, float]]:
    """(safety_id, rate %, is an upper bound, denominator) of rows that give a rate."""
    out = []
    for r in rows.itertuples():
        events, denom = number(pd.Series([r.events]))[0], number(pd.Series([r.denominator]))[0]
        if r.rate_percent:
            out.append((r.safety_id, float(r.rate_percent), False, denom))
        elif not math.isnan(events) and not math.isnan(denom) and denom > 0:
            if events == 0:
                out.append((r.safety_id, 300.0 / denom, True, denom))
            else:
                out.append((r.safety_id, 100.0 * events / denom, False, denom))
    return out


def _safety_rows(claim, safety: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(rows giving the event's own rate, all-cause serious rows usable as an upper bound, what they
    count). The claim's linked rows if it links any, else the rows of its event type."""
    linked = safety["safety_id"].isin(claim.safety) if claim.safety else \
        safety["event_type"].isin(SAFETY_EVENTS.get(claim.topic, ()))
    rows = safety[linked]
    if claim.topic == "general_safety":
        if claim.frequency_claimed == "common":
            return rows[rows["severity"] == "mild"], rows.iloc[0:0], "mild adverse events"
        return rows[rows["event_type"].isin(SERIOUS)], rows.iloc[0:0], "significant adverse events"
    return rows[~rows["event_type"].isin(ALL_CAUSE)], rows[rows["event_type"].isin(SERIOUS)], TOPICS[claim.topic][1]


def safety_verdict(claim, ev: Evidence) -> Verdict:
    """Verdict for a safety claim against event rates (module docstring)."""
    if claim.topic == "contraindications":
        return Verdict(claim.id, "not_checkable", "", "", "", (), "a precaution, not an effect claim")
    own, bound, what = _safety_rows(claim, ev.curated.safety)
    ids = tuple(sorted(set(own["safety_id"]) | set(bound["safety_id"])))
    rated = _rates(own[own["denominator_unit"] != "reports"])
    reports = own[own["denominator_unit"] == "reports"]
    upper_only = not rated and not bound.empty
    if upper_only:
        rated = [(i, r, True, d) for i, r, _, d in _rates(bound)]
    claimed = claim.frequency_claimed or "not_stated"
    if claim.topic == "general_safety" and claimed == "not_stated":
        claimed = "rare"
    if not rated:
        if reports.empty:
            return Verdict(claim.id, "unsupported", "", "", f"No data on {what} after dry needling were found.",
                           ids, "no safety data")
        n = int(number(reports["events"]).fillna(0).sum())
        verdict = "supported" if claimed == "not_stated" else "uncertain"
        return Verdict(claim.id, verdict, "very_low", f"{n} case report(s)", f"Cases of {what} after needling have "
                       "been reported; how often it happens is not known.", ids, "case reports only, no rate")
    high = max(r for _, r, _, _ in rated)
    low = min(r for _, r, _, _ in rated)
    big = any(d >= SURVEY_SIZE for *_, d in rated if not math.isnan(d))
    certainty = ("low" if upper_only else "moderate") if big else "low"
    span = f"{low:.2g}%" if low == high else f"{low:.2g}% to {high:.2g}%"
    bands = band(low) if band(low) == band(high) else f"{band(low)} to {band(high)}"
    if upper_only:
        effect = f"at most {high:.2g}% ({band(high)}): significant events of any kind in large surveys"
        wording = (f"Large surveys recorded significant adverse events of any kind in at most {high:.2g}% of "
                   f"treatments, so {what} is at most {band(high)}"
                   + ("; case reports show that it does happen." if not reports.empty else "."))
    else:
        effect = f"{span} ({bands})" + ("; includes an upper bound (zero events, rule of three)"
                                         if any(upper for _, _, upper, _ in rated) else "")
        wording = f"In the available studies, {what} occurred in {span} of treatments or patients ({bands})."
        if claim.topic == "general_safety" and claimed != "common":
            wording = (f"Significant adverse events were {band(high)} in large surveys of physiotherapists (at most "
                       f"{high:.2g}% of treatments); mild ones such as bruising, bleeding and soreness were common.")
    if claimed == "not_stated":
        return Verdict(claim.id, "supported", certainty, effect, wording, ids, "the event occurs")
    lo_lim, hi_lim = CLAIMED_LIMITS[claimed]
    if claimed == "common":
        verdict = "uncertain" if upper_only else (
            "supported" if high >= lo_lim else ("contradicted" if high < 0.1 else "overstated"))
    else:
        verdict = "supported" if high < hi_lim else ("contradicted" if low >= 1.0 else "overstated")
    return Verdict(claim.id, verdict, certainty, effect, wording, ids,
                   f"claimed {claimed.replace('_', ' ')}, observed {'at most ' if upper_only else ''}{band(high)}")


def verdict_for(claim, ev: Evidence) -> Verdict:
    """Dispatch on the claim type."""
    if claim.type in ("efficacy", "outcome"):
        return efficacy_verdict(claim, ev)
    if claim.type == "mechanism":
        return mechanism_verdict(claim, ev)
    if claim.type == "safety":
        return safety_verdict(claim, ev)
    return Verdict(claim.id, "not_checkable", "", "", "", (), "a definition or practicality, not a claim of effect")


@dataclass(frozen=True)
class Override:
    """A recorded human verdict: it replaces the computed verdict, and the certainty and wording when given."""

    verdict: str
    reason: str
    certainty: str = ""
    allowed_wording: str = ""


def overrides(curated: Curated) -> dict[str, Override]:
    """claim_id -> Override from the validated ``verdict_overrides`` table."""
    table = curated.verdict_overrides
    return {r.claim_id: Override(r.verdict, r.reason, r.certainty, r.allowed_wording) for r in table.itertuples()}


def verdict_table(claims: Sequence, ev: Evidence) -> pd.DataFrame:
    """The derived claim_verdicts table (``VERDICT_COLUMNS``), one row per claim, sorted by id, with the
    recorded overrides applied."""
    recorded = overrides(ev.curated)
    rows = []
    for claim in sorted(claims, key=lambda c: c.id):
        v = verdict_for(claim, ev)
        o = recorded.get(claim.id)
        rows.append({"claim_id": claim.id, "statement": claim.statement, "type": claim.type, "topic": claim.topic,
                     "condition_ids": "; ".join(claim.conditions), "verdict": o.verdict if o else v.verdict,
                     "certainty": (o.certainty or v.certainty) if o else v.certainty, "effect": v.effect,
                     "allowed_wording": (o.allowed_wording or v.allowed_wording) if o else v.allowed_wording,
                     "evidence_ids": "; ".join(v.evidence_ids), "reason": v.reason,
                     "override_reason": o.reason if o else ""})
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))
