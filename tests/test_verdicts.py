"""Verdict rules on constructed evidence: every verdict is reachable, for each claim type."""

from __future__ import annotations

import pandas as pd
import pytest

from evidence import verdicts
from evidence.claims import Claim
from evidence.curation import TABLES, Curated
from evidence.inputs import input_problems, load_inputs
from evidence.topics import topic_type
from tests.conftest import copy_data


def claim(topic: str, conditions=("neck_pain",), asserted=True, frequency=None, domain=None) -> Claim:
    return Claim(id=f"c_{topic}", statement="s", topic=topic, type=topic_type(topic), conditions=tuple(conditions),
                 outcome_domain=domain, asserted=asserted, frequency_claimed=frequency, reviews=(), safety=(),
                 mechanisms=(), occurrences=(), note="")


def tables(**rows: list[dict]) -> Curated:
    t = {}
    for name, (_, cols) in TABLES.items():
        blank = {c.name: "" for c in cols}
        t[name] = pd.DataFrame([{**blank, **r} for r in rows.get(name, [])], columns=[c.name for c in cols])
    return Curated(t)


def evidence(certainty: str | None = None, estimate=-1.5, low=-2.5, high=-0.5, curated: Curated | None = None):
    questions = pd.DataFrame(columns=["question_id", "condition_id", "outcome_domain", "comparator_type", "window",
                                      "k", "measure", "scale", "estimate", "ci_low", "ci_high", "effect_class"])
    cert = pd.DataFrame(columns=["question_id", "final"])
    if certainty:
        questions.loc[0] = ["neck_pain:pain:sham:short", "neck_pain", "pain", "sham", "short", 3, "MD", "pain 0-10",
                            estimate, low, high, "moderate" if estimate < -1 else "trivial"]
        cert.loc[0] = ["neck_pain:pain:sham:short", certainty]
    return verdicts.Evidence(curated or tables(), questions, cert, {"neck_pain": "neck pain"})


@pytest.mark.parametrize("certainty,asserted,estimate,low,high,expected", [
    ("moderate", True, -1.5, -2.5, -0.5, "supported"),
    ("low", True, -1.5, -2.5, -0.5, "overstated"),
    ("low", False, -1.5, -2.5, -0.5, "supported"),
    ("very_low", True, -1.5, -2.5, -0.5, "uncertain"),
    ("high", True, -0.1, -0.4, 0.2, "contradicted"),
    ("low", True, -0.1, -0.4, 0.2, "uncertain"),
])
def test_efficacy_verdicts(certainty, asserted, estimate, low, high, expected):
    v = verdicts.verdict_for(claim("neck_pain", asserted=asserted), evidence(certainty, estimate, low, high))
    assert v.verdict == expected
    assert v.evidence_ids == ("neck_pain:pain:sham:short",)


def test_no_evidence_is_unsupported_and_wording_says_so():
    v = verdicts.verdict_for(claim("neck_pain"), evidence())
    assert v.verdict == "unsupported" and "do not make this claim" in v.allowed_wording


def test_allowed_wording_follows_certainty():
    v = verdicts.verdict_for(claim("neck_pain"), evidence("low"))
    assert "may reduce pain" in v.allowed_wording and "neck pain" in v.allowed_wording


def test_unrated_review_counts_as_very_low_and_rated_review_is_used():
    finding = {"review_id": "R2020", "condition_id": "neck_pain", "comparator_type": "any", "outcome_domain": "pain",
               "window": "short", "n_trials": "6", "effect_measure": "SMD", "effect": "-0.6", "ci_low": "-0.9",
               "ci_high": "-0.3", "lower_is_better": "true", "conclusion": "x", "source_location": "abstract"}
    v = verdicts.verdict_for(claim("neck_pain"), evidence(curated=tables(review_findings=[finding])))
    assert v.verdict == "uncertain" and "not rated" in v.reason
    v = verdicts.verdict_for(claim("neck_pain"), evidence(curated=tables(review_findings=[{**finding, "certainty": "moderate"}])))
    assert v.verdict == "supported" and v.certainty == "moderate" and "probably reduces pain" in v.allowed_wording


def mech(direction: str, population: str) -> dict:
    return {"mechanism_id": f"M_{direction}_{population}", "topic": "blood_flow", "source_id": "S", "population": population,
            "direction": direction, "finding": "f", "source_location": "abstract"}


@pytest.mark.parametrize("rows,asserted,expected", [
    ([], True, "unsupported"),
    ([mech("supports", "animals")], True, "uncertain"),
    ([mech("supports", "healthy_humans"), mech("mixed", "patients")], True, "uncertain"),
    ([mech("supports", "patients")], True, "overstated"),
    ([mech("supports", "patients")], False, "supported"),
    ([mech("supports", "patients"), mech("contradicts", "healthy_humans")], True, "contradicted"),
])
def test_mechanism_verdicts_need_mechanism_evidence(rows, asserted, expected):
    ev = evidence("high", curated=tables(mechanisms=rows))  # a strong clinical effect does not prove a mechanism
    assert verdicts.verdict_for(claim("blood_flow", conditions=(), asserted=asserted), ev).verdict == expected


def event(event_type, rate=None, events="", denominator="", unit="treatments"):
    return {"safety_id": f"E_{event_type}_{rate}_{events}", "source_id": "S", "event_type": event_type, "severity": "mild",
            "events": str(events), "denominator": str(denominator), "denominator_unit": unit,
            "rate_percent": "" if rate is None else str(rate), "source_location": "abstract"}


@pytest.mark.parametrize("topic,frequency,rows,expected", [
    ("bruising", "common", [event("bruising", 7.55, denominator=7629)], "supported"),
    ("bruising", "rare", [event("bruising", 7.55, denominator=7629)], "contradicted"),
    ("bruising", "rare", [event("bruising", 0.5, denominator=7629)], "overstated"),
    ("bruising", "common", [event("bruising", 0.05, denominator=7629)], "contradicted"),
    ("pneumothorax", "rare", [event("pneumothorax", events=3, unit="reports")], "uncertain"),
    ("pneumothorax", "not_stated", [event("pneumothorax", events=3, unit="reports")], "supported"),
    ("infection", "rare", [], "unsupported"),
    ("general_safety", "not_stated", [event("any_significant", events=0, denominator=20000)], "supported"),
    ("general_safety", "not_stated", [event("any_significant", events=40, denominator=2000)], "contradicted"),
    ("contraindications", "not_stated", [], "not_checkable"),
])
def test_safety_verdicts_against_frequency_bands(topic, frequency, rows, expected):
    v = verdicts.verdict_for(claim(topic, conditions=(), frequency=frequency), evidence(curated=tables(safety=rows)))
    assert v.verdict == expected


def test_rule_of_three_and_certainty_from_survey_size():
    v = verdicts.verdict_for(claim("general_safety", conditions=(), frequency="not_stated"),
                             evidence(curated=tables(safety=[event("any_significant", events=0, denominator=30000)])))
    assert v.certainty == "moderate" and "0.01%" in v.effect and "rule of three" in v.effect


def test_logistics_is_not_checkable_and_overrides_are_recorded():
    override = {"claim_id": "c_neck_pain", "verdict": "uncertain", "certainty": "very_low",
                "allowed_wording": "Say less.", "reason": "panel decision"}
    ev = evidence(curated=tables(verdict_overrides=[override]))
    table = verdicts.verdict_table([claim("definition", conditions=()), claim("neck_pain")], ev)
    by_id = table.set_index("claim_id")
    assert by_id.loc["c_definition", "verdict"] == "not_checkable"
    assert by_id.loc["c_neck_pain", "verdict"] == "uncertain"
    assert by_id.loc["c_neck_pain", "override_reason"] == "panel decision"
    assert (by_id.loc["c_neck_pain", "certainty"], by_id.loc["c_neck_pain", "allowed_wording"]) == ("very_low", "Say less.")


@pytest.mark.parametrize("rate,expected", [(12, "very common"), (1.0, "common"), (0.5, "uncommon"), (0.05, "rare"),
                                           (0.001, "very rare")])
def test_frequency_bands(rate, expected):
    assert verdicts.band(rate) == expected


def test_serious_event_without_its_own_rate_uses_all_cause_upper_bound():
    rows = [event("pneumothorax", events=3, unit="reports"), event("any_significant", events=20, denominator=20494)]
    c = Claim(id="p", statement="s", topic="pneumothorax", type="safety", conditions=(), outcome_domain=None,
              asserted=True, frequency_claimed="rare", reviews=(), safety=tuple(r["safety_id"] for r in rows),
              mechanisms=(), occurrences=(), note="")
    v = verdicts.verdict_for(c, evidence(curated=tables(safety=rows)))
    assert v.verdict == "supported" and v.certainty == "low" and v.effect.startswith("at most 0.098%")
    assert "case reports show" in v.allowed_wording


def test_a_claim_without_condition_is_not_judged_on_one_condition():
    v = verdicts.verdict_for(claim("sports_injuries", conditions=()), evidence("high"))
    assert v.verdict == "unsupported"  # neck pain evidence does not speak for sports injuries


def test_head_to_head_comparisons_do_not_decide_efficacy():
    ev = evidence("high", estimate=0.8, low=0.3, high=1.3)  # dry needling worse than another treatment...
    ev.questions.loc[0, "comparator_type"] = "active_other"
    assert verdicts.verdict_for(claim("neck_pain"), ev).verdict == "unsupported"  # ...is not evidence it fails


# --- verdict_overrides.csv (validated with the other curated tables) ------------------------------------

OVERRIDE_HEADER = "claim_id,verdict,certainty,allowed_wording,reason\n"


def _curated_with_overrides(tmp_path, *rows: str):
    paths = copy_data(tmp_path / "data")
    (paths.curated / "verdict_overrides.csv").write_text(OVERRIDE_HEADER + "".join(r + "\n" for r in rows),
                                                        encoding="utf-8")
    return paths


def test_verdict_overrides_are_loaded_with_optional_certainty_and_wording(tmp_path):
    paths = _curated_with_overrides(tmp_path, 'efficacy_neck_pain,uncertain,very_low,"Say less, please.",panel decision',
                                    "efficacy_plantar_heel_pain,supported,,,the review authors' rating")
    assert verdicts.overrides(load_inputs(paths).curated) == {
        "efficacy_neck_pain": verdicts.Override("uncertain", "panel decision", "very_low", "Say less, please."),
        "efficacy_plantar_heel_pain": verdicts.Override("supported", "the review authors' rating", "", ""),
    }


@pytest.mark.parametrize("rows,bad_row,column", [
    (["efficacy_neck_pain,true,,,a reason"], 1, "verdict"),                                  # not a verdict
    (["efficacy_neck_pain,supported,,,ok", "efficacy_plantar_heel_pain,Supported,,,a reason"], 2, "verdict"),  # lower case
    (["efficacy_neck_pain,supported,medium,,a reason"], 1, "certainty"),                     # not a GRADE level
    (["efficacy_neck_pain,supported,,,ok", "efficacy_plantar_heel_pain,uncertain,very low,,a reason"], 2, "certainty"),
    (["efficacy_neck_pain,uncertain,low,,"], 1, "reason"),                                   # missing reason
    (["efficacy_neck_pain,supported,,,ok", 'efficacy_plantar_heel_pain,uncertain,low,,"  "'], 2, "reason"),  # blank reason
])
def test_bad_verdict_override_is_a_problem_naming_file_row_and_column(tmp_path, rows, bad_row, column):
    problems = input_problems(_curated_with_overrides(tmp_path, *rows))
    assert [(p.file, p.row, p.column) for p in problems] == [("verdict_overrides.csv", bad_row, column)]
