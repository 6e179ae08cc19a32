"""The second round of verdict rules (issue 19): one home per decision, what a claim is about, ratings
never above the authors', narrative findings, function, safety frequencies and durations, the per-claim
links and the wording limit. Each test failed on the code before the rule."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pandas as pd

from evidence.report import render
from evidence.synthesis import grade, verdicts
from evidence.vocab import VERDICTS, QuestionId
from tests.synthesis.test_verdicts import claim, event, evidence, finding, question, tables

# ----------------------------------------------------------------------------- rule 8: one home per decision


def test_one_best_estimate_rule_for_profile_and_evidence_map():
    # same certainty: more participants wins everywhere (the map used to prefer more studies)
    many = question("low", window="short", n=100)
    big = question("low", window="mid", n=500)
    many[0]["k"] = 3
    ev = evidence(many, big)
    inputs = SimpleNamespace(
        questions_with_data_by_condition={"neck_pain": ev.questions.astype(str).to_dict("records")},
        certainty_by_question={q["question_id"]: {"final": c["final"]} for q, c in (many, big)},
    )
    cell = render._map_cell(inputs, "neck_pain", render.DOES_IT_WORK, "pain")
    assert cell["href"].endswith(QuestionId.parse(big[0]["question_id"]).anchor)
    keys = [verdicts.best_estimate_key("low", n, 0, qid) for qid, n in (("a", 100), ("b", 500))]
    assert max(keys)[-1] == "b"


def test_the_part_verdict_uses_the_best_estimate_rule():
    # two benefits at the same certainty: the one with more participants decides (no second ordering)
    short = question("low", window="short", n=100)
    imm = question("low", window="immediate", n=900)
    v = verdicts.verdict_for(claim("neck_pain"), evidence(short, imm))
    assert "immediate" in v.reason


def test_one_verdict_order_the_vocabularys():
    assert not hasattr(verdicts, "STRENGTH")
    weakest = verdicts.weakest(["supported", "uncertain", "overstated"])
    assert weakest == max(["supported", "uncertain", "overstated"], key=VERDICTS.index)


def test_the_common_mild_events_sentence_comes_from_the_safety_data():
    rows = [
        event("any_significant", events=0, denominator=20000),
        event("bruising", 0.5, denominator=7000),
        event("bleeding", 12, denominator=7000),
    ]
    c = claim("general_safety", conditions=(), frequency="rare")
    v = verdicts.verdict_for(c, evidence(curated=tables(safety=rows)))
    assert "bleeding" in v.allowed_wording and "very common" in v.allowed_wording
    assert "bruising" not in v.allowed_wording and "soreness" not in v.allowed_wording


# ----------------------------------------------------------------------------- rule 6: safety durations and reporters


def reported(event_type, rate, by, hours=""):
    row = event(event_type, rate, denominator=7000 if by == "clinician" else "", unit="treatments")
    if by == "patient":
        row["denominator_unit"] = "patients"
    return {**row, "safety_id": f"{row['safety_id']}_{by}_{hours}", "reported_by": by, "resolved_within_hours": hours}


def safety_claim(topic, frequency, rows, duration=None):
    c = claim(topic, conditions=(), frequency=frequency)
    return replace(c, safety=tuple(r["safety_id"] for r in rows), duration_hours=duration)


def test_a_claim_about_how_long_something_lasts_needs_duration_data():
    rates_only = [reported("soreness", 55, "patient")]
    v = verdicts.verdict_for(
        safety_claim("soreness", "not_stated", rates_only, 48), evidence(curated=tables(safety=rates_only))
    )
    assert v.verdict == "uncertain" and "duration" in v.rule
    timed = [reported("soreness", 55, "patient", "48"), reported("soreness", 88, "patient", "36")]
    v = verdicts.verdict_for(safety_claim("soreness", "not_stated", timed, 48), evidence(curated=tables(safety=timed)))
    assert v.verdict == "supported" and v.certainty == "low" and "48" in v.allowed_wording
    longer = [reported("soreness", 55, "patient", "72")]
    v = verdicts.verdict_for(
        safety_claim("soreness", "not_stated", longer, 48), evidence(curated=tables(safety=longer))
    )
    assert v.verdict == "overstated"


def test_clinician_surveys_undercount_what_patients_feel_later():
    survey = [reported("fatigue", 0.26, "clinician")]
    v = verdicts.verdict_for(safety_claim("fatigue", "common", survey), evidence(curated=tables(safety=survey)))
    assert v.verdict == "uncertain" and "clinician" in v.rule
    both = [reported("soreness", 2.19, "clinician"), reported("soreness", 29.4, "patient")]
    v = verdicts.verdict_for(safety_claim("soreness", "common", both), evidence(curated=tables(safety=both)))
    assert v.verdict == "supported" and v.certainty == "low"
    # bruising is seen by the clinician during the session: the survey rate stands
    bruise = [reported("bruising", 7.5, "clinician")]
    v = verdicts.verdict_for(safety_claim("bruising", "rare", bruise), evidence(curated=tables(safety=bruise)))
    assert v.verdict == "contradicted" and v.certainty == "moderate"


# ----------------------------------------------------------------------------- rule 3: ratings never above the authors'


def test_a_missing_i2_is_not_assessable_not_no_downgrade():
    pooled = grade.rate_finding(finding(n_trials="5"), math.nan)
    assert "I2 not reported" in pooled.reasons and pooled.certainty == "low"  # was moderate (no downgrade)
    single = grade.rate_finding(finding(n_trials="1"), math.nan)
    assert "single study" in single.reasons


def test_the_trackers_rating_is_never_above_the_authors_rating_of_an_overlapping_comparison():
    rated = finding(review_id="R", comparator_type="any", window="any", certainty="very_low", i2="10")
    mine = finding(review_id="R", comparator_type="sham", window="mid", i2="10", n_trials="4")
    other = finding(review_id="Q", comparator_type="sham", window="mid", i2="10", n_trials="4")
    findings = pd.DataFrame([rated, mine, other])
    capped = grade.rate_finding(mine, math.nan, ceiling=grade.authors_ceiling(mine, findings.to_dict("records")))
    assert capped.certainty == "very_low" and "authors rate an overlapping comparison very low" in capped.reasons
    free = grade.rate_finding(other, math.nan, ceiling=grade.authors_ceiling(other, findings.to_dict("records")))
    assert free.certainty == "moderate"


def test_a_network_meta_analysis_gets_its_own_indirectness_reason():
    r = grade.rate_finding(finding(i2="10", n_trials="4"), math.nan, network=True)
    assert "network" in r.reasons and r.certainty == "low"


# ----------------------------------------------------------------------------- rule 4: findings reported in words


def test_a_finding_reported_only_in_words_counts_as_tested_and_null():
    words = finding(effect="", ci_low="", ci_high="", comparator_type="sham", narrative_result="no_difference")
    ev = evidence(curated=tables(review_findings=[words]))
    [row] = verdicts.profile_rows(claim("neck_pain"), ev, verdicts.claim_profile(claim("neck_pain"), ev))
    assert row["favours"] == "no clear difference"
    assert "little to no difference" in row["statement"] or "very uncertain" in row["statement"]
    unknown = finding(effect="", ci_low="", ci_high="", comparator_type="sham")
    ev = evidence(curated=tables(review_findings=[unknown]))
    [row] = verdicts.profile_rows(claim("neck_pain"), ev, verdicts.claim_profile(claim("neck_pain"), ev))
    assert row["favours"] == "not reported (narrative finding)"


# ----------------------------------------------------------------------------- rule 9: wording within the interval


def test_allowed_wording_never_says_more_than_the_interval():
    # SMD -1.40 (-2.39 to -0.40): the end nearest no effect is a small effect, so no "large reduction"
    mid_term = finding(
        window="mid", effect="-1.40", ci_low="-2.39", ci_high="-0.40", certainty="moderate", n_participants="600"
    )
    v = verdicts.verdict_for(claim("neck_pain", asserted=False), evidence(curated=tables(review_findings=[mid_term])))
    assert "large" not in v.allowed_wording and "slightly" in v.allowed_wording


def test_allowed_wording_says_when_a_later_window_shows_no_difference():
    mid_term = finding(window="mid", effect="-0.9", ci_low="-1.1", ci_high="-0.7", certainty="moderate")
    later = finding(window="long", effect="-0.2", ci_low="-0.6", ci_high="0.2", certainty="low")
    ev = evidence(curated=tables(review_findings=[mid_term, later]))
    v = verdicts.verdict_for(claim("neck_pain", asserted=False), ev)
    assert "at 3 to 6 months" in v.allowed_wording
    assert "no clear difference after more than 6 months" in v.allowed_wording


def test_the_reviews_own_risk_of_bias_judgement_replaces_not_recorded():
    stated = grade.rate_finding(finding(i2="10", trials_risk_of_bias="low"), math.nan)
    assert stated.certainty == "high" and "the review judged the pooled trials at low risk" in stated.reasons
    assert grade.rate_finding(finding(i2="10", trials_risk_of_bias="high"), math.nan).certainty == "low"


# ----------------------------------------------------------------------------- rule 1: what a claim is about


def test_a_dose_claim_is_not_judged_on_generic_pain_evidence():
    c = replace(claim("sessions_needed", conditions=("neck_pain",)), asserted=True)
    v = verdicts.verdict_for(c, evidence(question("moderate", window="short")))
    assert v.verdict == "unsupported" and "how many sessions" in v.allowed_wording


def test_a_technique_comparison_claim_needs_a_study_that_compared_the_techniques():
    c = replace(claim("neck_pain"), question="technique")
    v = verdicts.verdict_for(c, evidence(question("moderate")))
    assert v.verdict == "unsupported" and "compared" in v.rule


def test_a_cautious_claim_about_a_limit_is_not_read_as_a_promise():
    c = replace(claim("lasting_effect", conditions=("neck_pain",)), states_limit=True)
    short = question("moderate", window="short")
    null_long = question("moderate", -0.1, -0.4, 0.2, window="long", size="trivial")
    v = verdicts.verdict_for(c, evidence(short, null_long))
    assert v.verdict == "supported" and "long" in v.reason
    lasting = question("moderate", window="long")
    assert verdicts.verdict_for(c, evidence(short, lasting)).verdict == "contradicted"


# ----------------------------------------------------------------------------- rule 2: claims that name no condition


def test_a_population_the_reviews_did_not_study_is_indirect():
    general = finding(condition_id="all_dry_needling", certainty="moderate", comparator_type="sham", i2="10")
    c = replace(claim("sports_injuries", conditions=()), unstudied_population="acute strains and sprains")
    [entry] = verdicts.claim_profile(c, evidence(curated=tables(review_findings=[general])))
    assert entry.indirect == "the reviews did not study acute strains and sprains" and entry.certainty == "low"
    plain = claim("muscle_pain_general", conditions=())
    [entry] = verdicts.claim_profile(plain, evidence(curated=tables(review_findings=[general])))
    assert entry.direct  # cross-condition reviews are direct for a claim that names no condition


# ----------------------------------------------------------------------------- rule 5: function counts


def test_a_conditions_efficacy_claim_weighs_function_as_well_as_pain():
    function = finding(outcome_domain="disability", certainty="moderate", comparator_type="sham", i2="10")
    v = verdicts.verdict_for(claim("neck_pain", domain="pain"), evidence(curated=tables(review_findings=[function])))
    assert v.verdict != "unsupported" and "disability" in v.allowed_wording


def test_an_interval_that_excludes_no_effect_never_reads_little_to_no_difference():
    near_zero = finding(effect="-0.53", ci_low="-0.87", ci_high="-0.19", certainty="moderate", comparator_type="sham")
    v = verdicts.verdict_for(claim("neck_pain", asserted=False), evidence(curated=tables(review_findings=[near_zero])))
    assert "slightly" in v.allowed_wording and "little to no" not in v.allowed_wording


def test_a_review_pooling_mostly_trials_from_regional_databases_gets_its_own_risk_of_bias_reason():
    r = grade.rate_finding(finding(i2="10", n_trials="4"), math.nan, regional=True)
    assert r.reasons.count("regional databases") == 2 and r.certainty == "low"  # risk of bias and indirectness
    stated = grade.rate_finding(finding(i2="10", trials_risk_of_bias="low"), math.nan, regional=True)
    assert stated.certainty == "low"  # the review's own low rating does not lift the regional reasons
    review = {"review_id": "R2020", "year": "2020", "design": "meta_analysis", "mostly_regional_trials": "true"}
    ev = evidence(curated=tables(review_findings=[finding(i2="10")], reviews=[review]))
    [entry] = verdicts.claim_profile(claim("neck_pain"), ev)
    assert "regional databases" in entry.candidate.certainty_reasons
