"""Effect sizes from curated rows, question assembly and effect classes, on constructed data
(GRADE rules and statements: tests/test_grade.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from evidence.curation.schema import TABLES, Curated
from evidence.synthesis import analysis


def empty_tables() -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame(columns=[c.name for c in cols], dtype=str) for t, (_, cols) in TABLES.items()}


def outcome(**values) -> pd.Series:
    row = {c.name: "" for c in TABLES["outcomes"][1]}
    row.update(
        {
            "study_id": "S1",
            "comparator_type": "sham",
            "outcome_domain": "pain",
            "instrument": "NPRS",
            "scale_max": "10",
            "lower_is_better": "true",
            "timepoint_weeks": "0",
            "window": "immediate",
            "value_type": "final",
            "source_location": "Table 2",
        }
    )
    row.update({k: str(v) for k, v in values.items()})
    return pd.Series(row)


def arms(m1, s1, n1, m2, s2, n2) -> dict:
    return dict(dn_mean=m1, dn_sd=s1, dn_n=n1, ctrl_mean=m2, ctrl_sd=s2, ctrl_n=n2)


def test_arm_data_gives_md_and_hedges_g_with_negative_favouring_dry_needling():
    eff = analysis.row_effect(outcome(**arms(3.0, 2.0, 40, 4.5, 2.2, 38)))
    assert eff["basis"] == "arm" and eff["usable"]
    assert eff["md"] == pytest.approx(-1.5) and eff["md_var"] == pytest.approx(4 / 40 + 2.2**2 / 38)
    assert eff["smd"] < 0


def test_higher_is_better_outcomes_are_flipped():
    eff = analysis.row_effect(
        outcome(
            outcome_domain="rom",
            instrument="goniometer",
            scale_max="",
            lower_is_better="false",
            **arms(50, 10, 30, 40, 10, 30),
        )
    )
    assert eff["oriented"] and eff["md"] == pytest.approx(-10.0)  # more motion with dry needling -> negative


def test_vas_100_is_harmonised_to_0_10():
    eff = analysis.row_effect(outcome(instrument="VAS", scale_max="100", **arms(30, 20, 25, 45, 20, 25)))
    assert eff["md_scale"] == analysis.HARMONISED_PAIN
    assert eff["md"] == pytest.approx(-1.5) and eff["md_var"] == pytest.approx((400 / 25 * 2) / 100)


def test_reported_md_with_ci_uses_width_over_3_92():
    eff = analysis.row_effect(outcome(effect_measure="MD", effect=-1.0, effect_ci_low=-1.98, effect_ci_high=-0.02))
    assert eff["basis"] == "reported_ci"
    assert math.sqrt(eff["md_var"]) == pytest.approx(0.5, rel=1e-3)


def test_se_is_converted_to_sd_and_flagged():
    eff = analysis.row_effect(outcome(dn_mean=3, dn_se=0.5, dn_n=16, ctrl_mean=4, ctrl_sd=2, ctrl_n=16))
    assert eff["converted"] and eff["md_var"] == pytest.approx(0.25 + 4 / 16)


def test_p_value_only_is_not_usable_and_says_why():
    eff = analysis.row_effect(outcome(p_text="<0.05"))
    assert not eff["usable"] and "only a p-value" in eff["reason"]
    assert "lower is better" in analysis.row_effect(outcome(lower_is_better=""))["reason"]


def _curated(outcome_rows: list[pd.Series], studies: list[str]) -> Curated:
    t = empty_tables()
    t["outcomes"] = pd.DataFrame(outcome_rows).reset_index(drop=True)
    srow = {c.name: "" for c in TABLES["studies"][1]}
    t["studies"] = pd.DataFrame(
        [
            {
                **srow,
                "study_id": s,
                "condition_id": "neck_pain",
                "pmid": "1",
                "design": "parallel_rct",
                "n_randomised": "100",
                "comparator_type": "sham",
                "decision": "include",
            }
            for s in studies
        ]
    )
    t["mids"] = pd.DataFrame(
        [
            {
                "instrument": "NPRS",
                "scale_max": "10",
                "mid": "2",
                "population": "",
                "source_id": "X",
                "source_location": "abstract",
                "verified": "true",
                "note": "",
            }
        ]
    )
    return Curated(t)


def test_two_studies_are_pooled_one_is_a_single_study_none_usable_is_reported():
    rows = [
        outcome(study_id="A", **arms(3, 2, 40, 4, 2, 40)),
        outcome(study_id="B", **arms(2.5, 2, 30, 4, 2, 30)),
        outcome(study_id="A", window="short", timepoint_weeks=4, **arms(3, 2, 40, 3.5, 2, 40)),
        outcome(study_id="A", outcome_domain="disability", instrument="NDI", scale_max="50", p_value="0.2"),
    ]
    cur = _curated(rows, ["A", "B"])
    qs = analysis.build_questions(analysis.effect_table(cur))
    table = analysis.question_table(qs, cur).set_index("question_id")
    pooled = table.loc["neck_pain:pain:sham:immediate"]
    assert pooled["status"] == "pooled" and pooled["k"] == 2 and pooled["measure"] == "MD" and pooled["mid"] == 2
    assert pooled["estimate"] < 0 and pooled["n_participants"] == 140
    assert table.loc["neck_pain:pain:sham:short", "status"] == "single_study"
    none = table.loc["neck_pain:disability:sham:immediate"]
    assert none["status"] == "no_usable_data" and "only a p-value" in none["not_used"]


def test_trial_gaps_say_per_trial_whether_numbers_are_not_readable_here_or_not_reported():
    rows = [
        outcome(study_id="A", **arms(3, 2, 40, 4, 2, 40)),
        outcome(study_id="A", window="short", timepoint_weeks=4, p_text="<0.05"),
    ]
    cur = _curated(rows, ["A", "B", "C", "D"])
    cov = [
        ("A", "sham", "numbers_extracted"),
        ("B", "sham", "full_text_not_available"),
        ("C", "sham", "p_values_only"),
        ("D", "add_on", "not_found"),
    ]
    cur.tables["extraction_coverage"] = pd.DataFrame(
        [
            {
                "study_id": s,
                "condition_id": "neck_pain",
                "comparator_type": c,
                "status": st,
                "what_was_searched": "x",
                "note": "",
            }
            for s, c, st in cov
        ]
    )
    table = analysis.question_table(analysis.build_questions(analysis.effect_table(cur)), cur).set_index("question_id")
    # the pooled trial is not a gap; D belongs to another comparison
    assert table.loc["neck_pain:pain:sham:immediate", "trial_gaps"] == (
        "B: not readable here (full text not available); C: sources read give p-values only"
    )
    # a trial with numbers elsewhere but none usable here is listed as such
    assert table.loc["neck_pain:pain:sham:short", "trial_gaps"].startswith(
        "A: numbers read here, none usable for this question; B: not readable here"
    )


def test_one_row_per_study_latest_timepoint_in_window():
    rows = [
        outcome(study_id="A", timepoint_weeks=0, **arms(3, 2, 40, 4, 2, 40)),
        outcome(study_id="A", timepoint_weeks=1, **arms(1, 2, 40, 4, 2, 40)),
    ]
    qs = analysis.build_questions(analysis.effect_table(_curated(rows, ["A"])))
    assert qs[0].result.k == 1 and qs[0].result.estimate == pytest.approx(-3.0)


def test_different_scales_pool_as_smd_without_mixing_change_and_final():
    rows = [
        outcome(study_id="A", **arms(3, 2, 40, 4, 2, 40)),
        outcome(study_id="B", instrument="PPT", scale_max="", **arms(30, 8, 30, 36, 8, 30)),
        outcome(study_id="C", instrument="PPT", scale_max="", value_type="change", **arms(-3, 2, 20, -1, 2, 20)),
    ]
    cur = _curated(rows, ["A", "B", "C"])
    (q,) = analysis.build_questions(analysis.effect_table(cur))
    assert q.measure == "SMD" and list(q.rows["study_id"]) == ["A", "B"]
    assert any("not mixed" in reason for reason in q.not_used)


@pytest.mark.parametrize(
    "estimate,measure,mid,expected",
    [
        (-4.1, "MD", 2.0, "large"),
        (-2.0, "MD", 2.0, "moderate"),
        (-1.0, "MD", 2.0, "small"),
        (-0.9, "MD", 2.0, "trivial"),
        (-0.85, "SMD", math.nan, "large"),
        (-0.3, "SMD", math.nan, "small"),
        (-1.0, "MD", math.nan, ""),
    ],
)
def test_effect_classes(estimate, measure, mid, expected):
    assert analysis.effect_class(estimate, measure, mid) == expected
