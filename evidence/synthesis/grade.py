"""GRADE certainty per evidence question, and the wording that the certainty allows.

Rating starts at high for randomised evidence; each domain suggests 0, 1 (serious) or 2 (very
serious) levels down with a stated reason (GRADE Handbook, section 5; Guyatt et al. 2011,
J Clin Epidemiol 64:383). The suggestion is mechanical; a human-edited overrides file
(``data/curated/grade_overrides.csv``: question_id, certainty, reason) records final judgements,
and outputs show both.

Policies (ours, stated once):

* Risk of bias: a study counts as high risk when its RoB overall judgement is high, or when only
  a PEDro score is known and it is 5 or less; a PEDro score of 6 or more counts as some concerns,
  never as low risk (PEDro does not assess selective reporting). Down 2 when more than half of the
  weight comes from high-risk studies; down 1 when at least a quarter does, or when more than
  half of the weight comes from high-risk studies and studies not assessed.
* Inconsistency (k >= 2): down 2 when I^2 >= 75%; down 1 when I^2 >= 50%, or k >= 3 and the
  prediction interval includes no effect while the CI does not. A single study cannot be judged.
* Imprecision: the CI includes no effect, or includes both an important effect and an
  unimportant one (it spans the MID; for an SMD, 0.5 SD, Norman et al. 2003, Med Care 41:582);
  fewer than 400 participants (the optimal information size for a continuous outcome, GRADE
  Handbook 5.2.4.1). Down 2 when the CI includes important benefit and important harm, when it
  includes no effect and n < 400, or when the evidence is one trial under 400 participants (not
  replicated); down 1 for any one of these problems.
* Publication bias: only with k >= 10, down 1 when Egger's test gives p < 0.10. With the trial
  registry (``registry_publication_bias``, when the build has registry counts): down 1 ("suspected")
  when at least two, and at least half, of the condition's completed ClinicalTrials.gov
  registrations were completed two or more years before the registry snapshot and have neither
  posted results nor a publication found (GRADE Handbook 5.2.5; Guyatt et al. 2011, J Clin
  Epidemiol 64:1277, "GRADE guidelines: 5. Rating the quality of evidence - publication bias":
  registered trials that stay unpublished are direct evidence of missing results, and rating down
  is warranted when they are a substantial share of the evidence). A single unreported trial, or a
  minority of the completed ones, is named in the reason without a downgrade: "no publication
  found" means none among this tracker's studies, which may miss a published trial. The domain
  takes the larger of the two (at most 1 level) and both reasons.
* Indirectness: down 1 for a surrogate outcome (pressure pain threshold), or when at least a
  quarter of the weight comes from trials whose ``technique`` (studies.csv) is not trigger-point
  dry needling (tendon needling, electrical or periosteal needling, other techniques; ``not_stated``
  is not counted) or whose dry needling arm had a ``co_intervention`` the control arm did not get.

Findings of published reviews (``rate_finding``): the authors' GRADE rating where they gave one
(a stated range such as "low to moderate" counts as its lower level and is shown as a range);
otherwise this tracker rates the finding with the same rules applied to what was recorded,
starting at high: risk of bias from the review's own judgement of the pooled trials where the
finding records one (``trials_risk_of_bias``: low 0, some concerns down 1, high down 2), else not
recorded at the finding level, so down 1; inconsistency from the recorded I^2 (pooled trials without a reported I^2: not assessable, down
1; a single trial: not assessable, no downgrade); imprecision from
the recorded CI against no effect and the MID (SMD 0.5 or the instrument's MID when the scale
is stated) and from the recorded participants against the optimal information size (unknown
counts as below it); no CI recorded (a narrative synthesis or a vote count) is down 2;
indirectness down 1 when the review's intervention scope is not dry needling only (needling
including acupuncture, dry and wet needling pooled) or the outcome is a surrogate. A network
meta-analysis gets its own reasons: risk of bias of the trials in the network not recorded (down 1)
and indirectness, its estimates being partly from indirect comparisons (down 1). A review whose pooled
trials mostly come from regional databases (``reviews.mostly_regional_trials``, set only where a source
says so) gets its own reasons too: risk of bias at least serious (selective publication, often unclear
concealment and blinding) and indirectness (one region's needling and care), each down 1. The basis:
Vickers et al. 1998 (Control Clin Trials 19:159, PMID 9551280) found every acupuncture trial from China,
Japan, Hong Kong and Taiwan in Medline positive, and 99% of trials of other treatments published in
China, with publication bias a possible cause; Wu et al. 2009 (Trials 10:46, PMID 19573242) found that
only 6.8% of the trials in the China National Knowledge Infrastructure whose authors were interviewed
had been properly randomised; He et al. 2011 (Trials 12:122, PMID 21569452) found adequate allocation
concealment in 7% and adequate blinding in 19% of 3,159 traditional Chinese medicine trials. A review
finding has no separate publication-bias domain here, so the selective publication GRADE would rate
under publication bias (Guyatt et al. 2011, J Clin Epidemiol 64:1277) is named in the risk-of-bias
reason, which takes at most one level for both. The indirectness level is this tracker's policy: needling
as practised and usual care in one region may differ from the dry needling the materials describe. The tracker's
rating is never higher than the authors' own rating of the same or an overlapping comparison of
the same review (same condition and outcome; comparators and windows equal or either pooled): it
is capped there, with the reason. Every reason is recorded, labelled "rated by this tracker". The population scope of a finding is weighed where a
claim is judged (``evidence.synthesis.verdicts``), because it depends on what the claim is about.

Informative statements follow Santesso et al. 2020 (J Clin Epidemiol 119:126, "GRADE guidelines
26"): certainty x size of effect gives the verb ("reduces", "probably reduces", "may reduce
slightly", "the evidence is very uncertain").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from evidence.curation.schema import Curated
from evidence.synthesis.meta import egger_test
from evidence.vocab import (
    ANY,
    COMPARATOR_PHRASES,
    LEVELS,
    LOWER_IS_BETTER,
    OUTCOME_NOUNS,
    WINDOW_PHRASES,
)

OIS_CONTINUOUS = 400
SMD_MID = 0.5
STANDARD_TECHNIQUES = ("trigger_point_dn", "not_stated")
RATED_BY_AUTHORS, RATED_BY_TRACKER = "review authors", "this tracker"
# (certainty, class) -> verb template; {o} is the outcome noun; "reduce" form, "increase" form
_VERBS = {
    "high": {
        "large": ("results in a large reduction in {o}", "results in a large increase in {o}"),
        "moderate": ("reduces {o}", "increases {o}"),
        "small": ("reduces {o} slightly", "increases {o} slightly"),
        "trivial": ("results in little to no difference in {o}",) * 2,
    },
    "moderate": {
        "large": ("likely results in a large reduction in {o}", "likely results in a large increase in {o}"),
        "moderate": ("probably reduces {o}", "probably increases {o}"),
        "small": ("probably reduces {o} slightly", "probably increases {o} slightly"),
        "trivial": ("probably results in little to no difference in {o}",) * 2,
    },
    "low": {
        "large": ("may result in a large reduction in {o}", "may result in a large increase in {o}"),
        "moderate": ("may reduce {o}", "may increase {o}"),
        "small": ("may reduce {o} slightly", "may increase {o} slightly"),
        "trivial": ("may result in little to no difference in {o}",) * 2,
    },
}


@dataclass(frozen=True)
class Downgrade:
    domain: str
    levels: int
    reason: str


@dataclass(frozen=True)
class Certainty:
    question_id: str
    suggested: str
    downgrades: tuple[Downgrade, ...]
    final: str
    override_reason: str

    def levels(self, domain: str) -> int:
        return next((d.levels for d in self.downgrades if d.domain == domain), 0)


def rob_category(row: pd.Series | None) -> str:
    """high / some_concerns / low / unknown for one study's risk_of_bias row (policy above)."""
    if row is None:
        return "unknown"
    if row["overall"]:
        return row["overall"]
    if row["pedro_score"]:
        return "high" if int(row["pedro_score"]) <= 5 else "some_concerns"
    return "unknown"


def _risk_of_bias(weights: dict[str, float], rob: dict[str, str]) -> Downgrade:
    high = sum(w for s, w in weights.items() if rob.get(s, "unknown") == "high")
    unknown = sum(w for s, w in weights.items() if rob.get(s, "unknown") == "unknown")
    text = f"{high:.0f}% of the weight from high-risk studies, {unknown:.0f}% not assessed"
    if high > 50:
        return Downgrade("risk_of_bias", 2, "very serious: " + text)
    if high >= 25 or high + unknown > 50:
        return Downgrade("risk_of_bias", 1, "serious: " + text)
    return Downgrade("risk_of_bias", 0, text)


def _inconsistency(q: pd.Series) -> Downgrade:
    k, i2 = int(q["k"]), float(q["i2"])
    if k < 2:
        return Downgrade("inconsistency", 0, "single study: not assessable")
    pi_crosses = k >= 3 and q["pi_low"] < 0 < q["pi_high"] and not (q["ci_low"] < 0 < q["ci_high"])
    text = f"I2 {i2:.0f}%" + (", prediction interval includes no effect" if pi_crosses else "")
    if i2 >= 75:
        return Downgrade("inconsistency", 2, "very serious: " + text)
    if i2 >= 50 or pi_crosses:
        return Downgrade("inconsistency", 1, "serious: " + text)
    return Downgrade("inconsistency", 0, text)


def _imprecision(q: pd.Series | dict) -> Downgrade:
    """``q`` needs ci_low, ci_high, n_participants and k (NaN when not known), measure and mid."""
    low, high, n, k = float(q["ci_low"]), float(q["ci_high"]), float(q["n_participants"]), float(q["k"])
    threshold = SMD_MID if q["measure"] == "SMD" else float(q["mid"])
    known = not math.isnan(threshold)
    crosses_null = low < 0 < high
    crosses_mid = known and (low < -threshold < high or low < threshold < high)
    both_ways = known and low < -threshold and high > threshold
    sparse = not n >= OIS_CONTINUOUS
    size = "participants not recorded" if math.isnan(n) else f"{n:.0f} participants"
    parts = [
        p
        for p, on in (
            ("CI includes no effect", crosses_null),
            ("CI spans the MID", crosses_mid),
            ("CI includes important benefit and important harm", both_ways),
            (
                f"{size}, under the optimal information size of {OIS_CONTINUOUS}"
                if not math.isnan(n)
                else f"{size}, so the optimal information size of {OIS_CONTINUOUS} is not shown to be met",
                sparse,
            ),
            ("a single trial", k == 1 and sparse),
        )
        if on
    ]
    levels = 2 if both_ways or (crosses_null and sparse) or (k == 1 and sparse) else int(bool(parts))
    return Downgrade("imprecision", levels, "; ".join(parts) or "CI excludes no effect and the MID; n >= 400")


def nonstandard_studies(studies: pd.DataFrame) -> dict[str, str]:
    """study_id -> why its dry needling arm is not plain trigger-point dry needling (technique or a
    co-intervention in that arm only); studies without such a reason are left out."""
    out = {}
    for r in studies.itertuples():
        why = [f"technique: {r.technique.replace('_', ' ')}"] if r.technique not in STANDARD_TECHNIQUES else []
        why += [f"co-intervention: {r.co_intervention}"] if r.co_intervention else []
        if why:
            out[r.study_id] = "; ".join(why)
    return out


def _indirectness(q: pd.Series, weights: dict[str, float], nonstandard: dict[str, str]) -> Downgrade:
    if q["outcome_domain"] == "ppt":
        return Downgrade("indirectness", 1, "serious: pressure pain threshold is a surrogate for pain")
    odd = {s: w for s, w in weights.items() if s in nonstandard}
    share = sum(odd.values())
    if share >= 25:
        named = ", ".join(f"{s} ({nonstandard[s]})" for s in sorted(odd))
        return Downgrade(
            "indirectness",
            1,
            f"serious: {share:.0f}% of the weight from trials that are not plain trigger-point dry needling: {named}",
        )
    return Downgrade("indirectness", 0, "population, intervention and outcome as asked")


def _publication_bias(q: pd.Series, egger_p: float | None) -> Downgrade:
    if int(q["k"]) < 10:
        return Downgrade("publication_bias", 0, "not assessable with fewer than 10 studies")
    if egger_p is None:
        return Downgrade("publication_bias", 0, "not assessable: the studies do not differ in precision")
    if egger_p < 0.10:
        return Downgrade("publication_bias", 1, f"serious: small-study effect (Egger p = {egger_p:.3f})")
    return Downgrade("publication_bias", 0, f"no small-study effect detected (Egger p = {egger_p:.3f})")


@dataclass(frozen=True)
class RegistryCounts:
    """What the trial registry shows for one condition (a row of ``evidence.registry.crosscheck``'s
    summary): registrations, completed ones, the NCT ids flagged unreported, the snapshot date."""

    registered: int = 0
    completed: int = 0
    unreported: tuple[str, ...] = ()
    snapshot_date: str = ""


def registry_publication_bias(counts: RegistryCounts) -> Downgrade:
    """The publication-bias downgrade the trial registry suggests (rule and reference in the module docstring)."""
    if not counts.registered:
        return Downgrade("publication_bias", 0, "registry: no registration of this condition recorded")
    substantial = len(counts.unreported) >= max(2, counts.completed / 2)
    if counts.unreported and not substantial:
        return Downgrade(
            "publication_bias",
            0,
            f"not serious: {len(counts.unreported)} of {counts.completed} completed registered trial(s) with no "
            f"results found ({', '.join(counts.unreported)}); a downgrade needs at least two and at least half "
            "(Guyatt 2011, GRADE guidelines 5)",
        )
    if counts.unreported:
        return Downgrade(
            "publication_bias",
            1,
            f"suspected: {len(counts.unreported)} of {counts.registered} registered trial(s) completed 2 or more "
            f"years before the registry snapshot of {counts.snapshot_date} with no results posted and no "
            f"publication found ({', '.join(counts.unreported)}; Guyatt 2011, GRADE guidelines 5)",
        )
    return Downgrade(
        "publication_bias",
        0,
        f"registry: {counts.registered} registration(s), {counts.completed} completed, none completed 2 or more "
        "years ago without results",
    )


def _with_registry(egger: Downgrade, registry: Downgrade) -> Downgrade:
    return Downgrade("publication_bias", max(egger.levels, registry.levels), f"{egger.reason}; {registry.reason}")


def rate_question(
    q: pd.Series,
    weights: dict[str, float],
    rob: dict[str, str],
    nonstandard: dict[str, str],
    egger_p: float | None = None,
    override: tuple[str, str] | None = None,
    registry: RegistryCounts | None = None,
) -> Certainty:
    """Suggest a certainty for one question row of the questions table (policies above); ``registry``:
    the trial registry's counts for the question's condition, when the build has them."""
    publication_bias = _publication_bias(q, egger_p)
    if registry is not None:
        publication_bias = _with_registry(publication_bias, registry_publication_bias(registry))
    downgrades = (
        _risk_of_bias(weights, rob),
        _inconsistency(q),
        _imprecision(q),
        _indirectness(q, weights, nonstandard),
        publication_bias,
    )
    total = sum(d.levels for d in downgrades)
    suggested = LEVELS[max(0, 3 - total)]
    final, reason = override if override else (suggested, "")
    return Certainty(q["question_id"], suggested, downgrades, final, reason)


CERTAINTY_COLUMNS = (
    "question_id",
    "suggested",
    "final",
    "risk_of_bias",
    "inconsistency",
    "imprecision",
    "indirectness",
    "publication_bias",
    "reasons",
    "override_reason",
)
GRADE_DOMAINS = ("risk_of_bias", "inconsistency", "imprecision", "indirectness", "publication_bias")


def overrides(curated: Curated) -> dict[str, tuple[str, str]]:
    """question_id -> (certainty, reason) from the validated ``grade_overrides`` table; the reason names
    its source when the row gives one."""
    table = curated.grade_overrides
    return {
        r.question_id: (r.certainty, r.reason + (f" (source: {r.source})" if r.source else ""))
        for r in table.itertuples()
    }


def _egger_p(studies: pd.DataFrame) -> float | None:
    """Egger's p-value of a question's studies; None when the test cannot be run (equal variances:
    no spread of precision to regress on)."""
    try:
        return egger_test(studies["yi"], studies["vi"])[2]
    except ValueError:
        return None


def certainty_table(
    questions: pd.DataFrame,
    forest: pd.DataFrame,
    curated: Curated,
    registry: Mapping[str, RegistryCounts] | None = None,
) -> pd.DataFrame:
    """Rate every question with data, with the recorded overrides; one row per question (``CERTAINTY_COLUMNS``).
    ``registry``: condition_id -> the registry's counts (a condition not in it has no registration)."""
    final = overrides(curated)
    rob_rows = {r["study_id"]: r for _, r in curated.risk_of_bias.iterrows()}
    nonstandard = nonstandard_studies(curated.studies)
    rows = []
    for _, q in questions[questions["k"] > 0].iterrows():
        studies = forest[forest["question_id"] == q["question_id"]]
        weights = dict(zip(studies["study_id"], studies["weight"]))
        rob = {s: rob_category(rob_rows.get(s)) for s in weights}
        egger = _egger_p(studies) if len(studies) >= 10 else None
        counts = None if registry is None else registry.get(q["condition_id"], RegistryCounts())
        c = rate_question(q, weights, rob, nonstandard, egger, final.get(q["question_id"]), counts)
        rows.append(
            {
                "question_id": c.question_id,
                "suggested": c.suggested,
                "final": c.final,
                **{d: c.levels(d) for d in GRADE_DOMAINS},
                "reasons": "; ".join(f"{d.domain}: {d.reason}" for d in c.downgrades),
                "override_reason": c.override_reason,
            }
        )
    return pd.DataFrame(rows, columns=list(CERTAINTY_COLUMNS))


@dataclass(frozen=True)
class FindingRating:
    """The certainty of one review finding: the level it counts as, the top of a stated range, who
    rated it and the reasons (the tracker's downgrades, or the authors' rating)."""

    certainty: str
    certainty_high: str
    rated_by: str
    reasons: str

    @property
    def shown(self) -> str:
        """ "low to moderate" for a range, else the level (underscores as spaces)."""
        low = self.certainty.replace("_", " ")
        high = self.certainty_high.replace("_", " ")
        return f"{low} to {high}" if self.certainty_high and self.certainty_high != self.certainty else low


def _overlaps(a: str, b: str) -> bool:
    """Two comparator types or windows overlap when equal or when either is pooled (``any``)."""
    return a == b or ANY in (a, b)


def authors_ceiling(f: dict, findings: Iterable[dict]) -> str:
    """The lowest authors' rating (a range counts as its lower level) among the findings of the same
    review that overlap ``f``: same condition and outcome, comparators and windows equal or either pooled;
    "" when the authors rated none. ``findings``: review-finding rows as records (``to_dict("records")``)."""
    levels = [
        r["certainty"]
        for r in findings
        if r["certainty"]
        and (r["review_id"], r["condition_id"], r["outcome_domain"])
        == (f["review_id"], f["condition_id"], f["outcome_domain"])
        and _overlaps(r["comparator_type"], f["comparator_type"])
        and _overlaps(r["window"], f["window"])
    ]
    return min(levels, key=LEVELS.index) if levels else ""


def rate_finding(
    f: dict, mid: float, network: bool = False, ceiling: str = "", regional: bool = False
) -> FindingRating:
    """Certainty of one review_findings row (``f``: its cells as strings) with the MID on its scale
    (NaN when unknown), whether the review is a network meta-analysis, and the authors' lowest rating
    of an overlapping comparison of the same review (``authors_ceiling``); the policy is in the module
    docstring."""
    if f["certainty"]:
        high = f.get("certainty_high", "")
        return FindingRating(
            f["certainty"],
            high,
            RATED_BY_AUTHORS,
            "the review authors' GRADE rating"
            + (" (a range: counts as its lower level)" if high and high != f["certainty"] else ""),
        )

    def num(key: str) -> float:
        try:
            return float(f[key])
        except (TypeError, ValueError):
            return math.nan

    k = num("n_trials")
    stated_rob = f.get("trials_risk_of_bias", "")
    if stated_rob:
        rob = Downgrade(
            "risk_of_bias",
            {"low": 0, "some_concerns": 1, "high": 2}[stated_rob],
            f"the review judged the pooled trials at {stated_rob.replace('_', ' ')} risk of bias",
        )
    else:
        rob = Downgrade("risk_of_bias", 1, "serious: risk of bias of the pooled trials not recorded for this finding")
    i2 = num("i2")
    if k == 1:
        inconsistency = Downgrade("inconsistency", 0, "single study: not assessable")
    elif math.isnan(i2):
        inconsistency = Downgrade("inconsistency", 1, "serious: I2 not reported, so consistency is not assessable")
    else:
        inconsistency = _inconsistency(
            {
                "k": 2 if math.isnan(k) else k,
                "i2": i2,
                "pi_low": math.nan,
                "pi_high": math.nan,
                "ci_low": 0.0,
                "ci_high": 0.0,
            }
        )
    if math.isnan(num("ci_low")) or math.isnan(num("ci_high")):
        imprecision = Downgrade(
            "imprecision",
            2,
            "very serious: no effect estimate with a 95% CI recorded "
            "(narrative synthesis, vote count or numbers not seen)",
        )
    else:
        low, high = sorted((num("ci_low"), num("ci_high")))
        imprecision = _imprecision(
            {
                "ci_low": low,
                "ci_high": high,
                "n_participants": num("n_participants"),
                "k": k,
                "measure": f["effect_measure"],
                "mid": mid,
            }
        )
    scope = f.get("intervention_scope", "dn_only")
    if f["outcome_domain"] == "ppt":
        indirectness = Downgrade("indirectness", 1, "serious: pressure pain threshold is a surrogate for pain")
    elif scope and scope != "dn_only":
        indirectness = Downgrade("indirectness", 1, f"serious: intervention scope {scope.replace('_', ' ')}")
    elif network:
        indirectness = Downgrade(
            "indirectness", 1, "serious: network meta-analysis, estimates partly from indirect comparisons"
        )
    else:
        indirectness = Downgrade("indirectness", 0, "dry needling only")
    if regional:
        rob = Downgrade(
            "risk_of_bias",
            max(rob.levels, 1),
            "serious: most pooled trials come from regional databases (selective publication, often unclear "
            "concealment and blinding)" + (f"; {rob.reason}" if stated_rob else ""),
        )
        if not indirectness.levels:
            indirectness = Downgrade(
                "indirectness",
                1,
                "serious: most pooled trials come from regional databases (one region's needling and care)",
            )
    if network and not stated_rob:
        rob = Downgrade(
            "risk_of_bias", 1, "serious: network meta-analysis, risk of bias of the trials in the network not recorded"
        )
    downgrades = (rob, inconsistency, imprecision, indirectness)
    level = LEVELS[max(0, 3 - sum(d.levels for d in downgrades))]
    reasons = "; ".join(f"{d.domain}: {d.reason}" for d in downgrades)
    if ceiling and LEVELS.index(ceiling) < LEVELS.index(level):
        level = ceiling
        reasons += f"; capped: the review authors rate an overlapping comparison {ceiling.replace('_', ' ')}"
    return FindingRating(level, "", RATED_BY_TRACKER, reasons)


def informative_statement(
    certainty: str,
    effect_class: str,
    favours_dn: bool,
    domain: str,
    condition_label: str,
    comparator: str = "any",
    window: str = "any",
) -> str:
    """The GRADE informative statement (Santesso et al. 2020) for one result, as a sentence."""
    noun = OUTCOME_NOUNS.get(domain, domain)
    population = f"in people with {condition_label}"
    if certainty == "very_low" or certainty not in _VERBS:
        return f"The evidence is very uncertain about the effect of dry needling on {noun} {population}."
    lower_better = domain in LOWER_IS_BETTER
    reduce = favours_dn == lower_better
    verb = _VERBS[certainty][effect_class or "moderate"][0 if reduce else 1].format(o=noun)
    if not effect_class:  # a direction without a size the tracker could judge
        verb += " (size of the effect not known)"
    tail = " ".join(p for p in (population, WINDOW_PHRASES.get(window, "")) if p)
    lead = f"Compared with {COMPARATOR_PHRASES.get(comparator, comparator)}, dry needling"
    return f"{lead} {verb} {tail}."
