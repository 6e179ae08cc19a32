"""Verdict rules on small in-memory tables: every verdict is reachable, for each claim type, and each
rule of the evidence profile (finding ratings, best-estimate choice, scope, comparators, windows)."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from evidence.curation.claims import Claim
from evidence.curation.inputs import input_problems, load_inputs
from evidence.curation.schema import TABLES, Curated, table_problems
from evidence.curation.topics import TOPICS, topic_type
from evidence.jobs import analyse
from evidence.synthesis import grade, verdicts
from evidence.vocab import OUTCOME_NOUNS, SUBCONDITION_LABELS
from tests.conftest import copy_data, curated_tables
from tests.paths import PROJECT

QUESTION_COLUMNS = [
    "question_id",
    "condition_id",
    "outcome_domain",
    "comparator_type",
    "window",
    "k",
    "n_participants",
    "measure",
    "scale",
    "estimate",
    "ci_low",
    "ci_high",
    "effect_class",
    "study_ids",
]


def claim(
    topic: str,
    conditions=("neck_pain",),
    asserted=True,
    frequency=None,
    domain=None,
    reviews=(),
    mechanisms=(),
    tested_by=(),
    subconditions=(),
    subcondition_only=False,
    statement="s",
) -> Claim:
    return Claim(
        id=f"c_{topic}",
        statement=statement,
        topic=topic,
        type=topic_type(topic),
        conditions=tuple(conditions),
        outcome_domain=domain,
        asserted=asserted,
        frequency_claimed=frequency,
        reviews=tuple(reviews),
        safety=(),
        mechanisms=tuple(mechanisms),
        occurrences=(),
        note="",
        subconditions=tuple(subconditions),
        subcondition_only=subcondition_only,
        tested_by=tuple(tested_by),
    )


tables = curated_tables


def question(
    certainty: str,
    estimate=-2.5,
    low=-3.5,
    high=-1.5,
    comparator="sham",
    window="short",
    condition="neck_pain",
    size="moderate",
    n=200,
    studies="S1",
) -> tuple[dict, dict]:
    qid = f"{condition}:pain:{comparator}:{window}"
    return (
        {
            "question_id": qid,
            "condition_id": condition,
            "outcome_domain": "pain",
            "comparator_type": comparator,
            "window": window,
            "k": 1,
            "n_participants": n,
            "measure": "MD",
            "scale": "pain 0-10",
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "effect_class": size,
            "study_ids": studies,
        },
        {"question_id": qid, "final": certainty, "reasons": "r"},
    )


def evidence(*qs: tuple[dict, dict], curated: Curated | None = None) -> verdicts.Evidence:
    questions = pd.DataFrame([q for q, _ in qs], columns=QUESTION_COLUMNS)
    cert = pd.DataFrame([c for _, c in qs], columns=["question_id", "final", "reasons"])
    return verdicts.Evidence(
        curated or tables(),
        questions,
        cert,
        {"neck_pain": "neck pain", "knee_pain": "knee pain", "shoulder_pain": "shoulder pain"},
    )


def finding(**kw) -> dict:
    blank = {c.name: "" for c in TABLES["review_findings"][1]}
    base = {
        **blank,
        "review_id": "R2020",
        "condition_id": "neck_pain",
        "comparator_type": "any",
        "outcome_domain": "pain",
        "window": "short",
        "effect_measure": "SMD",
        "effect": "-0.9",
        "ci_low": "-1.1",
        "ci_high": "-0.7",
        "n_participants": "600",
        "lower_is_better": "true",
        "conclusion": "the authors' conclusion",
        "source_location": "abstract",
        "intervention_scope": "dn_only",
        "population_scope": "condition",
    }
    return {**base, **kw}


# ----------------------------------------------------------------------------- efficacy: the rule table


@pytest.mark.parametrize(
    "q,asserted,expected,rule_words",
    [
        (question("moderate"), True, "supported", "important benefit against sham"),
        (question("high", comparator="no_treatment"), True, "supported", "no treatment"),
        (question("low"), True, "overstated", "low certainty"),
        (question("low"), False, "supported", "hedged"),
        (question("moderate", estimate=-0.6, low=-0.9, high=-0.3, size="small"), True, "overstated", "below the MID"),
        (question("moderate", window="immediate"), True, "overstated", "first week"),
        (question("moderate", comparator="add_on"), True, "overstated", "added to the same treatment"),
        (question("very_low"), True, "uncertain", "very low"),
        (question("high", estimate=-0.1, low=-0.4, high=0.2, size="trivial"), True, "contradicted", "sham"),
        (question("low", estimate=-0.1, low=-0.4, high=0.2, size="trivial"), True, "uncertain", "no clear benefit"),
    ],
)
def test_efficacy_rule_table(q, asserted, expected, rule_words):
    v = verdicts.verdict_for(claim("neck_pain", asserted=asserted), evidence(q))
    assert v.verdict == expected
    assert rule_words in v.reason + " " + v.rule
    assert v.evidence_ids == (q[0]["question_id"],)


def test_no_difference_against_no_treatment_does_not_contradict():
    # only sham-controlled evidence can refute an effect; no difference against no treatment is not a test of it
    v = verdicts.verdict_for(
        claim("neck_pain"), evidence(question("high", -0.1, -0.4, 0.2, "no_treatment", size="trivial"))
    )
    assert v.verdict == "uncertain"


def test_no_evidence_is_unsupported_and_wording_says_so():
    v = verdicts.verdict_for(claim("neck_pain"), evidence())
    assert v.verdict == "unsupported" and "do not make this claim" in v.allowed_wording


def test_allowed_wording_follows_certainty_and_size():
    assert (
        "may reduce pain in people with neck pain"
        in verdicts.verdict_for(claim("neck_pain"), evidence(question("low"))).allowed_wording
    )
    small = question("moderate", estimate=-0.6, low=-0.9, high=-0.3, size="small")
    assert "probably reduces pain slightly" in verdicts.verdict_for(claim("neck_pain"), evidence(small)).allowed_wording


def test_head_to_head_comparisons_do_not_decide_efficacy():
    q = question("high", estimate=0.8, low=0.3, high=1.3, comparator="active_other")  # dry needling worse...
    assert verdicts.verdict_for(claim("neck_pain"), evidence(q)).verdict == "unsupported"  # ...is not evidence it fails


def test_a_claim_without_condition_is_not_judged_on_one_condition():
    v = verdicts.verdict_for(claim("sports_injuries", conditions=()), evidence(question("high")))
    assert v.verdict == "unsupported"  # neck pain evidence does not speak for sports injuries


def test_an_add_on_claim_is_judged_on_add_on_evidence():
    ev = evidence(question("moderate", comparator="add_on", condition="neck_pain"))
    c = claim("add_on_to_exercise", conditions=("neck_pain",))
    assert verdicts.verdict_for(c, ev).verdict == "supported"
    refuted = evidence(question("moderate", -0.1, -0.4, 0.2, comparator="add_on", size="trivial"))
    assert verdicts.verdict_for(c, refuted).verdict == "contradicted"


# ----------------------------------------------------------------------------- finding-level certainty


def test_authors_rating_counts_and_a_range_counts_as_its_lower_level():
    r = grade.rate_finding(finding(certainty="low", certainty_high="moderate"), math.nan)
    assert (r.certainty, r.rated_by, r.shown) == ("low", "review authors", "low to moderate")
    v = verdicts.verdict_for(
        claim("neck_pain"),
        evidence(curated=tables(review_findings=[finding(certainty="low", certainty_high="moderate")])),
    )
    assert v.certainty == "low" and "low to moderate certainty, rated by review authors" in v.effect


@pytest.mark.parametrize(
    "row,expected,reason",
    [
        (finding(i2="10"), "moderate", "risk of bias of the pooled trials not recorded"),
        (finding(i2="80"), "very_low", "I2 80%"),
        (finding(i2="10", intervention_scope="needling_incl_acupuncture"), "low", "needling incl acupuncture"),
        (finding(i2="10", n_participants=""), "low", "participants not recorded"),
        (finding(effect="", ci_low="", ci_high=""), "very_low", "no effect estimate with a 95% CI"),
        (finding(i2="10", outcome_domain="ppt"), "low", "surrogate"),
    ],
)
def test_unrated_findings_are_rated_by_this_tracker(row, expected, reason):
    r = grade.rate_finding(row, math.nan)
    assert (r.certainty, r.rated_by) == (expected, "this tracker")
    assert reason in r.reasons


def test_an_md_against_the_mid_of_its_stated_scale():
    mids = [
        {
            "instrument": "NPRS",
            "scale_max": "10",
            "mid": "2",
            "source_id": "M",
            "source_location": "x",
            "verified": "true",
        }
    ]
    row = finding(
        effect_measure="MD",
        effect="-0.49",
        ci_low="-0.84",
        ci_high="-0.13",
        scale="pain 0-10 points",
        certainty="moderate",
    )
    ev = evidence(curated=tables(review_findings=[row], mids=mids))
    v = verdicts.verdict_for(claim("neck_pain"), ev)
    assert v.verdict == "overstated" and "below the MID" in v.rule
    assert "little to no difference" in v.allowed_wording  # not "probably reduces pain"


# ----------------------------------------------------------------------------- the best estimate per cell


def test_best_estimate_direct_then_certainty_then_participants_then_newer():
    reviews = [
        {"review_id": r, "year": y, "design": "meta_analysis", "doi": "x"}
        for r, y in (("Old2010", "2010"), ("New2022", "2022"), ("Big2015", "2015"))
    ]
    rows = [
        finding(review_id="Old2010", certainty="moderate", n_participants="300"),
        finding(review_id="New2022", certainty="moderate", n_participants="300"),
        finding(review_id="Big2015", certainty="low", n_participants="900"),
    ]
    ev = evidence(curated=tables(review_findings=rows, reviews=reviews))
    [entry] = verdicts.claim_profile(claim("neck_pain"), ev)
    assert entry.candidate.source == "New2022" and entry.candidates == 3  # certainty beats size; newer breaks the tie
    rows.append(finding(review_id="Big2015", condition_id="all_dry_needling", certainty="high", n_participants="5000"))
    ev = evidence(curated=tables(review_findings=rows, reviews=reviews))
    best = verdicts.claim_profile(claim("neck_pain", reviews=("Big2015",)), ev)
    assert [e.candidate.source for e in best] == ["New2022"]  # direct before a higher-rated indirect finding


def test_population_scope_and_other_conditions_are_indirect_one_level_down():
    ev = evidence(curated=tables(review_findings=[finding(certainty="moderate", population_scope="mixed")]))
    [entry] = verdicts.claim_profile(claim("neck_pain"), ev)
    assert entry.indirect == "the review pooled a mixed population" and entry.certainty == "low"
    v = verdicts.verdict_for(claim("neck_pain"), ev)
    assert v.verdict == "overstated" and "indirect" in v.rule


# ----------------------------------------------------------------------------- scope: named sub-conditions


def test_a_sub_condition_claim_is_judged_on_its_own_evidence():
    broad = question("moderate", condition="shoulder_pain")
    c = claim(
        "shoulder_pain", conditions=("shoulder_pain",), subconditions=("adhesive_capsulitis",), subcondition_only=True
    )
    v = verdicts.verdict_for(c, evidence(broad))
    assert v.verdict == "overstated" and v.certainty == "low"  # broader evidence: one level down, named so
    assert "shoulder pain in general, not frozen shoulder" in v.effect
    studies = [{"study_id": "S1", "condition_id": "shoulder_pain", "subcondition": "adhesive_capsulitis"}]
    direct = verdicts.verdict_for(c, evidence(broad, curated=tables(studies=studies)))
    assert direct.verdict == "supported" and direct.certainty == "moderate"


def test_a_named_sub_condition_weaker_than_the_condition_makes_the_claim_overstated():
    c = claim("knee_pain", conditions=("knee_pain",), subconditions=("iliotibial_band_syndrome",))
    v = verdicts.verdict_for(c, evidence(question("moderate", condition="knee_pain")))
    assert v.verdict == "overstated" and "iliotibial band syndrome" in v.rule
    profile = verdicts.claim_profile(c, evidence(question("moderate", condition="knee_pain")))
    assert [(e.part, e.direct) for e in profile] == [("knee_pain", True), ("iliotibial_band_syndrome", False)]


# ----------------------------------------------------------------------------- mechanisms: tested and refuted


def mech(direction: str, population: str, mid: str | None = None) -> dict:
    return {
        "mechanism_id": mid or f"M_{direction}_{population}",
        "topic": "blood_flow",
        "source_id": "S",
        "population": population,
        "direction": direction,
        "finding": "f",
        "source_location": "abstract",
    }


@pytest.mark.parametrize(
    "rows,tested,asserted,expected",
    [
        ([], False, True, "unsupported"),
        ([mech("supports", "animals")], True, True, "uncertain"),
        ([mech("supports", "healthy_humans"), mech("mixed", "patients")], True, True, "uncertain"),
        ([mech("supports", "patients")], True, True, "overstated"),
        ([mech("supports", "patients")], True, False, "supported"),
        ([mech("supports", "patients"), mech("contradicts", "healthy_humans")], True, True, "contradicted"),
        ([mech("contradicts", "mixed")], False, True, "uncertain"),  # a critique or a neighbouring finding
        ([mech("supports", "patients")], False, True, "uncertain"),  # related, but not a test of this claim
    ],
)
def test_mechanism_verdicts_need_a_study_that_tested_the_claim(rows, tested, asserted, expected):
    ids = [r["mechanism_id"] for r in rows]
    c = claim(
        "blood_flow",
        conditions=(),
        asserted=asserted,
        mechanisms=ids,
        tested_by=ids if tested else (),
        statement="Trigger points have poor circulation.",
    )
    ev = evidence(question("high"), curated=tables(mechanisms=rows))  # a strong clinical effect proves no mechanism
    v = verdicts.verdict_for(c, ev)
    assert v.verdict == expected
    assert "trigger points have poor circulation" in v.allowed_wording  # the wording speaks about its own claim


def test_unlinked_mechanism_rows_of_the_same_topic_do_not_count():
    c = claim("blood_flow", conditions=(), statement="Trigger points have poor circulation.")
    v = verdicts.verdict_for(c, evidence(curated=tables(mechanisms=[mech("supports", "patients")])))
    assert v.verdict == "unsupported" and "needling" not in v.allowed_wording.lower()


# ----------------------------------------------------------------------------- safety


def event(event_type, rate=None, events="", denominator="", unit="treatments"):
    return {
        "safety_id": f"E_{event_type}_{rate}_{events}",
        "source_id": "S",
        "event_type": event_type,
        "severity": "mild",
        "events": str(events),
        "denominator": str(denominator),
        "denominator_unit": unit,
        "rate_percent": "" if rate is None else str(rate),
        "source_location": "abstract",
    }


@pytest.mark.parametrize(
    "topic,frequency,rows,expected",
    [
        ("bruising", "common", [event("bruising", 7.55, denominator=7629)], "supported"),
        ("bruising", "rare", [event("bruising", 7.55, denominator=7629)], "contradicted"),
        ("bruising", "rare", [event("bruising", 0.5, denominator=7629)], "overstated"),
        ("bruising", "common", [event("bruising", 0.05, denominator=7629)], "contradicted"),
        ("pneumothorax", "rare", [event("pneumothorax", events=3, unit="reports")], "uncertain"),
        ("pneumothorax", "not_stated", [event("pneumothorax", events=3, unit="reports")], "supported"),
        ("dizziness_fainting", "rare", [], "uncertain"),  # a warning is never unsupported for lack of data
        ("general_safety", "rare", [], "unsupported"),  # a claim of safety needs rates
        ("general_safety", "not_stated", [event("any_significant", events=0, denominator=20000)], "supported"),
        ("general_safety", "not_stated", [event("any_significant", events=40, denominator=2000)], "contradicted"),
        ("contraindications", "not_stated", [], "not_checkable"),
    ],
)
def test_safety_verdicts_against_frequency_bands(topic, frequency, rows, expected):
    v = verdicts.verdict_for(claim(topic, conditions=(), frequency=frequency), evidence(curated=tables(safety=rows)))
    assert v.verdict == expected and v.rule.startswith(expected.replace("_", " "))


def test_rule_of_three_and_certainty_from_survey_size():
    v = verdicts.verdict_for(
        claim("general_safety", conditions=(), frequency="not_stated"),
        evidence(curated=tables(safety=[event("any_significant", events=0, denominator=30000)])),
    )
    assert v.certainty == "moderate" and "0.01%" in v.effect and "rule of three" in v.effect


@pytest.mark.parametrize(
    "rate,expected", [(12, "very common"), (1.0, "common"), (0.5, "uncommon"), (0.05, "rare"), (0.001, "very rare")]
)
def test_frequency_bands(rate, expected):
    assert verdicts.band(rate) == expected


def test_serious_event_without_its_own_rate_uses_all_cause_upper_bound():
    rows = [event("pneumothorax", events=3, unit="reports"), event("any_significant", events=20, denominator=20494)]
    c = Claim(
        id="p",
        statement="s",
        topic="pneumothorax",
        type="safety",
        conditions=(),
        outcome_domain=None,
        asserted=True,
        frequency_claimed="rare",
        reviews=(),
        safety=tuple(r["safety_id"] for r in rows),
        mechanisms=(),
        occurrences=(),
        note="",
    )
    v = verdicts.verdict_for(c, evidence(curated=tables(safety=rows)))
    assert v.verdict == "supported" and v.certainty == "low" and v.effect.startswith("at most 0.098%")
    assert "case reports show" in v.allowed_wording


# ----------------------------------------------------------------------------- tables, overrides, withdrawals


def test_logistics_is_not_checkable_overrides_are_recorded_and_the_profile_is_written():
    override = {
        "claim_id": "c_neck_pain",
        "verdict": "uncertain",
        "certainty": "very_low",
        "allowed_wording": "Say less.",
        "reason": "panel decision",
    }
    ev = evidence(question("moderate"), curated=tables(verdict_overrides=[override]))
    table, profile = verdicts.verdict_tables([claim("definition", conditions=()), claim("neck_pain")], ev)
    by_id = table.set_index("claim_id")
    assert by_id.loc["c_definition", "verdict"] == "not_checkable"
    assert by_id.loc["c_neck_pain", "verdict"] == "uncertain"
    assert by_id.loc["c_neck_pain", "override_reason"] == "panel decision"
    assert by_id.loc["c_neck_pain", "rule"].startswith("set by hand")
    assert (by_id.loc["c_neck_pain", "certainty"], by_id.loc["c_neck_pain", "allowed_wording"]) == (
        "very_low",
        "Say less.",
    )
    assert list(profile.columns) == list(verdicts.PROFILE_COLUMNS)
    assert profile[["claim_id", "comparator_class", "window", "certainty", "rated_by"]].values.tolist() == [
        ["c_neck_pain", "sham", "short", "moderate", "this tracker"]
    ]


def outcome(study_id: str) -> dict:
    return {
        "study_id": study_id,
        "comparator_type": "sham",
        "outcome_domain": "pain",
        "instrument": "NPRS",
        "scale_max": "10",
        "lower_is_better": "true",
        "timepoint_weeks": "4",
        "window": "short",
        "dn_n": "20",
        "dn_mean": "3",
        "dn_sd": "1",
        "ctrl_n": "20",
        "ctrl_mean": "4",
        "ctrl_sd": "1",
        "source_location": "Table 2",
    }


def test_retracted_and_unreviewed_studies_leave_the_analysis_and_say_where_they_were_used():
    base = {
        "condition_id": "neck_pain",
        "design": "parallel_rct",
        "comparator_type": "sham",
        "decision": "include",
        "technique": "trigger_point_dn",
        "publication_status": "peer_reviewed",
        "retracted": "false",
    }
    studies = [
        {**base, "study_id": "Kept"},
        {**base, "study_id": "Flagged", "retracted": "true"},
        {**base, "study_id": "Record", "pmid": "123"},
        {**base, "study_id": "Pre", "publication_status": "preprint"},
    ]
    curated = tables(studies=studies, outcomes=[outcome(s["study_id"]) for s in studies])
    withdrawn = analyse.withdrawn_studies(curated, frozenset({"123"}))
    assert withdrawn.set_index("study_id")["reason"].to_dict() == {
        "Flagged": "retracted (studies.csv)",
        "Record": "retracted (PubMed record 123)",
        "Pre": "not peer reviewed (preprint)",
    }
    assert set(withdrawn["used_in"]) == {"neck_pain:pain:sham:short"}
    from evidence.synthesis import analysis

    assert set(analysis.effect_table(analyse.analysable(curated, withdrawn))["study_id"]) == {"Kept"}


def test_applicability_columns_are_validated():
    bad = tables(
        review_findings=[
            finding(certainty="moderate", certainty_high="low"),
            finding(certainty_high="low"),
            finding(subcondition="adhesive_capsulitis"),
        ]
    )
    problems = [
        (p.row, p.column)
        for p in table_problems(bad.tables)
        if p.file == "review_findings.csv" and p.column in ("certainty", "certainty_high", "subcondition")
    ]
    assert problems == [(2, "certainty_high"), (3, "certainty"), (4, "subcondition")]  # file lines


# ----------------------------------------------------------------------------- the built verdicts (issue 13, item 5)


def _subject(c: Claim, labels: dict[str, str]) -> list[str]:
    """Words naming the claim's subject, any of which its allowed wording must contain."""
    if c.type == "efficacy":
        parts = (
            [SUBCONDITION_LABELS[s] for s in c.subconditions]
            if c.subcondition_only
            else [labels.get(x, x) for x in c.conditions] or ["musculoskeletal pain"]
        )
        return [p.lower() for p in parts]
    if c.type == "outcome":
        domain = verdicts.OUTCOME_FILTERS.get(c.topic, (c.outcome_domain,))[0] or "pain"
        return [TOPICS[c.topic][1].split(",")[0].lower() if domain == "other" else OUTCOME_NOUNS[domain]]
    if c.type == "mechanism":
        return [" ".join(re.findall(r"[a-z]+", c.statement.lower())[:4])]
    return ["adverse events" if c.topic == "general_safety" else TOPICS[c.topic][1].split(",")[0].lower()]


def test_every_allowed_wording_names_its_own_claims_subject(built_derived):
    inputs, derived = built_derived
    labels = inputs.condition_labels
    wording = derived.verdicts.set_index("claim_id")["allowed_wording"]
    checked, missing = 0, []
    for c in inputs.claims:
        text = " ".join(re.findall(r"[a-z']+", wording[c.id].lower()))
        if not text:
            continue
        subject = _subject(c, labels)
        if not any(" ".join(re.findall(r"[a-z']+", s)) in text for s in subject):
            missing.append((c.id, subject, text))
        checked += 1
    assert not missing
    assert checked >= 60


@pytest.fixture(scope="module")
def built_derived():
    from evidence.config import DataPaths
    from evidence.curation.inputs import load_inputs

    paths = DataPaths(PROJECT / "data")
    inputs = load_inputs(paths)
    return inputs, analyse.compute(inputs)


def test_grade_indirectness_reads_technique_and_co_intervention():
    base = {"condition_id": "neck_pain", "technique": "trigger_point_dn", "co_intervention": ""}
    studies = tables(
        studies=[
            {**base, "study_id": "TrP"},
            {**base, "study_id": "Unsaid", "technique": "not_stated"},
            {**base, "study_id": "Tendon", "technique": "tendon_needling"},
            {**base, "study_id": "Thrust", "co_intervention": "thrust manipulation"},
        ]
    ).studies
    odd = grade.nonstandard_studies(studies)
    assert odd == {"Tendon": "technique: tendon needling", "Thrust": "co-intervention: thrust manipulation"}
    q = pd.Series({"outcome_domain": "pain"})
    assert grade._indirectness(q, {"TrP": 80.0, "Tendon": 20.0}, odd).levels == 0
    down = grade._indirectness(q, {"TrP": 70.0, "Thrust": 30.0}, odd)
    assert down.levels == 1 and "Thrust (co-intervention: thrust manipulation)" in down.reason


# --- verdict_overrides.csv (validated with the other curated tables) ------------------------------------

OVERRIDE_HEADER = "claim_id,verdict,certainty,allowed_wording,reason,source\n"


def _curated_with_overrides(tmp_path, *rows: str):
    paths = copy_data(tmp_path / "data")
    (paths.curated / "verdict_overrides.csv").write_text(
        OVERRIDE_HEADER + "".join(r + ",Sterling2015\n" for r in rows), encoding="utf-8"
    )
    return paths


def test_verdict_overrides_are_loaded_with_optional_certainty_and_wording(tmp_path):
    paths = _curated_with_overrides(
        tmp_path,
        'efficacy_neck_pain,uncertain,very_low,"Say less, please.",panel decision',
        "efficacy_plantar_heel_pain,supported,,,the review authors' rating",
    )
    assert verdicts.overrides(load_inputs(paths).curated) == {
        "efficacy_neck_pain": verdicts.Override(
            "uncertain", "panel decision", "very_low", "Say less, please.", "Sterling2015"
        ),
        "efficacy_plantar_heel_pain": verdicts.Override(
            "supported", "the review authors' rating", "", "", "Sterling2015"
        ),
    }


@pytest.mark.parametrize(
    "rows,bad_row,column",
    [
        (["efficacy_neck_pain,true,,,a reason"], 1, "verdict"),  # not a verdict
        (
            ["efficacy_neck_pain,supported,,,ok", "efficacy_plantar_heel_pain,Supported,,,a reason"],
            2,
            "verdict",
        ),  # lower case
        (["efficacy_neck_pain,supported,medium,,a reason"], 1, "certainty"),  # not a GRADE level
        (
            ["efficacy_neck_pain,supported,,,ok", "efficacy_plantar_heel_pain,uncertain,very low,,a reason"],
            2,
            "certainty",
        ),
        (["efficacy_neck_pain,uncertain,low,,"], 1, "reason"),  # missing reason
        (
            ["efficacy_neck_pain,supported,,,ok", 'efficacy_plantar_heel_pain,uncertain,low,,"  "'],
            2,
            "reason",
        ),  # blank reason
    ],
)
def test_bad_verdict_override_is_a_problem_naming_file_row_and_column(tmp_path, rows, bad_row, column):
    problems = input_problems(_curated_with_overrides(tmp_path, *rows))
    assert [(p.file, p.row, p.column) for p in problems] == [("verdict_overrides.csv", bad_row + 1, column)]  # line
